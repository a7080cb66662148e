"""Starting a CRM-mode switch (``crm_mode_switch``): the refusals, the settings it writes, the switch row,
the audit entry and the ``crm_mode.switched`` event — what an admin and a subscribed integration see the
moment the wizard is confirmed (the conversion job's own behaviour is in the other switch tests)."""

from __future__ import annotations

import pytest

from kontor.core.errors import ErrorCode, KontorError
from kontor.crm.enums import CrmMode, EntityType
from kontor.crm.models import AuditLog, CrmSettings, CustomField, Lead, Pipeline, Stage
from kontor.crm.services import lead_create, pipeline_create
from kontor.crm.services.custom_fields import custom_field_create
from kontor.modes.models import ModeSwitch
from kontor.modes.services import crm_mode_switch

from .conftest import set_mode

pytestmark = pytest.mark.django_db


def _refused(**kwargs) -> KontorError:
    with pytest.raises(KontorError) as err:
        crm_mode_switch(actor=None, **kwargs)
    return err.value


def _unchanged(mode: str) -> None:
    assert CrmSettings.objects.get(pk=1).mode == mode
    assert not ModeSwitch.objects.exists()
    assert not AuditLog.objects.filter(action="crm_mode_switched").exists()


@pytest.fixture
def switched(published):
    return published(lambda e: (e.name, e.actor_id, e.data) if e.name == "crm_mode.switched" else None)


def _events(seen) -> list:
    return [e for e in seen if e is not None]


@pytest.mark.parametrize(("kwargs", "code", "message", "field"), [
    ({"mode": "hybrid"}, ErrorCode.VALIDATION, "mode must be simple or classic", "mode"),
    ({"mode": "simple", "create_contacts": "yes"}, ErrorCode.VALIDATION, "create_contacts must be true or false",
     "create_contacts"),
    ({"mode": "simple", "create_companies": 1}, ErrorCode.VALIDATION, "create_companies must be true or false",
     "create_companies"),
    ({"mode": "simple", "keep_open_activities": None}, ErrorCode.VALIDATION,
     "keep_open_activities must be true or false", "keep_open_activities"),
    ({"mode": "simple", "create_missing_fields": "N"}, ErrorCode.VALIDATION,
     "create_missing_fields must be true or false", "create_missing_fields"),
    ({"mode": "classic"}, ErrorCode.WRONG_MODE, "the CRM is already in classic mode", None),
    ({"mode": "simple", "pipeline_id": 1, "new_pipeline_name": "Neu"}, ErrorCode.VALIDATION,
     "give either pipeline_id or new_pipeline_name, not both", "new_pipeline_name"),
    ({"mode": "simple", "new_pipeline_name": 5}, ErrorCode.VALIDATION, "new_pipeline_name must be a string",
     "new_pipeline_name"),
    ({"mode": "simple", "pipeline_id": 999999}, ErrorCode.VALIDATION, "pipeline_id: pipeline 999999 does not exist",
     "pipeline_id"),
])
def test_a_switch_that_cannot_start_is_refused_and_changes_nothing(classic, kwargs, code, message, field):
    err = _refused(**kwargs)
    assert (err.code, err.message, err.field) == (code, message, field)
    _unchanged(CrmMode.CLASSIC)


def test_a_switch_to_the_mode_the_crm_is_in_is_refused_naming_it(simple):
    err = _refused(mode="simple")
    assert (err.code, err.message) == (ErrorCode.WRONG_MODE, "the CRM is already in simple mode")


def test_a_pipeline_without_stages_is_refused_before_anything_changes(classic):
    empty = pipeline_create(name="Leer", default_stages=False)
    fields_before = CustomField.objects.count()
    custom_field_create(entity_type=EntityType.LEAD, code="BUDGET", type="money")
    err = _refused(mode="simple", pipeline_id=empty.pk)
    assert (err.code, err.message, err.field) == (ErrorCode.VALIDATION, f"pipeline {empty.pk} has no stages",
                                                  "pipeline_id")
    _unchanged(CrmMode.CLASSIC)
    assert CustomField.objects.count() == fields_before + 1  # the deal field was not made either


