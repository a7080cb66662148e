"""Pipelines, stages and lead statuses (``kontor.crm.services.pipelines``): behaviour the surviving
mutants showed untested (docs/mutation.md). What an admin sees: the stored values, the refusal's code,
message and field (with nothing written), and the audit log entry with who changed what."""

from __future__ import annotations

import pytest

from kontor.core.errors import ErrorCode
from kontor.crm.models import AuditLog, CrmSettings, LeadStatus, Pipeline, Stage
from kontor.crm.services import (
    deal_create,
    lead_create,
    pipeline_create,
    pipeline_delete,
    pipeline_update,
    stage_create,
)
from kontor.crm.services.pipelines import (
    lead_status_create,
    lead_status_delete,
    lead_status_update,
    stage_delete,
    stage_update,
)

from .conftest import refusal

pytestmark = pytest.mark.django_db


def _audit(action: str) -> tuple:
    """The one audit entry written for ``action``: (actor, data)."""
    entry = AuditLog.objects.get(action=action)
    return entry.actor, entry.data


@pytest.fixture
def pipeline(admin_user):
    return pipeline_create(actor=admin_user, name="Projects")


# --- pipelines -------------------------------------------------------------------------------------


def test_renaming_and_re_sorting_a_pipeline_is_audited_with_its_changes(admin_user, pipeline):
    pipeline_update(pipeline=pipeline, actor=admin_user, data={"name": "Large projects", "sort": 20})
    assert _audit("pipeline_updated") == (
        admin_user, {"pipeline_id": pipeline.pk, "changes": {"name": ["Projects", "Large projects"], "sort": [500, 20]}}
    )


def test_a_new_pipeline_sorts_at_500_with_the_default_stages_and_is_audited(admin_user):
    created = pipeline_create(actor=admin_user, name="  Projects ")
    stored = Pipeline.objects.get(pk=created.pk)
    assert (stored.name, stored.sort, stored.is_default) == ("Projects", 500, False)
    assert list(Stage.objects.filter(pipeline=stored).order_by("sort").values_list("code", "sort")) == [
        ("NEW", 10), ("PREPARATION", 20), ("PREPAYMENT_INVOICE", 30), ("EXECUTING", 40), ("FINAL_INVOICE", 50),
        ("WON", 60), ("LOSE", 70), ("APOLOGY", 80)]
    assert _audit("pipeline_created") == (admin_user, {"pipeline_id": created.pk, "name": "Projects"})


def test_a_pipeline_asked_for_without_default_stages_has_none(admin_user):
    created = pipeline_create(actor=admin_user, name="Empty", sort=7, default_stages=False)
    assert (Pipeline.objects.get(pk=created.pk).sort, Stage.objects.filter(pipeline=created).count()) == (7, 0)


@pytest.mark.parametrize(("kwargs", "message", "field"), [
    ({"name": "  "}, "name is required", "name"),
    ({"name": "Projects", "sort": "first"}, "sort must be an integer", "sort"),
    ({"name": "Projects", "sort": 2**31}, "sort is out of range", "sort"),
])
def test_a_pipeline_without_a_name_or_with_a_bad_sort_is_refused(admin_user, kwargs, message, field):
    before = Pipeline.objects.count()
    err = refusal(lambda: pipeline_create(actor=admin_user, **kwargs))
    assert (err.code, err.message, err.field) == (ErrorCode.VALIDATION, message, field)
    assert (Pipeline.objects.count(), AuditLog.objects.filter(action="pipeline_created").exists()) == (before, False)


def test_deleting_a_pipeline_removes_its_stages_and_is_audited_with_its_name(admin_user, pipeline):
    pk, stage_ids = pipeline.pk, list(Stage.objects.filter(pipeline=pipeline).values_list("pk", flat=True))
    pipeline_delete(pipeline=pipeline, actor=admin_user)
    assert not Pipeline.objects.filter(pk=pk).exists()
    assert not Stage.objects.filter(pk__in=stage_ids).exists()
    assert _audit("pipeline_deleted") == (admin_user, {"pipeline_id": pk, "name": "Projects"})


