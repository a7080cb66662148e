"""Changing and deleting leads, deals and contacts: behaviour the surviving mutants of
``kontor.crm.services`` (leads, deals, contacts) showed untested (docs/mutation.md).

Pinned down: the refusals (code, message, field) and that nothing was written when refused; what a
custom role lets a manager change or delete; the stored values (return-customer flag, contact and
company order, stage); the events the services publish (what webhooks receive) and the timeline
entries they become, with their actor."""

from __future__ import annotations

import pytest

from kontor.core.errors import ErrorCode
from kontor.crm.enums import EntityType, TimelineKind
from kontor.crm.models import (
    Activity,
    ActivityBinding,
    Contact,
    ContactCompany,
    Deal,
    DealContact,
    Lead,
    Pipeline,
    Stage,
    TimelineEntry,
)
from kontor.crm.services import (
    activity_create,
    company_create,
    contact_create,
    contact_delete,
    contact_update,
    deal_contacts_set,
    deal_create,
    deal_delete,
    deal_move_stage,
    deal_update,
    lead_create,
    lead_delete,
    lead_update,
    pipeline_create,
    stage_create,
)
from kontor.crm.services.custom_fields import custom_field_create
from kontor.crm.services.deals import deal_lose

from .conftest import refusal

pytestmark = pytest.mark.django_db


def _lead(*, actor, data) -> Lead:
    """A lead as in classic mode (simple mode would convert it at once)."""
    return lead_create(actor=actor, data=data, convert_in_simple_mode=False)


@pytest.fixture
def events(published):
    """Every event published, as a subscriber (a webhook) receives it."""
    return published()


def _published(events, name: str) -> list[tuple]:
    return [(e.name, e.entity, e.record_id, e.actor_id, e.changes) for e in events if e.name == name]


def _updated(entity_type: EntityType, pk: int) -> TimelineEntry:
    return TimelineEntry.objects.get(entity_type=entity_type, entity_id=pk, kind=TimelineKind.UPDATED)


def _change_of(entry: TimelineEntry, field: str) -> tuple:
    change = next(c for c in entry.data["changes"] if c["field"] == field)
    return change["old"], change["new"]


# --- who may change and delete ---------------------------------------------------------------------


CHANGERS = {
    "lead": (lambda actor: _lead(actor=actor, data={"title": "Inquiry", "assigned_id": actor.pk}),
             lambda rec, actor: lead_update(lead=rec, actor=actor, data={"title": "Mine"}), Lead),
    "deal": (lambda actor: deal_create(actor=actor, data={"title": "Inquiry", "assigned_id": actor.pk}),
             lambda rec, actor: deal_update(deal=rec, actor=actor, data={"title": "Mine"}), Deal),
    "contact": (lambda actor: contact_create(actor=actor, data={"name": "Inquiry", "assigned_id": actor.pk}),
                lambda rec, actor: contact_update(contact=rec, actor=actor, data={"name": "Mine"}), Contact),
}
DELETERS = {
    "lead": lambda rec, actor: lead_delete(lead=rec, actor=actor),
    "deal": lambda rec, actor: deal_delete(deal=rec, actor=actor),
    "contact": lambda rec, actor: contact_delete(contact=rec, actor=actor),
}


def _label(rec) -> str:
    return rec.title if hasattr(rec, "title") else rec.name


@pytest.mark.parametrize("kind", list(CHANGERS))
def test_a_manager_who_may_only_read_cannot_change_or_delete_the_record(admin_user, kind, manager_with_role):
    make, change, model = CHANGERS[kind]
    reader = manager_with_role({kind: {"read": "all"}})
    record = make(admin_user)
    err = refusal(lambda: change(record, reader))
    assert (err.code, err.message) == (ErrorCode.PERMISSION_DENIED, f"your role does not allow you to edit this {kind}")
    err = refusal(lambda: DELETERS[kind](record, reader))
    assert (err.code, err.message) == (ErrorCode.PERMISSION_DENIED,
                                       f"your role does not allow you to delete this {kind}")
    assert _label(model.objects.get(pk=record.pk)) == "Inquiry"


@pytest.mark.parametrize("kind", list(CHANGERS))
def test_a_manager_whose_role_allows_it_changes_and_deletes_the_record(admin_user, kind, manager_with_role):
    make, change, model = CHANGERS[kind]
    editor = manager_with_role({kind: {"read": "all", "edit": "all", "delete": "all"}})
    record = make(admin_user)
    change(record, editor)
    assert _label(model.objects.get(pk=record.pk)) == "Mine"
    DELETERS[kind](record, editor)
    assert not model.objects.filter(pk=record.pk).exists()


