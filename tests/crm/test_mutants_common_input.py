"""Phones, e-mails, websites and messengers as callers give them, the shared field checks and lookups, and
what contacts, companies, notes and directories store, announce and refuse.

Written against the survivors of the exact run of 4 December of ``kontor.crm.services`` (group B:
``common``, ``contacts``, ``companies``, ``notes``, ``directories``; docs/mutation.md). Pinned down: each
refusal's code, message and field; the default value type and the Bitrix24 facade's lenient items; which
rows ``communications_set``/``comm_values``/``communications_delete`` touch and what they report; the
``[old, new]`` pairs of a change as webhooks receive them; a contact's company order as stored; a note's
edit stamp; and that a request changing nothing leaves a record's ``updated_at`` as it was.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser

from kontor.accounts.models import Role
from kontor.accounts.services import user_create
from kontor.core.errors import ErrorCode
from kontor.crm.enums import CommType, EntityType
from kontor.crm.models import Communication, Company, Contact, ContactCompany
from kontor.crm.services import (
    company_create,
    company_delete,
    contact_create,
    contact_delete,
    contact_update,
)
from kontor.crm.services.common import (
    apply_changes,
    clean_communications_of,
    comm_values,
    communications_delete,
    communications_set,
    get_or_404,
    resolve_fk,
    resolve_user,
)
from kontor.crm.services.custom_fields import custom_field_create
from kontor.crm.services.directories import directory_item_create
from kontor.crm.services.notes import clean_note_text, note_add, note_can_change, note_update

from .conftest import refusal

pytestmark = pytest.mark.django_db

PHONE_TYPES = "WORK, MOBILE, FAX, HOME, PAGER, MAILING, OTHER"


def _items(type_name: str, items) -> list[dict]:
    return clean_communications_of({type_name: items})[CommType(type_name)]


def _rows(entity_type: EntityType, entity_id: int) -> list[tuple]:
    return list(Communication.objects.filter(entity_type=entity_type, entity_id=entity_id)
                .order_by("id").values_list("type", "value"))


@pytest.fixture
def events(published):
    """Every event published, as a subscriber (a webhook) receives it."""
    return published()


def _changes(events, name: str) -> list:
    return [e.changes for e in events if e.name == name]


# --- phones, e-mails, websites, messengers ---------------------------------------------------------


@pytest.mark.parametrize(("type_name", "values", "default"), [
    ("PHONE", ("030 1234567", "030 7654321"), "WORK"), ("EMAIL", ("a@b.de", "c@d.de"), "WORK"),
    ("WEB", ("example.com", "example.org"), "WORK"), ("IM", ("@erika", "@max"), "OTHER"),
])
def test_an_item_without_a_type_gets_work_or_other_where_work_is_not_offered(type_name, values, default):
    as_text, as_object = values
    assert [i["value_type"] for i in _items(type_name, [as_text, {"value": as_object}])] == [default, default]


def test_the_value_type_may_be_given_as_type_or_value_type_and_type_wins():
    items = _items("PHONE", [{"value": "030 1234567", "value_type": "mobile"},
                             {"value": "030 7654321", "type": "fax", "value_type": "mobile"}])
    assert [i["value_type"] for i in items] == ["MOBILE", "FAX"]


def test_a_lenient_item_keeps_an_unreadable_phone_or_email_with_an_empty_key():
    phones = _items("PHONE", [{"value": " call me after 5pm ", "type": "home", "lenient": True, "id": 7}])
    assert phones == [{"id": 7, "value": "call me after 5pm", "value_type": "HOME", "normalized": ""}]
    emails = _items("EMAIL", [{"value": "erika at example", "lenient": True}])
    assert emails == [{"id": None, "value": "erika at example", "value_type": "WORK", "normalized": ""}]


def test_lenient_items_without_a_key_repeat_only_by_their_text_ignoring_case():
    phones = _items("PHONE", [{"value": "Call me", "lenient": True}, {"value": "CALL ME", "lenient": True},
                              {"value": "call later", "lenient": True}, "030 1234567"])
    assert [(i["value"], i["normalized"]) for i in phones] == [
        ("Call me", ""), ("call later", ""), ("030 1234567", "+49301234567")]


@pytest.mark.parametrize("item", [{"value": "call me after 5pm"}, {"value": "call me after 5pm", "lenient": "yes"},
                                  {"value": "call me after 5pm", "lenient": 1}])
def test_only_lenient_true_lets_an_unreadable_phone_through(item):
    err = refusal(lambda: _items("PHONE", [item]))
    assert (err.code, err.field) == (ErrorCode.INVALID_PHONE, "phones")


@pytest.mark.parametrize(("type_name", "items", "message", "field"), [
    ("PHONE", [5], "phones[0] must be a string or an object with 'value'", "phones"),
    ("EMAIL", ["a@b.de", None], "emails[1] must be a string or an object with 'value'", "emails"),
    ("PHONE", ["   "], "phones[0]: a value is required", "phones"),
    ("PHONE", [{"value": None}], "phones[0]: a value is required", "phones"),
    ("IM", [{"type": "TELEGRAM"}], "messengers[0]: a value is required", "messengers"),
    ("WEB", ["x" * 256], "websites[0]: longer than 255 characters", "websites"),
    ("PHONE", [{"value": "030 1234567", "type": "satellite"}], f"phones[0]: type must be one of {PHONE_TYPES}",
     "phones"),
    ("WEB", 5, "websites must be a list", "websites"),
])
def test_a_bad_item_is_refused_naming_its_place_and_field(type_name, items, message, field):
    err = refusal(lambda: _items(type_name, items))
    assert (err.code, err.message, err.field) == (ErrorCode.VALIDATION, message, field)


def test_a_value_of_exactly_255_characters_is_kept():
    assert [i["value"] for i in _items("WEB", [" " + "x" * 255 + " "])] == ["x" * 255]


def test_websites_are_kept_as_given_and_keyed_in_lower_case():
    assert _items("WEB", ["Example.COM/Path"]) == [
        {"id": None, "value": "Example.COM/Path", "value_type": "WORK", "normalized": "example.com/path"}]


def test_a_repeated_number_is_dropped_and_the_items_after_it_are_kept():
    phones = _items("PHONE", ["030 1234567", "+49 30 1234567", "030 1111111", "030 2222222"])
    assert [i["value"] for i in phones] == ["030 1234567", "030 1111111", "030 2222222"]


def test_none_for_a_multi_field_means_no_items():
    assert clean_communications_of({"PHONE": None, "WEB": None}) == {CommType.PHONE: [], CommType.WEB: []}


# --- writing, reading and deleting them ------------------------------------------------------------


def _set(entity_type, entity_id, **given):
    return communications_set(entity_type=entity_type, entity_id=entity_id,
                              cleaned=clean_communications_of(given))


def test_communications_set_reports_whether_anything_changed():
    assert _set(EntityType.CONTACT, 41, PHONE=[]) is False
    assert _set(EntityType.CONTACT, 41, PHONE=["030 1234567"]) is True
    row = Communication.objects.get(entity_type=EntityType.CONTACT, entity_id=41)
    same = {"id": row.pk, "value": "030 1234567"}
    assert _set(EntityType.CONTACT, 41, PHONE=[same]) is False
    assert _set(EntityType.CONTACT, 41, PHONE=[{**same, "type": "mobile"}]) is True
    assert _set(EntityType.CONTACT, 41, PHONE=[{**same, "type": "mobile", "value": "030 7654321"}]) is True
    stored = Communication.objects.get(entity_type=EntityType.CONTACT, entity_id=41)
    assert (stored.pk, stored.value, stored.value_type, stored.normalized) == (
        row.pk, "030 7654321", "MOBILE", "+49307654321")
    assert _set(EntityType.CONTACT, 41, PHONE=[]) is True
    assert _rows(EntityType.CONTACT, 41) == []


def test_comm_values_lists_only_the_asked_types_of_that_record():
    _set(EntityType.CONTACT, 42, PHONE=["030 1234567", "030 7654321"], EMAIL=["a@b.de"])
    _set(EntityType.COMPANY, 42, PHONE=["030 5555555"])
    _set(EntityType.CONTACT, 43, PHONE=["030 6666666"])
    assert comm_values(entity_type=EntityType.CONTACT, entity_id=42, types=["PHONE"]) == {
        "phones": ["030 1234567", "030 7654321"]}
    assert comm_values(entity_type=EntityType.CONTACT, entity_id=42, types=["EMAIL", "WEB"]) == {
        "emails": ["a@b.de"], "websites": []}


def test_communications_delete_removes_only_that_records_items():
    _set(EntityType.CONTACT, 44, PHONE=["030 1234567"], EMAIL=["a@b.de"])
    _set(EntityType.COMPANY, 44, PHONE=["030 5555555"])
    _set(EntityType.CONTACT, 45, PHONE=["030 6666666"])
    communications_delete(entity_type=EntityType.CONTACT, entity_id=44)
    assert _rows(EntityType.CONTACT, 44) == []
    assert _rows(EntityType.COMPANY, 44) == [("PHONE", "030 5555555")]
    assert _rows(EntityType.CONTACT, 45) == [("PHONE", "030 6666666")]


def test_deleting_a_contact_or_company_deletes_its_phones_and_emails_only(admin_user):
    contact = contact_create(actor=admin_user, data={"name": "Erika", "phones": ["030 1234567"], "emails": ["e@x.de"]})
    other = contact_create(actor=admin_user, data={"name": "Max", "phones": ["030 7654321"]})
    company = company_create(actor=admin_user, data={"title": "Acme", "phones": ["030 5555555"]})
    contact_pk, company_pk = contact.pk, company.pk  # deleting sets ``pk`` to None
    assert _rows(EntityType.CONTACT, contact_pk) == [("PHONE", "030 1234567"), ("EMAIL", "e@x.de")]
    contact_delete(contact=contact, actor=admin_user)
    assert _rows(EntityType.CONTACT, contact_pk) == []
    assert _rows(EntityType.CONTACT, other.pk) == [("PHONE", "030 7654321")]
    assert _rows(EntityType.COMPANY, company_pk) == [("PHONE", "030 5555555")]
    company_delete(company=company, actor=admin_user)
    assert _rows(EntityType.COMPANY, company_pk) == []
    assert _rows(EntityType.CONTACT, other.pk) == [("PHONE", "030 7654321")]


def test_a_contact_update_naming_its_phones_unchanged_announces_nothing(admin_user, events):
    contact = contact_create(actor=admin_user, data={"name": "Erika", "phones": ["030 1234567"]})
    row = Communication.objects.get(entity_type=EntityType.CONTACT, entity_id=contact.pk)
    contact_update(contact=contact, actor=admin_user, data={"phones": [{"id": row.pk, "value": "030 1234567"}]})
    assert _changes(events, "contact.updated") == []


def test_removing_a_contacts_only_phone_is_announced(admin_user, events):
    contact = contact_create(actor=admin_user, data={"name": "Erika", "phones": ["030 1234567"]})
    contact_update(contact=contact, actor=admin_user, data={"phones": []})
    assert _changes(events, "contact.updated") == [{"phones": [["030 1234567"], []]}]
    assert _rows(EntityType.CONTACT, contact.pk) == []


def test_changing_a_phone_in_place_is_announced_with_its_old_and_new_value(admin_user, events):
    contact = contact_create(actor=admin_user, data={"name": "Erika", "phones": ["030 1234567"]})
    row = Communication.objects.get(entity_type=EntityType.CONTACT, entity_id=contact.pk)
    contact_update(contact=contact, actor=admin_user, data={"phones": [{"id": row.pk, "value": "030 7654321"}]})
    assert _changes(events, "contact.updated") == [{"phones": [["030 1234567"], ["030 7654321"]]}]
    assert list(Communication.objects.filter(entity_type=EntityType.CONTACT, entity_id=contact.pk)
                .values_list("pk", "value")) == [(row.pk, "030 7654321")]


# --- contacts and companies ------------------------------------------------------------------------


def test_a_contacts_companies_are_stored_in_steps_of_ten_the_first_primary(admin_user):
    a, b, c = (company_create(actor=admin_user, data={"title": t}) for t in ("A", "B", "C"))
    contact = contact_create(actor=admin_user, data={"name": "Erika", "company_ids": [b.pk, c.pk, a.pk]})
    assert list(ContactCompany.objects.filter(contact=contact).order_by("sort")
                .values_list("company_id", "sort", "is_primary")) == [
        (b.pk, 10, True), (c.pk, 20, False), (a.pk, 30, False)]
    assert Contact.objects.get(pk=contact.pk).company_id == b.pk


def test_emptying_a_contacts_company_list_leaves_it_without_a_company(admin_user, events):
    company = company_create(actor=admin_user, data={"title": "Acme"})
    contact = contact_create(actor=admin_user, data={"name": "Erika", "company_ids": [company.pk]})
    contact_update(contact=contact, actor=admin_user, data={"company_ids": []})
    assert Contact.objects.get(pk=contact.pk).company_id is None
    assert not ContactCompany.objects.filter(contact=contact).exists()
    assert _changes(events, "contact.updated") == [{"company_ids": [[company.pk], []]}]


@pytest.mark.parametrize("data", [{}, {"phones": ["030 1234567"]}])
def test_a_company_without_a_title_is_refused(admin_user, data):
    err = refusal(lambda: company_create(actor=admin_user, data=data))
    assert (err.code, err.message, err.field) == (ErrorCode.VALIDATION, "title is required", "title")
    assert not Company.objects.exists()
    assert not Communication.objects.exists()


def test_an_update_that_changes_nothing_keeps_updated_at(admin_user):
    contact = contact_create(actor=admin_user, data={"name": "Erika"})
    stored = Contact.objects.get(pk=contact.pk).updated_at
    returned = contact_update(contact=contact, actor=admin_user, data={"name": "Erika"})
    assert returned.updated_at == stored
    assert Contact.objects.get(pk=contact.pk).updated_at == stored


def test_custom_values_set_changed_and_cleared_are_announced_as_old_and_new(admin_user, events):
    custom_field_create(actor=admin_user, entity_type=EntityType.CONTACT, code="UF_CRM_WEIGHT", type="integer")
    contact = contact_create(actor=admin_user, data={"name": "Erika"})
    contact_update(contact=contact, actor=admin_user, data={"uf_crm_weight": None})  # not set: nothing to clear
    contact_update(contact=contact, actor=admin_user, data={"uf_crm_weight": 5})
    contact_update(contact=contact, actor=admin_user, data={"uf_crm_weight": 7})
    stored = Contact.objects.get(pk=contact.pk).updated_at
    returned = contact_update(contact=contact, actor=admin_user, data={"uf_crm_weight": 7})
    assert returned.updated_at == stored
    contact_update(contact=contact, actor=admin_user, data={"uf_crm_weight": None})
    assert _changes(events, "contact.updated") == [
        {"uf_crm_weight": [None, 5]}, {"uf_crm_weight": [5, 7]}, {"uf_crm_weight": [7, None]}]
    assert Contact.objects.get(pk=contact.pk).uf is None


# --- the shared field checks ------------------------------------------------------------------------


def test_apply_changes_reports_old_and_new_as_json_values(admin_user):
    stamp = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    obj = SimpleNamespace(amount=Decimal("1.00"), due=date(2024, 1, 1), at=stamp, owner=None, title="a",
                          same="x", updated_at=stamp)
    changes = apply_changes(obj, {"amount": Decimal("2.50"), "due": date(2024, 2, 29),
                                  "at": datetime(2024, 6, 1, 8, 30, tzinfo=UTC), "owner": admin_user,
                                  "title": "b", "same": "x"})
    assert changes == {"amount": ["1.00", "2.50"], "due": ["2024-01-01", "2024-02-29"],
                       "at": ["2024-05-01T12:00:00+00:00", "2024-06-01T08:30:00+00:00"],
                       "owner": [None, admin_user.pk], "title": ["a", "b"]}
    assert (obj.amount, obj.title, obj.owner) == (Decimal("2.50"), "b", admin_user)


@pytest.mark.parametrize(("data", "message", "field"), [
    ({"code": "VIP", "name": "x" * 256}, "name is longer than 255 characters", "name"),
    ({"code": "VIP", "name": 5}, "name must be a string", "name"),
    ({"code": "VIP", "name": "   "}, "name is required", "name"),
    ({"code": "VIP", "name": "Vip", "colour": "red", "bogus": 1}, "unknown field(s): bogus, colour", "bogus"),
])
def test_a_bad_directory_entry_is_refused_naming_the_field(data, message, field):
    err = refusal(lambda: directory_item_create(directory="INDUSTRY", data=data))
    assert (err.code, err.message, err.field) == (ErrorCode.VALIDATION, message, field)


def test_a_directory_entry_name_may_have_255_characters():
    item = directory_item_create(directory="INDUSTRY", data={"code": "VIP", "name": " " + "n" * 255 + " "})
    assert item.name == "n" * 255


@pytest.fixture
def inactive_user(db):
    user = user_create(username="gone_test", password="gone-pass-123", role=Role.MANAGER)
    user.is_active = False
    user.save()
    return user


def test_resolve_user_finds_an_active_user_and_takes_none_or_blank_as_nobody(manager_user):
    assert resolve_user(manager_user.pk) == manager_user
    assert resolve_user(str(manager_user.pk)) == manager_user
    assert resolve_user(None) is None
    assert resolve_user("") is None


@pytest.mark.parametrize("given", [999999, "abc", "inactive"])
def test_resolve_user_refuses_an_unknown_or_inactive_user_naming_the_field(inactive_user, given):
    user_id = inactive_user.pk if given == "inactive" else given
    err = refusal(lambda: resolve_user(user_id))
    assert (err.code, err.message, err.field) == (ErrorCode.VALIDATION, f"assigned_id: no active user {user_id}",
                                                  "assigned_id")
    err = refusal(lambda: resolve_user(user_id, "responsible_id"))
    assert (err.message, err.field) == (f"responsible_id: no active user {user_id}", "responsible_id")


def test_resolve_fk_finds_the_row_and_takes_none_or_blank_as_none(admin_user):
    company = company_create(actor=admin_user, data={"title": "Acme"})
    assert resolve_fk(Company, company.pk, "company_id") == company
    assert resolve_fk(Company, str(company.pk), "company_id") == company
    assert resolve_fk(Company, None, "company_id") is None
    assert resolve_fk(Company, "", "company_id") is None


@pytest.mark.parametrize(("pk", "label", "message"), [
    (999999, None, "company_id: company 999999 does not exist"),
    ("abc", None, "company_id: company abc does not exist"),
    (999999, "firm", "company_id: firm 999999 does not exist"),
])
def test_resolve_fk_refuses_an_unknown_id_naming_the_field(pk, label, message):
    err = refusal(lambda: resolve_fk(Company, pk, "company_id", label=label))
    assert (err.code, err.message, err.field) == (ErrorCode.VALIDATION, message, "company_id")


def test_get_or_404_finds_by_number_or_digit_string(admin_user):
    contact = contact_create(actor=admin_user, data={"name": "Erika"})
    assert get_or_404(Contact, contact.pk) == contact
    assert get_or_404(Contact, str(contact.pk)) == contact


@pytest.mark.parametrize("pk", [999999, "999999", None, "²", "abc", [1], {"id": 1}])
def test_get_or_404_answers_not_found_for_an_unknown_or_unusable_key(admin_user, pk):
    contact_create(actor=admin_user, data={"name": "Erika"})
    err = refusal(lambda: get_or_404(Contact, pk))
    assert (err.code, err.message, err.field) == (ErrorCode.NOT_FOUND, f"Contact {pk} not found", None)


# --- notes -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "  ", None])
def test_a_note_without_text_is_refused_naming_text_by_default(text):
    err = refusal(lambda: clean_note_text(text))
    assert (err.code, err.message, err.field) == (ErrorCode.VALIDATION, "text: a text is required", "text")


def test_an_anonymous_user_may_not_change_a_note(admin_user, manager_user):
    contact = contact_create(actor=admin_user, data={"name": "Erika"})
    note = note_add(entity_type=EntityType.CONTACT, entity_id=contact.pk, text="first", actor=manager_user)
    assert note_can_change(entry=note, user=AnonymousUser()) is False
    assert note_can_change(entry=note, user=SimpleNamespace(pk=admin_user.pk + manager_user.pk)) is False


def test_an_edited_note_stores_who_edited_it_and_when(admin_user, manager_user):
    contact = contact_create(actor=admin_user, data={"name": "Erika"})
    note = note_add(entity_type=EntityType.CONTACT, entity_id=contact.pk, text="first", actor=manager_user)
    note_update(entry=note, text=" second ", actor=admin_user)
    note.refresh_from_db()
    assert sorted(note.data) == ["edited_at", "edited_by", "text"]
    assert (note.data["text"], note.data["edited_by"]) == ("second", admin_user.pk)
    assert datetime.fromisoformat(note.data["edited_at"]).tzinfo is not None
    assert note.actor_id == manager_user.pk