def test_deleting_simple_modes_pipeline_sends_inquiries_to_the_default_pipeline(admin_user, pipeline):
    CrmSettings.objects.filter(pk=1).update(simple_pipeline=pipeline)
    pipeline_delete(pipeline=pipeline, actor=admin_user)
    assert CrmSettings.objects.get(pk=1).simple_pipeline_id is None


def test_the_default_pipeline_cannot_be_deleted(admin_user):
    default = Pipeline.objects.get(is_default=True)
    err = refusal(lambda: pipeline_delete(pipeline=default, actor=admin_user))
    assert (err.code, err.message, err.field) == (ErrorCode.CONFLICT, "the default pipeline cannot be deleted", None)
    assert Pipeline.objects.filter(pk=default.pk).exists()
    assert not AuditLog.objects.filter(action="pipeline_deleted").exists()


def test_a_pipeline_with_deals_cannot_be_deleted(admin_user, pipeline):
    deal_create(actor=admin_user, data={"title": "Relaunch", "pipeline_id": pipeline.pk})
    err = refusal(lambda: pipeline_delete(pipeline=pipeline, actor=admin_user))
    assert (err.code, err.message, err.field) == (ErrorCode.IN_USE, f"pipeline {pipeline.pk} still has deals", None)
    assert Stage.objects.filter(pipeline=pipeline).count() == 8
    assert not AuditLog.objects.filter(action="pipeline_deleted").exists()


# --- stages ----------------------------------------------------------------------------------------


def test_a_stage_is_stored_as_given_and_its_creation_audited(admin_user, pipeline):
    stage = stage_create(pipeline=pipeline, actor=admin_user, data={
        "code": "site_visit", "name": "  Site visit ", "sort": 25, "semantic": "failure", "color": "#AABBCC"})
    stored = Stage.objects.get(pk=stage.pk)
    assert (stored.pipeline_id, stored.code, stored.name, stored.sort, stored.semantic, stored.color) == (
        pipeline.pk, "SITE_VISIT", "Site visit", 25, "failure", "#AABBCC")
    assert _audit("stage_created") == (admin_user, {"stage_id": stage.pk, "code": "SITE_VISIT"})


@pytest.mark.parametrize(("name", "code"), [
    ("Site visit", "SITE_VISIT"),
    ("Übergabe-Termin 2", "_BERGABE_TERMIN_2"),
    ("Abc" * 20, ("ABC" * 20)[:50]),
])
def test_a_stage_without_code_gets_one_made_from_its_name(admin_user, pipeline, name, code):
    stage = stage_create(pipeline=pipeline, actor=admin_user, data={"name": name})
    assert Stage.objects.get(pk=stage.pk).code == code


@pytest.mark.parametrize(("data", "expected"), [
    ({}, (ErrorCode.VALIDATION, "name", "name is required")),
    ({"name": "   "}, (ErrorCode.VALIDATION, "name", "name is required")),
    ({"name": "Briefing", "sort": "first"}, (ErrorCode.VALIDATION, "sort", "sort must be an integer")),
    ({"name": "Briefing", "code": "new"},
     (ErrorCode.CONFLICT, "code", "stage code 'NEW' exists in this pipeline")),
])
def test_a_stage_with_bad_values_is_refused_and_nothing_written(admin_user, pipeline, data, expected):
    before = Stage.objects.count()
    err = refusal(lambda: stage_create(pipeline=pipeline, actor=admin_user, data=data))
    assert (err.code, err.field, err.message) == expected
    assert Stage.objects.count() == before
    assert not AuditLog.objects.filter(action="stage_created").exists()


def test_an_empty_stage_can_be_renamed_re_sorted_re_coloured_and_given_another_semantic(admin_user, pipeline):
    stage = pipeline.stages.get(code="NEW")
    old = (stage.name, stage.sort, stage.color)
    stage_update(stage=stage, actor=admin_user, data={
        "name": " Fresh ", "sort": 5, "color": "#112233", "semantic": "failure"})
    stored = Stage.objects.get(pk=stage.pk)
    assert (stored.name, stored.sort, stored.color, stored.semantic) == ("Fresh", 5, "#112233", "failure")
    assert _audit("stage_updated") == (admin_user, {"stage_id": stage.pk, "changes": {
        "name": [old[0], "Fresh"], "sort": [old[1], 5], "color": [old[2], "#112233"],
        "semantic": ["process", "failure"]}})