@pytest.mark.parametrize("kind", list(CHANGERS))
def test_a_manager_limited_to_own_records_cannot_hand_one_to_somebody_else(admin_user, kind, manager_with_role):
    make, _, model = CHANGERS[kind]
    own = manager_with_role({kind: {"read": "own", "add": "own", "edit": "own"}})
    record = make(own)
    update = {"lead": lead_update, "deal": deal_update, "contact": contact_update}[kind]
    err = refusal(lambda: update(**{kind: record}, actor=own, data={"assigned_id": admin_user.pk}))
    assert (err.code, err.field) == (ErrorCode.PERMISSION_DENIED, "assigned_id")
    assert model.objects.get(pk=record.pk).assigned_id == own.pk


@pytest.mark.parametrize("kind", list(CHANGERS))
def test_a_record_with_a_mandatory_custom_field_can_be_changed_without_naming_it(admin_user, kind):
    entity_type = {"lead": EntityType.LEAD, "deal": EntityType.DEAL, "contact": EntityType.CONTACT}[kind]
    make, change, model = CHANGERS[kind]
    record = make(admin_user)
    custom_field_create(actor=admin_user, entity_type=entity_type, code="UF_CRM_WEIGHT", type="integer",
                        mandatory=True)
    change(record, admin_user)
    assert _label(model.objects.get(pk=record.pk)) == "Mine"


# --- leads ----------------------------------------------------------------------------------------


def test_a_converted_lead_cannot_be_changed(admin_user):
    lead = _lead(actor=admin_user, data={"title": "Inquiry"})
    Lead.objects.filter(pk=lead.pk).update(status_id="CONVERTED")
    err = refusal(lambda: lead_update(lead=lead, actor=admin_user, data={"title": "Other"}))
    assert (err.code, err.message) == (ErrorCode.READ_ONLY, f"lead {lead.pk} is converted and can no longer be changed")
    assert Lead.objects.get(pk=lead.pk).title == "Inquiry"


@pytest.mark.parametrize("kind", ["lead", "deal"])
def test_a_title_cannot_be_emptied(admin_user, kind):
    make, _, model = CHANGERS[kind]
    record = make(admin_user)
    update = {"lead": lead_update, "deal": deal_update}[kind]
    err = refusal(lambda: update(**{kind: record}, actor=admin_user, data={"title": ""}))
    assert (err.code, err.message, err.field) == (ErrorCode.VALIDATION, "title must not be empty", "title")
    assert model.objects.get(pk=record.pk).title == "Inquiry"


def test_a_lead_cannot_be_converted_by_setting_its_status(admin_user):
    lead = _lead(actor=admin_user, data={"title": "Inquiry"})
    err = refusal(lambda: lead_update(lead=lead, actor=admin_user, data={"status_id": "CONVERTED"}))
    assert (err.code, err.message, err.field) == (
        ErrorCode.VALIDATION, "status_id: use the convert endpoint to convert a lead", "status_id")
    assert Lead.objects.get(pk=lead.pk).status_id == "NEW"


def test_a_changed_company_title_is_one_change_in_the_lead_timeline(admin_user, events):
    lead = _lead(actor=admin_user, data={"title": "Inquiry", "company_title": "Acme"})
    lead_update(lead=lead, actor=admin_user, data={"company_title": "Acme GmbH"})
    assert _published(events, "lead.updated") == [
        ("lead.updated", "lead", lead.pk, admin_user.pk, {"company_title": ["Acme", "Acme GmbH"]})]
    assert [c["field"] for c in _updated(EntityType.LEAD, lead.pk).data["changes"]] == ["company_title"]


@pytest.mark.parametrize("link", ["contact", "company"])
def test_a_lead_given_a_known_contact_or_company_becomes_a_return_customer(admin_user, link):
    lead = _lead(actor=admin_user, data={"title": "Inquiry"})
    assert Lead.objects.get(pk=lead.pk).is_return_customer is False
    if link == "contact":
        pk = contact_create(actor=admin_user, data={"name": "Erika"}).pk
    else:
        pk = company_create(actor=admin_user, data={"title": "Acme"}).pk
    lead_update(lead=lead, actor=admin_user, data={f"{link}_id": pk})
    assert Lead.objects.get(pk=lead.pk).is_return_customer is True


