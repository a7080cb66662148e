"""Converting one lead by hand (``lead_convert``): its refusals and defaults — what a user converting a
lead from its page or through the API sees before any record is made. What the conversion then makes is
in test_convert.py."""

from __future__ import annotations

import pytest

from kontor.core.errors import ErrorCode, KontorError
from kontor.crm.enums import EntityType, TimelineKind
from kontor.crm.models import (
    Activity,
    AuditLog,
    Company,
    Contact,
    CustomField,
    Deal,
    Lead,
    Pipeline,
    Stage,
    TimelineEntry,
)
from kontor.crm.services import activity_create, company_create, contact_create, lead_create, pipeline_create
from kontor.crm.services.custom_fields import custom_field_create
from kontor.modes.services import lead_convert

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead(classic, admin_user) -> Lead:
    made = lead_create(actor=admin_user, data={"title": "Dach", "name": "Anna", "company_title": "Muster GmbH"})
    activity_create(actor=admin_user, data={"subject": "Rückruf", "bindings": [{"entity": "lead", "id": made.pk}]})
    return made


def _refused(lead, actor=None, **kwargs) -> KontorError:
    with pytest.raises(KontorError) as err:
        lead_convert(lead=lead, actor=actor, **{"deal": {}, **kwargs})
    return err.value


def _nothing_made(lead) -> None:
    assert (Deal.objects.count(), Contact.objects.count(), Company.objects.count()) == (0, 0, 0)
    assert Lead.objects.get(pk=lead.pk).status_id == "NEW"


def test_by_default_a_lead_becomes_a_deal_and_a_contact_keeping_open_activities(lead, admin_user):
    converted = lead_convert(lead=lead, actor=admin_user, deal={})
    stored = Lead.objects.get(pk=lead.pk)
    assert (stored.status_id, stored.deal_id, stored.contact_id, stored.company_id) == (
        "CONVERTED", converted.deal_id, converted.contact_id, None)
    assert Contact.objects.get(pk=stored.contact_id).name == "Anna"
    assert not Company.objects.exists()
    assert Activity.objects.get(subject="Rückruf").completed is False
    assert converted.fields_created == []


@pytest.mark.parametrize(("kwargs", "code", "message", "field"), [
    ({"keep_open_activities": "Y"}, ErrorCode.VALIDATION, "keep_open_activities must be true or false",
     "keep_open_activities"),
    ({"create_missing_fields": 1}, ErrorCode.VALIDATION, "create_missing_fields must be true or false",
     "create_missing_fields"),
    ({"deal": None, "contact": "none"}, ErrorCode.VALIDATION,
     "choose at least one of deal, contact or company to convert into", "deal"),
    ({"contact": "new"}, ErrorCode.VALIDATION, 'contact must be "create", "none" or {"id": N}', "contact"),
    ({"company": {"id": 999999}}, ErrorCode.VALIDATION, "company.id: company 999999 does not exist", "company.id"),
    ({"deal": "sales"}, ErrorCode.VALIDATION, 'deal must be {"pipeline_id", "stage_id"} or null', "deal"),
    ({"deal": None, "contact": None, "company": None}, ErrorCode.VALIDATION,  # null is "none"
     "choose at least one of deal, contact or company to convert into", "deal"),
    ({"contact": ["id"]}, ErrorCode.VALIDATION, 'contact must be "create", "none" or {"id": N}', "contact"),
    ({"contact": {"id": None}}, ErrorCode.VALIDATION, "contact.id is required", "contact"),
    ({"company": {"id": ""}}, ErrorCode.VALIDATION, "company.id is required", "company"),
    ({"deal": {"pipeline_id": 999999}}, ErrorCode.VALIDATION, "deal.pipeline_id: pipeline 999999 does not exist",
     "deal.pipeline_id"),
    ({"deal": {"stage_id": 999999}}, ErrorCode.VALIDATION, "deal.stage_id: stage 999999 does not exist",
     "deal.stage_id"),
])
def test_a_conversion_that_cannot_be_done_is_refused_and_makes_nothing(lead, kwargs, code, message, field):
    err = _refused(lead, **kwargs)
    assert (err.code, err.message, err.field) == (code, message, field)
    _nothing_made(lead)


def test_a_stage_of_another_pipeline_is_refused_and_a_stage_alone_chooses_its_pipeline(lead, admin_user):
    service = pipeline_create(name="Service")
    other_stage = Stage.objects.filter(pipeline=service).order_by("sort", "id")[1]
    default = Pipeline.objects.exclude(pk=service.pk).get()
    err = _refused(lead, deal={"pipeline_id": default.pk, "stage_id": other_stage.pk})
    assert (err.code, err.message, err.field) == (
        ErrorCode.VALIDATION, f"deal.stage_id: stage {other_stage.pk} does not belong to pipeline {default.pk}",
        "deal.stage_id")
    _nothing_made(lead)
    converted = lead_convert(lead=lead, actor=admin_user, deal={"stage_id": other_stage.pk})
    assert Deal.objects.filter(pk=converted.deal_id).values_list("pipeline_id", "stage_id").get() == (
        service.pk, other_stage.pk)


def test_a_converted_lead_cannot_be_converted_again(lead, admin_user):
    lead_convert(lead=lead, actor=admin_user, deal={})
    err = _refused(lead)
    assert (err.code, err.message) == (ErrorCode.ALREADY_CONVERTED, f"lead {lead.pk} is already converted")
    assert Deal.objects.count() == 1