def test_a_stage_with_deals_keeps_its_semantic_but_may_be_renamed(admin_user, pipeline):
    stage = pipeline.stages.get(code="NEW")
    deal_create(actor=admin_user, data={"title": "Roof", "stage_id": stage.pk})
    err = refusal(lambda: stage_update(stage=stage, actor=admin_user, data={"semantic": "failure"}))
    assert (err.code, err.field, err.message) == (
        ErrorCode.IN_USE, "semantic", "the semantic of a stage with deals cannot change")
    assert Stage.objects.get(pk=stage.pk).semantic == "process"
    assert not AuditLog.objects.filter(action="stage_updated").exists()
    # Sending the semantic it already has is no change and passes.
    stage_update(stage=stage, actor=admin_user, data={"semantic": "process", "name": "Incoming"})
    assert Stage.objects.get(pk=stage.pk).name == "Incoming"


@pytest.mark.parametrize(("data", "expected"), [
    ({"name": ""}, (ErrorCode.VALIDATION, "name", "name is required")),
    ({"name": None}, (ErrorCode.VALIDATION, "name", "name is required")),
    ({"sort": "last"}, (ErrorCode.VALIDATION, "sort", "sort must be an integer")),
])
def test_a_stage_update_with_bad_values_is_refused_and_nothing_changed(admin_user, pipeline, data, expected):
    stage = pipeline.stages.get(code="NEW")
    old = (stage.name, stage.sort)
    err = refusal(lambda: stage_update(stage=stage, actor=admin_user, data=data))
    assert (err.code, err.field, err.message) == expected
    stored = Stage.objects.get(pk=stage.pk)
    assert (stored.name, stored.sort) == old
    assert not AuditLog.objects.filter(action="stage_updated").exists()


def test_a_stage_with_deals_cannot_be_deleted(admin_user, pipeline):
    stage = pipeline.stages.get(code="NEW")
    deal_create(actor=admin_user, data={"title": "Roof", "stage_id": stage.pk})
    err = refusal(lambda: stage_delete(stage=stage, actor=admin_user))
    assert (err.code, err.field, err.message) == (ErrorCode.IN_USE, None, f"stage {stage.pk} still has deals")
    assert Stage.objects.filter(pk=stage.pk).exists()
    assert not AuditLog.objects.filter(action="stage_deleted").exists()


def test_deleting_an_empty_stage_is_audited_with_its_id_and_code(admin_user, pipeline):
    stage = pipeline.stages.get(code="PREPARATION")
    stage_pk = stage.pk
    stage_delete(stage=stage, actor=admin_user)
    assert not Stage.objects.filter(pk=stage_pk).exists()
    assert _audit("stage_deleted") == (admin_user, {"stage_id": stage_pk, "code": "PREPARATION"})


# --- lead statuses ---------------------------------------------------------------------------------


def test_a_lead_status_is_stored_as_given_and_its_creation_audited(admin_user):
    lead_status_create(actor=admin_user, data={
        "code": "call_back", "name": " Call back ", "sort": 15, "semantic": "failure", "color": "#00ff00"})
    stored = LeadStatus.objects.get(code="CALL_BACK")
    assert (stored.name, stored.sort, stored.semantic, stored.color, stored.system) == (
        "Call back", 15, "failure", "#00ff00", False)
    assert _audit("lead_status_created") == (admin_user, {"code": "CALL_BACK"})


def test_a_lead_status_given_only_code_and_name_is_in_progress_sorted_at_forty_without_colour(admin_user):
    lead_status_create(actor=admin_user, data={"code": "WAITING", "name": "Waiting"})
    stored = LeadStatus.objects.get(code="WAITING")
    assert (stored.sort, stored.semantic, stored.color) == (40, "process", "")