def test_a_title_change_leaves_the_return_customer_flag_as_it_was(admin_user):
    contact = contact_create(actor=admin_user, data={"name": "Erika"})
    lead = _lead(actor=admin_user, data={"title": "Inquiry", "contact_id": contact.pk})
    assert Lead.objects.get(pk=lead.pk).is_return_customer is True
    contact_delete(contact=contact, actor=admin_user)
    lead_update(lead=lead, actor=admin_user, data={"title": "Follow-up"})
    stored = Lead.objects.get(pk=lead.pk)
    assert (stored.contact_id, stored.is_return_customer) == (None, True)


def test_the_lead_timeline_shows_a_changed_phone_from_old_to_new(admin_user):
    lead = _lead(actor=admin_user, data={"title": "Inquiry", "phones": ["030 1234567"]})
    lead_update(lead=lead, actor=admin_user, data={"phones": ["040 7654321"]})
    assert _change_of(_updated(EntityType.LEAD, lead.pk), "phones") == (["030 1234567"], ["040 7654321"])


@pytest.mark.parametrize("kind", ["lead", "contact"])
def test_deleting_a_record_publishes_its_deletion_by_the_actor(admin_user, events, kind):
    make, _, model = CHANGERS[kind]
    pk = make(admin_user).pk
    DELETERS[kind](model.objects.get(pk=pk), admin_user)
    assert _published(events, f"{kind}.deleted") == [(f"{kind}.deleted", kind, pk, admin_user.pk, None)]


def test_deleting_a_deal_publishes_its_deletion_by_the_actor(admin_user, events):
    pk = deal_create(actor=admin_user, data={"title": "Inquiry"}).pk
    deal_delete(deal=Deal.objects.get(pk=pk), actor=admin_user)
    assert [(e.record_id, e.actor_id) for e in events if e.name == "deal.deleted"] == [(pk, admin_user.pk)]


def _contact_with_id(admin_user, pk: int) -> Contact:
    """A contact whose id is ``pk`` (the id of a record of another kind)."""
    if not Contact.objects.filter(pk=pk).exists():
        contact = contact_create(actor=admin_user, data={"name": "Erika"})
        Contact.objects.filter(pk=contact.pk).update(id=pk)
    return Contact.objects.get(pk=pk)


def _activity(actor, subject: str, *bindings: tuple[str, int]) -> Activity:
    return activity_create(actor=actor, data={
        "subject": subject, "bindings": [{"entity": e, "id": pk} for e, pk in bindings]})


def test_deleting_a_lead_deletes_its_own_activities_and_leaves_other_records_bindings(admin_user):
    lead = _lead(actor=admin_user, data={"title": "Inquiry"})
    other_lead = _lead(actor=admin_user, data={"title": "Other"})
    contact = _contact_with_id(admin_user, lead.pk)  # its bindings must not be taken for the lead's
    own = _activity(admin_user, "Call back", ("lead", lead.pk))
    of_other = _activity(admin_user, "Offer", ("lead", other_lead.pk))
    of_contact = _activity(admin_user, "Visit", ("contact", contact.pk))
    lead_delete(lead=lead, actor=admin_user)
    assert not Activity.objects.filter(pk=own.pk).exists()
    assert ActivityBinding.objects.filter(activity_id=of_other.pk, entity_type=EntityType.LEAD,
                                          entity_id=other_lead.pk).exists()
    assert ActivityBinding.objects.filter(activity_id=of_contact.pk, entity_type=EntityType.CONTACT,
                                          entity_id=contact.pk).exists()


# --- deals ----------------------------------------------------------------------------------------


def _second_pipeline(admin_user) -> tuple[Pipeline, Stage, Stage]:
    pipeline = pipeline_create(actor=admin_user, name="Projects")
    stages = list(Stage.objects.filter(pipeline=pipeline).order_by("sort", "id"))
    if len(stages) < 2:
        stage_create(actor=admin_user, pipeline=pipeline, data={"code": "DONE", "name": "Done"})
        stages = list(Stage.objects.filter(pipeline=pipeline).order_by("sort", "id"))
    return pipeline, stages[0], stages[1]


def test_a_deal_cannot_be_put_in_a_stage_of_another_pipeline_without_naming_it(admin_user):
    deal = deal_create(actor=admin_user, data={"title": "Inquiry"})
    _, stage, _ = _second_pipeline(admin_user)
    err = refusal(lambda: deal_update(deal=deal, actor=admin_user, data={"stage_id": stage.pk}))
    assert (err.code, err.field) == (ErrorCode.VALIDATION, "stage_id")
    assert err.message == f"stage_id: stage {stage.pk} does not belong to pipeline {deal.pipeline_id}"
    assert Deal.objects.get(pk=deal.pk).stage_id == deal.stage_id