def test_a_second_switch_waits_for_the_first(classic, admin_user):
    lead_create(actor=admin_user, data={"title": "Offen"})
    running = crm_mode_switch(actor=admin_user, mode="simple")
    set_mode(CrmMode.CLASSIC)
    err = _refused(mode="simple")
    assert (err.code, err.message) == (ErrorCode.SWITCH_IN_PROGRESS, f"switch {running.pk} is still queued")
    assert ModeSwitch.objects.count() == 1


def test_switching_to_classic_is_done_at_once_and_announced(simple, admin_user, switched):
    switch = crm_mode_switch(actor=admin_user, mode="classic")
    assert CrmSettings.objects.get(pk=1).mode == CrmMode.CLASSIC
    row = ModeSwitch.objects.get(pk=switch.pk)
    assert (row.status, row.from_mode, row.to_mode, row.actor_id, row.options, row.is_active, row.total) == (
        "done", "simple", "classic", admin_user.pk, {}, None, 0)
    assert row.started_at == row.finished_at is not None
    audit = AuditLog.objects.get(action="crm_mode_switched")
    assert (row.audit_id, audit.actor_id, audit.data) == (audit.pk, admin_user.pk, {
        "from": "simple", "to": "classic", "total": 0, "converted": 0, "failed": 0})
    assert _events(switched) == [("crm_mode.switched", admin_user.pk, {
        "switch_id": switch.pk, "from": "simple", "to": "classic", "status": "done", "total": 0,
        "pipeline_id": None})]


def test_switching_to_simple_without_leads_in_progress_is_done_at_once(classic, admin_user, switched):
    default = Pipeline.objects.get(is_default=True)
    switch = crm_mode_switch(actor=admin_user, mode="simple", create_companies=False, create_missing_fields=False)
    settings = CrmSettings.objects.get(pk=1)
    assert (settings.mode, settings.simple_pipeline_id, settings.create_company) == ("simple", default.pk, False)
    row = ModeSwitch.objects.get(pk=switch.pk)
    assert (row.status, row.total, row.is_active, row.pipeline_id, row.max_lead_id) == ("done", 0, None, default.pk, 0)
    assert row.started_at == row.finished_at is not None
    options = {"create_contacts": True, "create_companies": False, "keep_open_activities": True}
    assert row.options == options
    assert AuditLog.objects.get(action="crm_mode_switched").data == {
        "from": "classic", "to": "simple", "pipeline_id": default.pk, "options": options, "total": 0,
        "converted": 0, "failed": 0, "switch_id": switch.pk}
    assert _events(switched) == [("crm_mode.switched", admin_user.pk, {
        "switch_id": switch.pk, "from": "classic", "to": "simple", "status": "done", "total": 0,
        "pipeline_id": default.pk})]


def test_switching_to_simple_with_leads_in_progress_queues_their_conversion(classic, admin_user,
                                                                           django_capture_on_commit_callbacks):
    leads = [lead_create(actor=admin_user, data={"title": f"L{i}"}) for i in range(3)]
    Lead.objects.filter(pk=leads[2].pk).update(status_id="JUNK")
    with django_capture_on_commit_callbacks() as callbacks:
        switch = crm_mode_switch(actor=admin_user, mode="simple", keep_open_activities=False)
    row = ModeSwitch.objects.get(pk=switch.pk)
    assert (row.status, row.total, row.is_active, row.finished_at, row.max_lead_id) == (
        "queued", 2, True, None, leads[2].pk)
    assert {k: row.options[k] for k in ("create_contacts", "create_companies", "keep_open_activities")} == {
        "create_contacts": True, "create_companies": True, "keep_open_activities": False}  # the defaults but one
    assert CrmSettings.objects.get(pk=1).mode == CrmMode.SIMPLE  # new inquiries become deals at once
    assert len(callbacks) == 1  # the conversion job, queued when the switch commits


def test_a_new_pipeline_named_in_the_wizard_is_made_with_default_stages_and_chosen(classic, admin_user):
    switch = crm_mode_switch(actor=admin_user, mode="simple", new_pipeline_name=" Anfragen ")
    made = Pipeline.objects.get(name="Anfragen")
    assert Stage.objects.filter(pipeline=made).count() == 8
    assert (ModeSwitch.objects.get(pk=switch.pk).pipeline_id, CrmSettings.objects.get(pk=1).simple_pipeline_id) == (
        made.pk, made.pk)
    assert ModeSwitch.objects.get(pk=switch.pk).options["new_pipeline_name"] == "Anfragen"


