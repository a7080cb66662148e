"""What an activity's input becomes: dates and times, bindings, communications, type, description,
completion, direction and priority, the deadline derived on creation, and the owner an activity keeps
when one of its records is deleted.

Written against the survivors of the exact run of 4 December of ``kontor.crm.services`` in
``kontor.crm.services.activities`` (``clean_datetime``, ``clean_bindings``, ``clean_communications``,
``_clean_activity``, ``_derive_deadline``, ``activities_unbind_record``): each refusal with its exact code,
message and field, what is stored for accepted input, and whom an activity belongs to afterwards.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.utils import timezone

from kontor.core.errors import ErrorCode
from kontor.crm.enums import CrmMode, EntityType
from kontor.crm.models import Activity, CrmSettings
from kontor.crm.services import (
    activity_create,
    company_create,
    company_delete,
    contact_create,
    contact_delete,
    deal_create,
    lead_create,
)
from kontor.crm.services.activities import activity_update
from kontor.modes.services import lead_convert

from .conftest import refusal

pytestmark = pytest.mark.django_db


@pytest.fixture
def contact(admin_user):
    return contact_create(actor=admin_user, data={"name": "Erika"})


def _create(actor, contact, **data):
    return activity_create(actor=actor, data={"subject": "Call back",
                                              "bindings": [{"entity": "contact", "id": contact.pk}], **data})


def _at(hour: int) -> datetime:
    return timezone.make_aware(datetime(2026, 3, 14, hour, 0))


def _owner(activity) -> tuple[int, int]:
    stored = Activity.objects.get(pk=activity.pk)
    return stored.owner_type, stored.owner_id


def _refused(err, message: str, field: str | None) -> None:
    assert (err.code, err.message, err.field) == (ErrorCode.VALIDATION, message, field)


# --- dates and times -------------------------------------------------------------------------------

DATETIME_FIELDS = ("deadline", "start_time", "end_time")


@pytest.mark.parametrize("field", DATETIME_FIELDS)
def test_an_empty_date_and_time_is_stored_as_none(admin_user, contact, field):
    activity = _create(admin_user, contact, **{field: ""})
    assert getattr(Activity.objects.get(pk=activity.pk), field) is None


@pytest.mark.parametrize("field", DATETIME_FIELDS)
def test_a_date_and_time_with_a_space_fraction_and_spaced_offset_is_read(admin_user, contact, field):
    activity = _create(admin_user, contact, **{field: " 2026-03-14 10:00:00.5 +0100 "})
    assert getattr(Activity.objects.get(pk=activity.pk), field) == datetime(2026, 3, 14, 9, 0, 0, 500000,
                                                                              tzinfo=UTC)


@pytest.mark.parametrize("field", DATETIME_FIELDS)
@pytest.mark.parametrize("value", ["tomorrow", "2026-02-30 10:00", "2026-02-30T10:00", 20260314, ["2026-03-14"]])
def test_a_date_and_time_that_is_not_iso_8601_is_refused_naming_its_field(admin_user, contact, field, value):
    err = refusal(lambda: _create(admin_user, contact, **{field: value}))
    _refused(err, f"{field} must be an ISO 8601 date and time", field)
    assert not Activity.objects.exists()


# --- bindings ----------------------------------------------------------------------------------------


def test_bindings_refusals_name_the_binding_at_fault(admin_user, contact):
    cases = [
        ([], 'bindings must name at least one record: [{"entity": "deal", "id": 1}]'),
        ({"entity": "contact", "id": contact.pk}, 'bindings must name at least one record: [{"entity": "deal", '
                                                   '"id": 1}]'),
        ([{"entity": "contact", "id": contact.pk}, "contact"], "bindings[1] must be an object"),
        ([{"entity": "person", "id": contact.pk}], "bindings[0].entity must be lead, deal, contact or company"),
        ([{"entity": "contact", "id": contact.pk}, {"entity": 9, "id": 1}],
         "bindings[1].entity must be lead, deal, contact or company"),
        ([{"entity": "contact", "id": 999999}], "bindings[0]: contact 999999 does not exist"),
        ([{"entity": "COMPANY", "id": 999999}], "bindings[0]: company 999999 does not exist"),
    ]
    for bindings, message in cases:
        err = refusal(lambda bindings=bindings: activity_create(actor=admin_user, data={
            "subject": "Call back", "bindings": bindings}))
        _refused(err, message, "bindings")
    assert not Activity.objects.exists()


def test_an_activity_without_bindings_or_communications_is_refused(admin_user):
    err = refusal(lambda: activity_create(actor=admin_user, data={"subject": "Call back"}))
    _refused(err, 'bindings must name at least one record: [{"entity": "deal", "id": 1}]', "bindings")


# --- communications ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("communications", "message"), [
    ("+49 30 1234567", "communications must be a list"),
    ({"type": "PHONE", "value": "+49 30 1234567"}, "communications must be a list"),
    ([{"type": "FAX", "value": "+49 30 1234567"}], "communications[0].type must be one of PHONE, EMAIL, IM, WEB"),
    ([{"type": "PHONE", "value": "1"}, {"type": "post", "value": "x"}],
     "communications[1].type must be one of PHONE, EMAIL, IM, WEB"),
    ([{"type": "PHONE", "value": 4930123}], "communications must be a string"),
    ([{"type": "EMAIL", "value": "a" * 256}], "communications is longer than 255 characters"),
])
def test_malformed_communications_are_refused_naming_the_field(admin_user, contact, communications, message):
    err = refusal(lambda: _create(admin_user, contact, communications=communications))
    _refused(err, message, "communications")
    assert not Activity.objects.exists()


@pytest.mark.parametrize(("item", "message"), [
    ({"type": "PHONE", "value": "+49 30 1234567", "entity_type": 3}, "communications[1].entity_id must be a record id"),
    ({"type": "PHONE", "value": "+49 30 1234567", "entity_type": "contact"},
     "communications[1].entity_id must be a record id"),
    ({"type": "PHONE", "value": "+49 30 1234567", "entity_id": 5},
     "communications[1].entity_type must be lead, deal, contact or company"),
    ({"type": "PHONE", "value": "+49 30 1234567", "entity_type": 3, "entity_id": 999999},
     "communications[1]: contact 999999 does not exist"),
])
def test_a_communication_naming_half_a_record_or_none_is_refused_naming_it(admin_user, contact, item, message):
    fine = {"type": "PHONE", "value": "+49 30 7654321"}
    err = refusal(lambda: _create(admin_user, contact, communications=[fine, item]))
    _refused(err, message, "communications")
    assert not Activity.objects.exists()


def test_communications_are_stored_as_typed_with_their_records(admin_user, contact):
    long_value = "b" * 250 + "@x.de"  # 255 characters
    activity = _create(admin_user, contact, communications=[
        {"type": " phone ", "value": " +49 30 1234567 ", "entity_type": 3, "entity_id": contact.pk},
        {"type": "EMAIL", "value": long_value, "entity_type": 0, "entity_id": 0},
        {"type": "", "entity_type": "", "entity_id": None},
        {"type": None, "value": None},
    ])
    assert Activity.objects.get(pk=activity.pk).communications == [
        {"type": "PHONE", "value": "+49 30 1234567", "entity_type": 3, "entity_id": contact.pk},
        {"type": "EMAIL", "value": long_value, "entity_type": None, "entity_id": None},
        {"type": "", "value": "", "entity_type": None, "entity_id": None},
        {"type": "", "value": "", "entity_type": None, "entity_id": None},
    ]


def test_a_communication_with_a_lead_names_the_lead(admin_user, contact):
    lead = lead_create(actor=admin_user, data={"title": "Anfrage"}, convert_in_simple_mode=False)
    activity = _create(admin_user, contact, communications=[
        {"type": "PHONE", "value": "+49 30 1234567", "entity_type": 1, "entity_id": lead.pk}])
    stored = Activity.objects.get(pk=activity.pk).communications
    assert stored == [{"type": "PHONE", "value": "+49 30 1234567", "entity_type": 1, "entity_id": lead.pk}]


# --- type, description, completion, direction, priority ---------------------------------------------


@pytest.mark.parametrize(("data", "message", "field"), [
    ({"type": "fax"}, "type must be one of call, meeting, email, task, todo", "type"),
    ({"type": "CALL"}, "type must be one of call, meeting, email, task, todo", "type"),
    ({"description": 5}, "description must be a string", "description"),
    ({"description": ["a"]}, "description must be a string", "description"),
    ({"completed": "yes"}, "completed must be true or false", "completed"),
    ({"completed": 1}, "completed must be true or false", "completed"),
    ({"direction": 3}, "direction must be 1 (incoming) or 2 (outgoing)", "direction"),
    ({"direction": "1"}, "direction must be 1 (incoming) or 2 (outgoing)", "direction"),
    ({"priority": 0}, "priority must be 1, 2 or 3", "priority"),
    ({"priority": 4}, "priority must be 1, 2 or 3", "priority"),
    ({"priority": "2"}, "priority must be 1, 2 or 3", "priority"),
    ({"priority": True}, "priority must be 1, 2 or 3", "priority"),
    ({"direction": True}, "direction must be 1 (incoming) or 2 (outgoing)", "direction"),
])
def test_a_bad_value_is_refused_naming_its_field(admin_user, contact, data, message, field):
    err = refusal(lambda: _create(admin_user, contact, **data))
    _refused(err, message, field)
    assert not Activity.objects.exists()


def test_a_bad_value_in_an_update_is_refused_and_changes_nothing(admin_user, contact):
    activity = _create(admin_user, contact, priority=3)
    for data, message, field in (({"priority": 4}, "priority must be 1, 2 or 3", "priority"),
                                 ({"direction": 0}, "direction must be 1 (incoming) or 2 (outgoing)", "direction"),
                                 ({"completed": None}, "completed must be true or false", "completed")):
        err = refusal(lambda data=data: activity_update(activity=activity, actor=admin_user, data=data))
        _refused(err, message, field)
    stored = Activity.objects.get(pk=activity.pk)
    assert (stored.priority, stored.direction, stored.completed) == (3, None, False)


def test_the_description_is_stored_stripped_and_of_any_length(admin_user, contact):
    long_text = "Notes " * 200
    activity = _create(admin_user, contact, description=f"  {long_text}\n")
    assert Activity.objects.get(pk=activity.pk).description == long_text.strip()
    activity_update(activity=activity, actor=admin_user, data={"description": " short "})
    assert Activity.objects.get(pk=activity.pk).description == "short"


@pytest.mark.parametrize("priority", [1, 2, 3])
def test_each_priority_is_stored(admin_user, contact, priority):
    activity = _create(admin_user, contact, priority=priority)
    assert Activity.objects.get(pk=activity.pk).priority == priority


def test_a_priority_is_changed_by_an_update_and_none_leaves_it(admin_user, contact):
    activity = _create(admin_user, contact, priority=None)
    assert Activity.objects.get(pk=activity.pk).priority == 2
    activity_update(activity=activity, actor=admin_user, data={"priority": 1})
    assert Activity.objects.get(pk=activity.pk).priority == 1
    activity_update(activity=activity, actor=admin_user, data={"priority": None})
    assert Activity.objects.get(pk=activity.pk).priority == 1


@pytest.mark.parametrize("direction", [1, 2])
def test_each_direction_is_stored(admin_user, contact, direction):
    activity = _create(admin_user, contact, type="call", direction=direction)
    assert Activity.objects.get(pk=activity.pk).direction == direction


# --- the deadline a new activity derives -------------------------------------------------------------


@pytest.mark.parametrize(("data", "deadline"), [
    ({"type": "todo", "start_time": _at(9)}, _at(9)),
    ({"start_time": _at(9)}, _at(9)),
    ({"type": "task", "start_time": _at(9), "end_time": _at(11)}, _at(11)),
    ({"type": "email", "end_time": _at(11)}, _at(11)),
    ({"start_time": _at(9), "end_time": _at(11)}, _at(11)),
    ({"type": "call", "end_time": _at(11)}, _at(11)),
    ({"type": "meeting", "end_time": _at(11)}, _at(11)),
    ({"type": "call", "start_time": _at(9), "end_time": _at(11)}, _at(9)),
    ({"type": "meeting", "start_time": _at(9), "end_time": _at(11), "deadline": _at(8)}, _at(8)),
    ({"type": "todo", "start_time": _at(9), "end_time": _at(11), "deadline": _at(17)}, _at(17)),
    ({"type": "call", "start_time": _at(9), "deadline": None}, None),
    ({"type": "todo", "end_time": _at(11), "deadline": ""}, None),
])
def test_a_new_activity_without_a_deadline_takes_its_start_or_end(admin_user, contact, data, deadline):
    activity = _create(admin_user, contact, **data)
    assert Activity.objects.get(pk=activity.pk).deadline == deadline


# --- the owner after a record is deleted -------------------------------------------------------------


def test_deleting_the_owner_hands_each_activity_to_its_next_record(admin_user, contact):
    deal = deal_create(actor=admin_user, data={"title": "Relaunch"})
    company = company_create(actor=admin_user, data={"title": "Muster GmbH"})
    while len({contact.pk, company.pk, deal.pk}) < 3:  # ids apart, so an owner's id tells the records apart
        if company.pk in (contact.pk, deal.pk):
            company = company_create(actor=admin_user, data={"title": "Muster GmbH"})
        else:
            deal = deal_create(actor=admin_user, data={"title": "Relaunch"})
    first = _create(admin_user, contact, bindings=[{"entity": "contact", "id": contact.pk},
                                                   {"entity": "company", "id": company.pk},
                                                   {"entity": "deal", "id": deal.pk}])
    second = _create(admin_user, contact, bindings=[{"entity": "contact", "id": contact.pk},
                                                    {"entity": "deal", "id": deal.pk}])
    contact_delete(contact=contact, actor=admin_user)
    assert _owner(first) == (EntityType.COMPANY, company.pk)
    assert _owner(second) == (EntityType.DEAL, deal.pk)


def _classic_lead(actor, title: str = "Anfrage"):
    CrmSettings.objects.filter(pk=1).update(mode=CrmMode.CLASSIC)
    return lead_create(actor=actor, data={"title": title}, convert_in_simple_mode=False)


def _converted_lead_activity(actor, contact, *, also: tuple[str, int]):
    """A lead's activity, also bound to ``also``, after the lead became ``contact``: the contact owns it."""
    lead = _classic_lead(actor)
    activity = activity_create(actor=actor, data={"subject": "Call back", "bindings": [
        {"entity": "lead", "id": lead.pk}, {"entity": also[0], "id": also[1]}]})
    lead_convert(lead=lead, actor=actor, deal=None, contact={"id": contact.pk})
    assert _owner(activity) == (EntityType.CONTACT, contact.pk)
    return lead, activity


def test_deleting_another_contact_leaves_an_activity_owned_by_the_contact_its_lead_became(admin_user, contact):
    other = contact_create(actor=admin_user, data={"name": "Max"})
    lead, activity = _converted_lead_activity(admin_user, contact, also=("contact", other.pk))
    contact_delete(contact=other, actor=admin_user)
    assert _owner(activity) == (EntityType.CONTACT, contact.pk)
    contact_delete(contact=contact, actor=admin_user)
    assert _owner(activity) == (EntityType.LEAD, lead.pk)


def test_deleting_a_company_leaves_an_activity_owned_by_a_contact_with_the_same_number(admin_user):
    contact = contact_create(actor=admin_user, data={"name": "Erika"})
    company = company_create(actor=admin_user, data={"title": "Muster GmbH"})
    while company.pk != contact.pk:  # the same id in both tables
        if company.pk < contact.pk:
            company = company_create(actor=admin_user, data={"title": "Muster GmbH"})
        else:
            contact = contact_create(actor=admin_user, data={"name": "Erika"})
    _lead, activity = _converted_lead_activity(admin_user, contact, also=("company", company.pk))
    company_delete(company=company, actor=admin_user)
    assert _owner(activity) == (EntityType.CONTACT, contact.pk)