def test_a_deal_moved_to_another_pipeline_publishes_stage_and_pipeline_ids(admin_user, events):
    deal = deal_create(actor=admin_user, data={"title": "Inquiry"})
    old_stage, old_pipeline = deal.stage_id, deal.pipeline_id
    pipeline, stage, _ = _second_pipeline(admin_user)
    deal_update(deal=deal, actor=admin_user, data={"pipeline_id": pipeline.pk})
    assert _published(events, "deal.updated") == [
        ("deal.updated", "deal", deal.pk, admin_user.pk,
         {"stage_id": [old_stage, stage.pk], "pipeline_id": [old_pipeline, pipeline.pk]})]
    entry = TimelineEntry.objects.get(entity_type=EntityType.DEAL, entity_id=deal.pk, kind=TimelineKind.STAGE_CHANGED)
    assert entry.actor == admin_user


def _contacts(admin_user, *names: str) -> list[int]:
    return [contact_create(actor=admin_user, data={"name": n}).pk for n in names]


def test_changed_deal_contacts_are_published_and_shown_from_old_to_new(admin_user, events):
    a, b = _contacts(admin_user, "Anna", "Bert")
    deal_create(actor=admin_user, data={"title": "Earlier", "contact_ids": [b, a]})  # link ids are not contact ids
    deal = deal_create(actor=admin_user, data={"title": "Inquiry", "contact_ids": [a, b]})
    deal_update(deal=deal, actor=admin_user, data={"contact_ids": [b, a]})
    assert _published(events, "deal.updated") == [
        ("deal.updated", "deal", deal.pk, admin_user.pk, {"contact_ids": [[a, b], [b, a]]})]
    assert _change_of(_updated(EntityType.DEAL, deal.pk), "contact_ids") == ([a, b], [b, a])
    assert list(DealContact.objects.filter(deal=deal).order_by("sort").values_list("contact_id", "is_primary")) == [
        (b, True), (a, False)]


def test_a_deals_primary_contact_alone_changes_its_contact_list(admin_user, events):
    a, b = _contacts(admin_user, "Anna", "Bert")
    deal = deal_create(actor=admin_user, data={"title": "Inquiry", "contact_ids": [a]})
    deal_update(deal=deal, actor=admin_user, data={"contact_id": b})
    assert _published(events, "deal.updated") == [
        ("deal.updated", "deal", deal.pk, admin_user.pk, {"contact_ids": [[a], [b]]})]
    assert Deal.objects.get(pk=deal.pk).contact_id == b


def test_deal_contacts_in_the_order_shown_are_no_change(admin_user, events):
    a, b, c = _contacts(admin_user, "Anna", "Bert", "Carl")
    deal = deal_create(actor=admin_user, data={"title": "Inquiry", "contact_ids": [a, b, c]})
    # As another client may have stored them: the primary sorted last, the others out of id order.
    DealContact.objects.filter(deal=deal, contact_id=a).update(sort=50)
    DealContact.objects.filter(deal=deal, contact_id=b).update(sort=40)
    DealContact.objects.filter(deal=deal, contact_id=c).update(sort=30)
    deal_update(deal=deal, actor=admin_user, data={"contact_ids": [a, c, b]})
    assert _published(events, "deal.updated") == []
    assert not TimelineEntry.objects.filter(entity_type=EntityType.DEAL, entity_id=deal.pk,
                                            kind=TimelineKind.UPDATED).exists()


def test_deal_contacts_set_replaces_the_contacts_by_the_actor(admin_user, events):
    a, b = _contacts(admin_user, "Anna", "Bert")
    deal = deal_create(actor=admin_user, data={"title": "Inquiry", "contact_ids": [a]})
    deal_contacts_set(deal=deal, actor=admin_user, contact_ids=(b, a))
    assert list(DealContact.objects.filter(deal=deal).order_by("sort").values_list("contact_id", "is_primary")) == [
        (b, True), (a, False)]
    assert _published(events, "deal.updated") == [
        ("deal.updated", "deal", deal.pk, admin_user.pk, {"contact_ids": [[a], [b, a]]})]