def test_a_pipeline_chosen_in_the_wizard_becomes_simple_modes_pipeline(classic, admin_user):
    chosen = pipeline_create(name="Service")
    switch = crm_mode_switch(actor=admin_user, mode="simple", pipeline_id=str(chosen.pk), create_contacts=False)
    assert (ModeSwitch.objects.get(pk=switch.pk).pipeline_id, CrmSettings.objects.get(pk=1).simple_pipeline_id) == (
        chosen.pk, chosen.pk)
    assert CrmSettings.objects.get(pk=1).create_company is True
    assert ModeSwitch.objects.get(pk=switch.pk).options["create_contacts"] is False


def test_without_a_choice_the_switch_keeps_simple_modes_pipeline(classic, admin_user):
    kept = pipeline_create(name="Service")
    CrmSettings.objects.filter(pk=1).update(simple_pipeline=kept)
    switch = crm_mode_switch(actor=admin_user, mode="simple")
    assert ModeSwitch.objects.get(pk=switch.pk).pipeline_id == kept.pk
    assert "new_pipeline_name" not in ModeSwitch.objects.get(pk=switch.pk).options


def test_missing_deal_fields_are_made_unless_told_not_to(classic, admin_user):
    custom_field_create(entity_type=EntityType.LEAD, code="BUDGET", type="money")
    told_not = crm_mode_switch(actor=admin_user, mode="simple", create_missing_fields=False)
    assert not CustomField.objects.filter(entity_type=EntityType.DEAL, code="UF_CRM_BUDGET").exists()
    assert "fields_created" not in ModeSwitch.objects.get(pk=told_not.pk).options
    crm_mode_switch(actor=admin_user, mode="classic")
    switch = crm_mode_switch(actor=admin_user, mode="simple")
    assert CustomField.objects.filter(entity_type=EntityType.DEAL, code="UF_CRM_BUDGET").exists()
    assert ModeSwitch.objects.get(pk=switch.pk).options["fields_created"]
    assert AuditLog.objects.filter(action="crm_mode_switched").latest("id").data["options"]["fields_created"]


def test_a_switch_making_neither_contacts_nor_companies_makes_contacts(classic, admin_user):
    switch = crm_mode_switch(actor=admin_user, mode="simple", create_contacts=False, create_companies=False,
                             create_missing_fields=False)
    assert ModeSwitch.objects.get(pk=switch.pk).options == {
        "create_contacts": True, "create_companies": False, "keep_open_activities": True}  # as Bitrix24 does
    assert CrmSettings.objects.get(pk=1).create_company is False


def test_what_the_wizard_makes_is_audited_as_the_admins(classic, admin_user):
    custom_field_create(entity_type=EntityType.LEAD, code="BUDGET", type="money")
    crm_mode_switch(actor=admin_user, mode="simple", new_pipeline_name="Anfragen")
    assert AuditLog.objects.get(action="pipeline_created").actor == admin_user
    made = AuditLog.objects.filter(action="custom_field.create").latest("id")
    assert (made.actor, made.data["entity"], made.data["code"]) == (admin_user, "deal", "UF_CRM_BUDGET")


def test_a_switch_started_by_another_admin_at_the_same_moment_is_refused(classic, admin_user, monkeypatch):
    from kontor.modes import services

    lead_create(actor=admin_user, data={"title": "Offen"})
    first = crm_mode_switch(actor=admin_user, mode="simple")
    set_mode(CrmMode.CLASSIC)
    # the other admin's switch committed after this one looked for a running switch
    monkeypatch.setattr(services, "active_switch", lambda: None)
    err = _refused(mode="simple")
    assert (err.code, err.message) == (ErrorCode.SWITCH_IN_PROGRESS, "another switch is running")
    assert list(ModeSwitch.objects.values_list("pk", flat=True)) == [first.pk]
    assert CrmSettings.objects.get(pk=1).mode == CrmMode.CLASSIC