def test_a_junk_lead_must_be_moved_back_before_converting(lead):
    Lead.objects.filter(pk=lead.pk).update(status_id="JUNK")
    err = _refused(lead)
    assert (err.code, err.message) == (
        ErrorCode.CONFLICT, f"lead {lead.pk} is junk; move it back to an in-progress status to convert it")


def test_a_lead_the_switch_is_converting_is_left_to_it(lead, admin_user):
    from kontor.modes.services import crm_mode_switch

    crm_mode_switch(actor=admin_user, mode="simple")
    err = _refused(lead)
    assert (err.code, err.message) == (ErrorCode.SWITCH_IN_PROGRESS,
                                       "the CRM-mode switch is converting this lead right now")
    assert Deal.objects.count() == 0


@pytest.fixture
def own_only(manager_with_role):
    """A manager who may read, add and edit only their own leads, deals, contacts and companies."""
    return manager_with_role({kind: {a: "own" for a in ("read", "add", "edit")}
                              for kind in ("lead", "deal", "contact", "company")}, username="own")


def test_a_contact_the_user_may_not_see_is_answered_as_missing(lead, admin_user, own_only):
    hidden = contact_create(actor=admin_user, data={"name": "Geheim"})
    mine = lead_create(actor=own_only, data={"title": "Meins"})
    with pytest.raises(KontorError) as err:
        lead_convert(lead=mine, actor=own_only, deal=None, contact={"id": hidden.pk})
    assert (err.value.code, err.value.message, err.value.field) == (
        ErrorCode.VALIDATION, f"contact.id: contact {hidden.pk} does not exist", "contact.id")
    assert Lead.objects.get(pk=mine.pk).status_id == "NEW"


def test_a_company_the_user_may_not_see_is_answered_as_missing_beside_a_new_contact(lead, admin_user, own_only):
    hidden = company_create(actor=admin_user, data={"title": "Geheim AG"})
    mine = lead_create(actor=own_only, data={"title": "Meins", "name": "Bea"})
    err = _refused(mine, actor=own_only, contact="create", company={"id": hidden.pk})
    assert (err.code, err.message, err.field) == (
        ErrorCode.VALIDATION, f"company.id: company {hidden.pk} does not exist", "company.id")
    assert (Lead.objects.get(pk=mine.pk).status_id, Deal.objects.count(), Contact.objects.count()) == ("NEW", 0, 0)


def test_the_deal_gets_the_leads_custom_fields_it_lacks_unless_told_not_to(lead, admin_user):
    custom_field_create(entity_type=EntityType.LEAD, code="BUDGET", type="money")
    other = lead_create(actor=admin_user, data={"title": "Zweiter"})
    kept = lead_convert(lead=other, actor=admin_user, deal={}, create_missing_fields=False)
    assert kept.fields_created == []
    assert not CustomField.objects.filter(entity_type=EntityType.DEAL).exists()
    no_deal = lead_convert(lead=lead, actor=admin_user, deal=None)  # only a contact: no deal fields needed
    assert no_deal.fields_created == []
    assert not CustomField.objects.filter(entity_type=EntityType.DEAL).exists()
    third = lead_create(actor=admin_user, data={"title": "Dritter"})
    made = lead_convert(lead=third, actor=admin_user, deal={})
    assert CustomField.objects.filter(entity_type=EntityType.DEAL, code="UF_CRM_BUDGET").exists()
    assert len(made.fields_created) == 1


def test_converting_needs_the_right_to_edit_the_lead(lead, manager_with_role):
    rights = {"read": "all", "add": "all", "edit": "none", "delete": "none"}
    reader = manager_with_role({kind: dict(rights) for kind in ("lead", "deal", "contact", "company", "activity")},
                               username="reader")
    err = _refused(lead, actor=reader)
    assert (err.code, err.message) == (ErrorCode.PERMISSION_DENIED, "your role does not allow you to edit this lead")
    _nothing_made(lead)


def test_what_a_conversion_makes_is_the_converting_users(classic, admin_user, own_only):
    custom_field_create(entity_type=EntityType.LEAD, code="BUDGET", type="money")
    mine = lead_create(actor=own_only, data={"title": "Meins", "name": "Bea", "company_title": "Bea GmbH"})
    converted = lead_convert(lead=mine, actor=own_only, deal={}, company="create")
    for model, pk in ((Deal, converted.deal_id), (Contact, converted.contact_id), (Company, converted.company_id)):
        assert model.objects.get(pk=pk).created_by_id == own_only.pk
    made = AuditLog.objects.filter(action="custom_field.create").latest("id")
    assert (made.actor_id, made.data["entity"], made.data["code"]) == (own_only.pk, "deal", "UF_CRM_BUDGET")
    entry = TimelineEntry.objects.get(entity_type=EntityType.LEAD, entity_id=mine.pk, kind=TimelineKind.CONVERTED)
    assert entry.actor_id == own_only.pk
    assert entry.data == {"deal_id": converted.deal_id, "contact_id": converted.contact_id,
                          "company_id": converted.company_id,
                          "fields_created": [{"entity": "deal", "code": "UF_CRM_BUDGET"}]}
    assert [f.code for f in converted.fields_created] == ["UF_CRM_BUDGET"]
