"""Changing, completing and deleting activities, notes on records, and deleting a company.

Written against the surviving mutants of ``kontor.crm.services`` (docs/mutation.md) in
``activity_update``/``activity_complete``/``activity_delete``, ``note_add``/``note_update``/``note_delete``
and ``company_delete``: who may change or delete (custom roles), the deadline an update derives, the
``{field: [old, new]}`` an activity update announces, the refusals of notes with their code, message and
field, and what happens to a deleted company's contacts and activities.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from django.utils import timezone

from kontor.core.errors import ErrorCode
from kontor.crm.enums import EntityType, TimelineKind
from kontor.crm.models import Activity, ActivityBinding, Company, Contact, ContactCompany, TimelineEntry
from kontor.crm.services import activity_create, company_create, contact_create
from kontor.crm.services.activities import activity_complete, activity_delete, activity_update
from kontor.crm.services.companies import company_delete
from kontor.crm.services.notes import note_add, note_delete, note_update

from .conftest import refusal

pytestmark = pytest.mark.django_db


@pytest.fixture
def events(published):
    """The events the services announce: ``(name, record_id, actor_id, changes)``."""
    return published(lambda event: (event.name, event.record_id, event.actor_id,
                                    dict(event.changes) if event.changes else None))


@pytest.fixture
def contact(admin_user):
    return contact_create(actor=admin_user, data={"name": "Erika"})


def _activity(actor, contact, **data):
    return activity_create(actor=actor, data={"subject": "Call back", "bindings": [{"entity": "contact",
                                                                                      "id": contact.pk}], **data})


def _at(hour: int) -> datetime:
    return timezone.make_aware(datetime(2026, 3, 14, hour, 0))


# --- activity_update / activity_complete -----------------------------------------------------------


def test_a_manager_who_may_only_read_activities_can_neither_change_nor_complete_nor_delete_one(
        admin_user, contact, manager_with_role):
    reader = manager_with_role({"activity": {"read": "all"}})
    activity = _activity(admin_user, contact)
    for call, action in ((lambda: activity_update(activity=activity, actor=reader, data={"subject": "Mine"}), "edit"),
                         (lambda: activity_complete(activity=activity, actor=reader), "edit"),
                         (lambda: activity_delete(activity=activity, actor=reader), "delete")):
        err = refusal(call)
        assert (err.code, err.message) == (ErrorCode.PERMISSION_DENIED,
                                           f"your role does not allow you to {action} this activity")
    stored = Activity.objects.get(pk=activity.pk)
    assert (stored.subject, stored.completed) == ("Call back", False)


def test_a_manager_whose_role_allows_editing_and_deleting_activities_may_do_so(admin_user, contact, events,
                                                                              manager_with_role):
    editor = manager_with_role({"activity": {"read": "all", "edit": "all", "delete": "all"}})
    activity = _activity(admin_user, contact)
    activity_update(activity=activity, actor=editor, data={"subject": "Call back on Monday"})
    assert Activity.objects.get(pk=activity.pk).subject == "Call back on Monday"
    assert ("activity.updated", activity.pk, editor.pk, {"subject": ["Call back", "Call back on Monday"]}) in events
    pk = activity.pk
    activity_delete(activity=activity, actor=editor)
    assert not Activity.objects.filter(pk=pk).exists()
    assert events[-1] == ("activity.deleted", pk, editor.pk, None)


def test_deleting_an_activity_announces_it_with_its_id_and_actor_and_removes_its_bindings(admin_user, contact,
                                                                                          events):
    pk = _activity(admin_user, contact).pk
    activity_delete(activity=Activity.objects.get(pk=pk), actor=admin_user)
    assert events[-1] == ("activity.deleted", pk, admin_user.pk, None)
    assert not ActivityBinding.objects.filter(activity_id=pk).exists()


def test_a_manager_restricted_to_own_activities_cannot_hand_one_to_somebody_else(admin_user, contact,
                                                                                 manager_with_role):
    own = manager_with_role({"activity": {"read": "own", "edit": "own"}})
    activity = _activity(admin_user, contact, responsible_id=own.pk)
    err = refusal(lambda: activity_update(activity=activity, actor=own, data={"responsible_id": admin_user.pk}))
    assert (err.code, err.field) == (ErrorCode.PERMISSION_DENIED, "responsible_id")
    assert err.message == ("your role does not allow you to make somebody outside your scope responsible "
                           "for this activity")
    assert Activity.objects.get(pk=activity.pk).responsible_id == own.pk


def test_binding_an_activity_to_a_record_the_manager_cannot_see_is_not_found(admin_user, contact,
                                                                             manager_with_role):
    editor = manager_with_role({"activity": {"read": "all", "edit": "all"}, "contact": {"read": "own"}})
    mine = contact_create(actor=admin_user, data={"name": "Mine", "assigned_id": editor.pk})
    activity = _activity(admin_user, mine)
    err = refusal(lambda: activity_update(activity=activity, actor=editor, data={
        "bindings": [{"entity": "contact", "id": contact.pk}]}))
    assert (err.code, err.message) == (ErrorCode.NOT_FOUND, f"Contact {contact.pk} not found")
    assert list(ActivityBinding.objects.filter(activity=activity).values_list("entity_id", flat=True)) == [mine.pk]
    # Bound to records they may read, the same manager changes it (with and without new bindings).
    activity_update(activity=activity, actor=editor, data={"subject": "Visit"})
    activity_update(activity=activity, actor=editor, data={"bindings": [{"entity": "contact", "id": mine.pk}],
                                                           "subject": "Visit again"})
    assert Activity.objects.get(pk=activity.pk).subject == "Visit again"


def test_a_new_start_time_moves_a_calls_deadline(admin_user, contact):
    activity = _activity(admin_user, contact, type="call", start_time=_at(9))
    activity_update(activity=activity, actor=admin_user, data={"start_time": _at(11)})
    assert Activity.objects.get(pk=activity.pk).deadline == _at(11)


def test_turning_a_to_do_into_a_call_takes_the_start_time_as_deadline(admin_user, contact):
    activity = _activity(admin_user, contact, type="todo", deadline=_at(17))
    activity_update(activity=activity, actor=admin_user, data={"type": "call", "start_time": _at(10)})
    assert Activity.objects.get(pk=activity.pk).deadline == _at(10)


def test_a_new_start_time_leaves_a_to_dos_deadline_alone(admin_user, contact):
    activity = _activity(admin_user, contact, type="todo", deadline=_at(17))
    activity_update(activity=activity, actor=admin_user, data={"start_time": _at(10)})
    stored = Activity.objects.get(pk=activity.pk)
    assert (stored.deadline, stored.start_time) == (_at(17), _at(10))


def test_new_bindings_are_announced_from_old_to_new_and_the_first_becomes_the_owner(admin_user, contact, events):
    other = contact_create(actor=admin_user, data={"name": "Max"})
    activity = _activity(admin_user, contact)
    activity_update(activity=activity, actor=admin_user, data={
        "bindings": [{"entity": "contact", "id": other.pk}, {"entity": "contact", "id": contact.pk}]})
    assert events[-1] == ("activity.updated", activity.pk, admin_user.pk, {"bindings": [
        [{"entity": "contact", "id": contact.pk}],
        [{"entity": "contact", "id": other.pk}, {"entity": "contact", "id": contact.pk}]]})
    stored = Activity.objects.get(pk=activity.pk)
    assert (stored.owner_type, stored.owner_id) == (EntityType.CONTACT, other.pk)


def test_the_same_bindings_again_change_nothing_and_announce_nothing(admin_user, contact, events):
    activity = _activity(admin_user, contact)
    updated_at = Activity.objects.get(pk=activity.pk).updated_at
    seen = len(events)
    activity_update(activity=activity, actor=admin_user, data={"bindings": [{"entity": "contact", "id": contact.pk}]})
    assert events[seen:] == []
    assert Activity.objects.get(pk=activity.pk).updated_at == updated_at


def test_a_new_responsible_is_announced_under_its_public_name(admin_user, manager_user, contact, events):
    activity = _activity(admin_user, contact)
    activity_update(activity=activity, actor=admin_user, data={"responsible_id": manager_user.pk})
    assert events[-1] == ("activity.updated", activity.pk, admin_user.pk,
                          {"responsible_id": [admin_user.pk, manager_user.pk]})
    assert Activity.objects.get(pk=activity.pk).responsible_id == manager_user.pk


def test_completing_an_activity_shows_on_the_record_as_done_by_the_actor(admin_user, manager_user, contact, events):
    activity = _activity(admin_user, contact)
    activity_complete(activity=activity, actor=manager_user)
    stored = Activity.objects.get(pk=activity.pk)
    assert stored.completed and stored.completed_at is not None
    entry = TimelineEntry.objects.get(entity_type=EntityType.CONTACT, entity_id=contact.pk,
                                      kind=TimelineKind.ACTIVITY_COMPLETED)
    assert (entry.actor_id, entry.data) == (manager_user.pk, {"activity_id": activity.pk, "subject": "Call back"})
    assert events[-1] == ("activity.updated", activity.pk, manager_user.pk, {"completed": [False, True]})


# --- notes -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("entity_type", "name"), [(EntityType.DEAL, "deal"), (EntityType.COMPANY, "company")])
def test_a_note_on_a_missing_record_is_not_found_naming_entity_id(admin_user, entity_type, name):
    err = refusal(lambda: note_add(entity_type=entity_type, entity_id=999999, text="hello", actor=admin_user))
    assert (err.code, err.message, err.field) == (ErrorCode.NOT_FOUND, f"{name} 999999 not found", "entity_id")
    assert not TimelineEntry.objects.filter(kind=TimelineKind.COMMENT).exists()


@pytest.mark.parametrize(("kwargs", "field"), [({}, "text"), ({"field": "COMMENT"}, "COMMENT")])
def test_a_note_without_text_is_refused_naming_the_callers_field(admin_user, contact, kwargs, field):
    err = refusal(lambda: note_add(entity_type=EntityType.CONTACT, entity_id=contact.pk, text="  ",
                                    actor=admin_user, **kwargs))
    assert (err.code, err.message, err.field) == (ErrorCode.VALIDATION, f"{field}: a text is required", field)
    assert not TimelineEntry.objects.filter(kind=TimelineKind.COMMENT).exists()

    note = note_add(entity_type=EntityType.CONTACT, entity_id=contact.pk, text="first", actor=admin_user)
    err = refusal(lambda: note_update(entry=note, text="", actor=admin_user, **kwargs))
    assert (err.code, err.message, err.field) == (ErrorCode.VALIDATION, f"{field}: a text is required", field)
    assert TimelineEntry.objects.get(pk=note.pk).data == {"text": "first"}


def test_editing_a_note_keeps_what_else_it_says(admin_user, contact):
    note = note_add(entity_type=EntityType.CONTACT, entity_id=contact.pk, text="too expensive", actor=admin_user,
                    extra={"lost_reason": True})
    note_update(entry=note, text="far too expensive", actor=admin_user)
    data = TimelineEntry.objects.get(pk=note.pk).data
    assert (data["text"], data["lost_reason"], data["edited_by"]) == ("far too expensive", True, admin_user.pk)


def test_deleting_a_note_deletes_only_that_note(admin_user, contact):
    other = contact_create(actor=admin_user, data={"name": "Max"})
    note = note_add(entity_type=EntityType.CONTACT, entity_id=contact.pk, text="one", actor=admin_user)
    sibling = note_add(entity_type=EntityType.CONTACT, entity_id=contact.pk, text="two", actor=admin_user)
    elsewhere = note_add(entity_type=EntityType.CONTACT, entity_id=other.pk, text="three", actor=admin_user)
    note_delete(entry=note, actor=admin_user)
    assert sorted(TimelineEntry.objects.filter(kind=TimelineKind.COMMENT).values_list("pk", flat=True)) == sorted(
        [sibling.pk, elsewhere.pk])


def test_note_delete_never_deletes_another_kind_of_entry_even_from_a_stale_object(admin_user, contact):
    created = TimelineEntry.objects.get(entity_type=EntityType.CONTACT, entity_id=contact.pk,
                                        kind=TimelineKind.CREATED)
    stale = TimelineEntry.objects.get(pk=created.pk)
    stale.kind = TimelineKind.COMMENT  # what the caller believes, not what is stored
    note_delete(entry=stale, actor=admin_user)
    assert TimelineEntry.objects.filter(pk=created.pk, kind=TimelineKind.CREATED).exists()


# --- company_delete ----------------------------------------------------------------------------------


def test_deleting_a_company_is_announced_with_its_id_and_actor(admin_user, events):
    pk = company_create(actor=admin_user, data={"title": "Acme"}).pk
    company_delete(company=Company.objects.get(pk=pk), actor=admin_user)
    assert not Company.objects.filter(pk=pk).exists()
    assert ("company.deleted", pk, admin_user.pk, None) in events


def test_only_a_manager_whose_role_allows_it_deletes_a_company(admin_user, manager_with_role):
    reader = manager_with_role({"company": {"read": "all"}}, username="creader")
    deleter = manager_with_role({"company": {"read": "all", "delete": "all"}}, username="cdeleter")
    company = company_create(actor=admin_user, data={"title": "Acme"})
    err = refusal(lambda: company_delete(company=company, actor=reader))
    assert (err.code, err.message) == (ErrorCode.PERMISSION_DENIED,
                                       "your role does not allow you to delete this company")
    assert Company.objects.filter(pk=company.pk).exists()
    pk = company.pk
    company_delete(company=company, actor=deleter)
    assert not Company.objects.filter(pk=pk).exists()


def _primary(contact):
    stored = Contact.objects.get(pk=contact.pk)
    links = list(ContactCompany.objects.filter(contact=contact).order_by("sort", "id")
                 .values_list("company_id", "is_primary"))
    return stored.company_id, links


def test_a_contact_whose_primary_company_is_deleted_gets_its_next_company_by_sort(admin_user):
    gone, second, third = (company_create(actor=admin_user, data={"title": t}) for t in ("Gone", "Second", "Third"))
    contact = contact_create(actor=admin_user, data={"name": "Erika", "company_ids": [gone.pk, second.pk, third.pk]})
    # Re-sorted (as Bitrix24's crm.contact.company.items.set with SORT does): the third now comes second.
    ContactCompany.objects.filter(contact=contact, company=third).update(sort=15)
    alone = contact_create(actor=admin_user, data={"name": "Max", "company_ids": [gone.pk]})
    company_delete(company=gone, actor=admin_user)
    assert _primary(contact) == (third.pk, [(third.pk, True), (second.pk, False)])
    assert _primary(alone) == (None, [])


def test_of_two_companies_sorted_alike_the_earlier_link_becomes_primary(admin_user):
    gone, first_made, later_made = (company_create(actor=admin_user, data={"title": t})
                                    for t in ("Gone", "First made", "Later made"))
    contact = contact_create(actor=admin_user, data={"name": "Erika",
                                                     "company_ids": [gone.pk, later_made.pk, first_made.pk]})
    ContactCompany.objects.filter(contact=contact).exclude(company=gone).update(sort=20)
    company_delete(company=gone, actor=admin_user)
    assert _primary(contact) == (later_made.pk, [(later_made.pk, True), (first_made.pk, False)])


def test_a_deleted_companys_activities_go_unless_bound_to_another_record(admin_user, contact, events):
    company = company_create(actor=admin_user, data={"title": "Acme"})
    only_company = activity_create(actor=admin_user, data={"subject": "Offer", "bindings": [
        {"entity": "company", "id": company.pk}]})
    shared = activity_create(actor=admin_user, data={"subject": "Meeting", "bindings": [
        {"entity": "company", "id": company.pk}, {"entity": "contact", "id": contact.pk}]})
    company_delete(company=company, actor=admin_user)
    assert not Activity.objects.filter(pk=only_company.pk).exists()
    assert ("activity.deleted", only_company.pk, None, None) in events
    stored = Activity.objects.get(pk=shared.pk)
    assert (stored.owner_type, stored.owner_id) == (EntityType.CONTACT, contact.pk)
    assert list(ActivityBinding.objects.filter(activity=shared).values_list("entity_type", "entity_id")) == [
        (EntityType.CONTACT, contact.pk)]