def test_moving_a_deal_within_its_pipeline_publishes_the_stage_change_by_the_actor(admin_user, events):
    deal = deal_create(actor=admin_user, data={"title": "Inquiry"})
    old = deal.stage
    stage = Stage.objects.get(pipeline_id=deal.pipeline_id, code="PREPARATION")
    deal_move_stage(deal=deal, stage=stage, actor=admin_user)
    assert _published(events, "deal.updated") == [
        ("deal.updated", "deal", deal.pk, admin_user.pk, {"stage_id": [old.pk, stage.pk]})]
    entry = TimelineEntry.objects.get(entity_type=EntityType.DEAL, entity_id=deal.pk, kind=TimelineKind.STAGE_CHANGED)
    assert (entry.actor, entry.data["from"], entry.data["to"]) == (admin_user, "NEW", "PREPARATION")


def test_moving_a_deal_to_another_pipeline_publishes_the_pipeline_change(admin_user, events):
    deal = deal_create(actor=admin_user, data={"title": "Inquiry"})
    old = deal.stage
    pipeline, _, stage = _second_pipeline(admin_user)
    deal_move_stage(deal=deal, stage=stage, actor=admin_user)
    assert _published(events, "deal.updated") == [
        ("deal.updated", "deal", deal.pk, admin_user.pk,
         {"stage_id": [old.pk, stage.pk], "pipeline_id": [old.pipeline_id, pipeline.pk]})]
    assert Deal.objects.get(pk=deal.pk).pipeline_id == pipeline.pk


@pytest.mark.parametrize("op", ["move", "lose"])
def test_a_manager_who_may_only_read_deals_cannot_move_or_lose_one(admin_user, op, manager_with_role):
    reader = manager_with_role({"deal": {"read": "all"}})
    deal = deal_create(actor=admin_user, data={"title": "Inquiry"})
    lose = Stage.objects.get(pipeline_id=deal.pipeline_id, code="LOSE")
    if op == "move":
        call = lambda: deal_move_stage(deal=deal, stage=lose, actor=reader)  # noqa: E731
    else:
        call = lambda: deal_lose(deal=deal, stage=lose, reason="Too dear", close_activities=False,  # noqa: E731
                                 actor=reader)
    err = refusal(call)
    assert (err.code, err.message) == (ErrorCode.PERMISSION_DENIED, "your role does not allow you to edit this deal")
    assert Deal.objects.get(pk=deal.pk).stage_id == deal.stage_id


def test_a_manager_whose_role_allows_editing_deals_moves_one(admin_user, manager_with_role):
    editor = manager_with_role({"deal": {"read": "all", "edit": "all"}})
    deal = deal_create(actor=admin_user, data={"title": "Inquiry"})
    stage = Stage.objects.get(pipeline_id=deal.pipeline_id, code="PREPARATION")
    deal_move_stage(deal=deal, stage=stage, actor=editor)
    assert Deal.objects.get(pk=deal.pk).stage_id == stage.pk


def test_a_deal_can_only_be_lost_to_a_failure_stage(admin_user):
    deal = deal_create(actor=admin_user, data={"title": "Inquiry"})
    won = Stage.objects.get(pipeline_id=deal.pipeline_id, code="WON")
    err = refusal(lambda: deal_lose(deal=deal, stage=won, reason="x", close_activities=False, actor=admin_user))
    assert (err.code, err.message, err.field) == (
        ErrorCode.VALIDATION, "stage_id must be a failure (lost) stage", "stage_id")
    assert Deal.objects.get(pk=deal.pk).stage_id == deal.stage_id


def test_a_lost_deal_keeps_the_reason_as_a_note_by_the_actor(admin_user, events):
    deal = deal_create(actor=admin_user, data={"title": "Inquiry"})
    lose = Stage.objects.get(pipeline_id=deal.pipeline_id, code="LOSE")
    deal_lose(deal=deal, stage=lose, reason="Too dear", close_activities=False, actor=admin_user)
    note = TimelineEntry.objects.get(entity_type=EntityType.DEAL, entity_id=deal.pk, kind=TimelineKind.COMMENT)
    assert (note.actor, note.data) == (admin_user, {"text": "Too dear", "lost_reason": True, "stage": lose.name})
    moved = TimelineEntry.objects.get(entity_type=EntityType.DEAL, entity_id=deal.pk, kind=TimelineKind.STAGE_CHANGED)
    assert moved.actor == admin_user
    assert [e.actor_id for e in events if e.name == "deal.updated"] == [admin_user.pk]