@pytest.mark.parametrize(("data", "expected"), [
    ({"code": "junk", "name": "Junk again"}, (ErrorCode.CONFLICT, "code", "lead status 'JUNK' exists")),
    ({"code": "WON", "name": "Won", "semantic": "success"},
     (ErrorCode.VALIDATION, "semantic", "there is exactly one converted status (CONVERTED)")),
    ({"code": "WAITING"}, (ErrorCode.VALIDATION, "name", "name is required")),
    ({"code": "WAITING", "name": " "}, (ErrorCode.VALIDATION, "name", "name is required")),
    ({"code": "WAITING", "name": "Waiting", "sort": "soon"},
     (ErrorCode.VALIDATION, "sort", "sort must be an integer")),
])
def test_a_lead_status_with_bad_values_is_refused_and_nothing_written(admin_user, data, expected):
    before = LeadStatus.objects.count()
    err = refusal(lambda: lead_status_create(actor=admin_user, data=data))
    assert (err.code, err.field, err.message) == expected
    assert LeadStatus.objects.count() == before
    assert not AuditLog.objects.filter(action="lead_status_created").exists()


def test_a_lead_status_can_be_renamed_re_sorted_and_re_coloured_and_is_audited(admin_user):
    status = LeadStatus.objects.get(code="PROCESSED")
    old = (status.name, status.sort, status.color)
    lead_status_update(status=status, actor=admin_user, data={
        "name": " Done ", "sort": 35, "color": "#123456", "semantic": "process"})
    stored = LeadStatus.objects.get(code="PROCESSED")
    assert (stored.name, stored.sort, stored.color, stored.semantic) == ("Done", 35, "#123456", "process")
    assert _audit("lead_status_updated") == (admin_user, {"code": "PROCESSED", "changes": {
        "name": [old[0], "Done"], "sort": [old[1], 35], "color": [old[2], "#123456"]}})


@pytest.mark.parametrize(("data", "expected"), [
    ({"semantic": "failure"}, (ErrorCode.VALIDATION, "semantic", "the semantic of a lead status cannot change")),
    ({"name": ""}, (ErrorCode.VALIDATION, "name", "name is required")),
    ({"name": None}, (ErrorCode.VALIDATION, "name", "name is required")),
    ({"sort": "late"}, (ErrorCode.VALIDATION, "sort", "sort must be an integer")),
    ({"color": "green"},
     (ErrorCode.VALIDATION, "color", "color must be #rrggbb (six hexadecimal digits), not 'green'")),
])
def test_a_lead_status_update_with_bad_values_is_refused_and_nothing_changed(admin_user, data, expected):
    status = LeadStatus.objects.get(code="PROCESSED")
    old = (status.name, status.sort, status.color, status.semantic)
    err = refusal(lambda: lead_status_update(status=status, actor=admin_user, data=data))
    assert (err.code, err.field, err.message) == expected
    stored = LeadStatus.objects.get(code="PROCESSED")
    assert (stored.name, stored.sort, stored.color, stored.semantic) == old
    assert not AuditLog.objects.filter(action="lead_status_updated").exists()


def test_a_built_in_lead_status_cannot_be_deleted(admin_user):
    err = refusal(lambda: lead_status_delete(status=LeadStatus.objects.get(code="NEW"), actor=admin_user))
    assert (err.code, err.field, err.message) == (ErrorCode.CONFLICT, None, "built-in status NEW cannot be deleted")
    assert LeadStatus.objects.filter(code="NEW").exists()


def test_a_lead_status_that_a_lead_has_cannot_be_deleted(admin_user):
    status = lead_status_create(actor=admin_user, data={"code": "WAITING", "name": "Waiting"})
    # Simple mode (the default) would convert the lead at once; here it stays in WAITING.
    lead_create(actor=admin_user, data={"title": "Roof", "status_id": "WAITING"}, convert_in_simple_mode=False)
    err = refusal(lambda: lead_status_delete(status=status, actor=admin_user))
    assert (err.code, err.field, err.message) == (ErrorCode.IN_USE, None, "lead status WAITING is still in use")
    assert LeadStatus.objects.filter(code="WAITING").exists()
    assert not AuditLog.objects.filter(action="lead_status_deleted").exists()


def test_deleting_an_unused_custom_lead_status_is_audited(admin_user):
    status = lead_status_create(actor=admin_user, data={"code": "WAITING", "name": "Waiting"})
    lead_status_delete(status=status, actor=admin_user)
    assert not LeadStatus.objects.filter(code="WAITING").exists()
    assert _audit("lead_status_deleted") == (admin_user, {"code": "WAITING"})