def test_losing_a_deal_without_a_reason_is_refused_naming_the_reason(admin_user):
    deal = deal_create(actor=admin_user, data={"title": "Inquiry"})
    lose = Stage.objects.get(pipeline_id=deal.pipeline_id, code="LOSE")
    err = refusal(lambda: deal_lose(deal=deal, stage=lose, reason=" ", close_activities=False, actor=admin_user))
    assert (err.code, err.message, err.field) == (ErrorCode.VALIDATION, "reason: a text is required", "reason")
    assert Deal.objects.get(pk=deal.pk).stage_id == deal.stage_id


def test_losing_a_deal_completes_only_its_own_open_activities_by_the_actor(admin_user):
    deal = deal_create(actor=admin_user, data={"title": "Inquiry"})
    other_deal = deal_create(actor=admin_user, data={"title": "Other"})
    _contact_with_id(admin_user, deal.pk)  # its activities are not the deal's
    own = _activity(admin_user, "Call back", ("deal", deal.pk))
    of_other = _activity(admin_user, "Offer", ("deal", other_deal.pk))
    of_contact = _activity(admin_user, "Visit", ("contact", deal.pk))
    lose = Stage.objects.get(pipeline_id=deal.pipeline_id, code="LOSE")
    deal_lose(deal=deal, stage=lose, reason="Too dear", close_activities=True, actor=admin_user)
    done = dict(Activity.objects.filter(pk__in=[own.pk, of_other.pk, of_contact.pk]).values_list("pk", "completed"))
    assert done == {own.pk: True, of_other.pk: False, of_contact.pk: False}
    entry = TimelineEntry.objects.get(entity_type=EntityType.DEAL, entity_id=deal.pk,
                                      kind=TimelineKind.ACTIVITY_COMPLETED)
    assert entry.actor == admin_user


# --- contacts -------------------------------------------------------------------------------------


def test_a_contact_keeps_a_first_or_last_name(admin_user):
    contact = contact_create(actor=admin_user, data={"name": "Erika"})
    err = refusal(lambda: contact_update(contact=contact, actor=admin_user, data={"name": ""}))
    assert (err.code, err.message, err.field) == (ErrorCode.VALIDATION, "name or last_name is required", "name")
    assert Contact.objects.get(pk=contact.pk).name == "Erika"


def _companies(admin_user, *titles: str) -> list[int]:
    return [company_create(actor=admin_user, data={"title": t}).pk for t in titles]


def test_changed_contact_companies_are_published_and_shown_from_old_to_new(admin_user, events):
    a, b = _companies(admin_user, "Acme", "Bolt")
    contact_create(actor=admin_user, data={"name": "Otto", "company_ids": [b, a]})  # link ids are not company ids
    contact = contact_create(actor=admin_user, data={"name": "Erika", "company_ids": [a, b]})
    contact_update(contact=contact, actor=admin_user, data={"company_ids": [b, a]})
    assert _published(events, "contact.updated") == [
        ("contact.updated", "contact", contact.pk, admin_user.pk, {"company_ids": [[a, b], [b, a]]})]
    assert _change_of(_updated(EntityType.CONTACT, contact.pk), "company_ids") == ([a, b], [b, a])


def test_a_contacts_primary_company_alone_changes_its_company_list(admin_user, events):
    a, b = _companies(admin_user, "Acme", "Bolt")
    contact = contact_create(actor=admin_user, data={"name": "Erika", "company_ids": [a]})
    contact_update(contact=contact, actor=admin_user, data={"company_id": b})
    assert _published(events, "contact.updated") == [
        ("contact.updated", "contact", contact.pk, admin_user.pk, {"company_ids": [[a], [b]]})]
    assert Contact.objects.get(pk=contact.pk).company_id == b


def test_contact_companies_in_the_order_shown_are_no_change(admin_user, events):
    a, b, c = _companies(admin_user, "Acme", "Bolt", "Core")
    contact = contact_create(actor=admin_user, data={"name": "Erika", "company_ids": [a, b, c]})
    ContactCompany.objects.filter(contact=contact, company_id=a).update(sort=50)
    ContactCompany.objects.filter(contact=contact, company_id=b).update(sort=40)
    ContactCompany.objects.filter(contact=contact, company_id=c).update(sort=30)
    contact_update(contact=contact, actor=admin_user, data={"company_ids": [a, c, b]})
    assert _published(events, "contact.updated") == []
    assert not TimelineEntry.objects.filter(entity_type=EntityType.CONTACT, entity_id=contact.pk,
                                            kind=TimelineKind.UPDATED).exists()
