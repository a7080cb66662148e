"""crm.lead/deal/contact/company.* answers written against the survivors of the exact run of
5 December over ``kontor.bitrix.methods.records`` (var/mut-bx1): user field values in and out
(booleans, CRM bindings such as ``C_12``, employees, strings), the user field entries of
``crm.*.fields``, the facade-only fields each kind derives (``MODIFY_BY_ID``, ``MOVED_TIME``, ``LOGO`` …),
the order of ``CONTACT_IDS`` / ``COMPANY_IDS``, a deal's ``CATEGORY_ID`` / ``STAGE_ID`` in filters,
orders and writes, and updates that edit multi-fields and ignore ``CATEGORY_ID``.
"""

from __future__ import annotations

from typing import Any

import pytest

from kontor.bitrix.mapping import dt
from kontor.crm.models import Company, Contact, ContactCompany, Deal, DealContact, Lead, Stage

from .conftest import Wire, bitrix_error

pytestmark = pytest.mark.django_db

MODELS = {"lead": Lead, "deal": Deal, "contact": Contact, "company": Company}
ADD = {"lead": {"TITLE": "Anfrage"}, "deal": {"TITLE": "Relaunch"}, "contact": {"NAME": "Erika"},
       "company": {"TITLE": "Muster GmbH"}}


def _uf(bx: Wire, kind: str, name: str, type_: str, **more: Any) -> str:
    bx.ok(f"crm.{kind}.userfield.add", {"fields": {"FIELD_NAME": name, "USER_TYPE_ID": type_, **more}})
    return f"UF_CRM_{name}"


# --- facade-only fields each kind derives ------------------------------------------------------


def _derived(kind: str, obj: Any, admin_user) -> dict[str, Any]:
    me = str(admin_user.pk)
    return {
        "lead": {"MODIFY_BY_ID": me, "MOVED_BY_ID": me, "MOVED_TIME": dt(obj.updated_at)},
        "deal": {"MODIFY_BY_ID": me, "MOVED_BY_ID": me, "MOVED_TIME": dt(obj.updated_at)},
        "contact": {"PHOTO": None, "MODIFY_BY_ID": me},
        "company": {"LOGO": None, "IS_MY_COMPANY": "N", "MODIFY_BY_ID": me},
    }[kind]


@pytest.mark.parametrize("kind", ["lead", "deal", "contact", "company"])
def test_derived_fields_come_back_under_their_bitrix24_names(bx, admin_user, classic_mode, kind):
    pk = bx.ok(f"crm.{kind}.add", {"fields": ADD[kind]})
    expected = _derived(kind, MODELS[kind].objects.get(pk=pk), admin_user)
    assert expected.get("MOVED_TIME", "x") != ""

    got = bx.ok(f"crm.{kind}.get", {"id": pk})
    listed = bx.ok(f"crm.{kind}.list", {"filter": {"ID": pk}})[0]
    for data in (got, listed):
        assert {k: data[k] for k in expected} == expected
        assert [k for k in data if k != k.upper() or "XX" in k] == []


# --- user fields out and in --------------------------------------------------------------------


def test_a_boolean_user_field_comes_back_as_1_or_0(bx, classic_mode):
    flag = _uf(bx, "lead", "VIP", "boolean")
    no = bx.ok("crm.lead.add", {"fields": {"TITLE": "A", flag: "N"}})
    yes = bx.ok("crm.lead.add", {"fields": {"TITLE": "B", flag: "Y"}})
    assert bx.ok("crm.lead.get", {"id": no})[flag] == "0"
    assert bx.ok("crm.lead.get", {"id": yes})[flag] == "1"


@pytest.fixture
def contacts(bx) -> list[int]:
    """Five contacts (so their ids differ from the ids of link rows made later)."""
    return [bx.ok("crm.contact.add", {"fields": {"NAME": f"C{i}"}}) for i in range(5)]


@pytest.mark.parametrize("raw", ["C_{pk}", "c_{pk}", " C_{pk} ", "{pk}"])
def test_a_crm_binding_user_field_reads_bitrix24s_prefixed_ids(bx, classic_mode, contacts, raw):
    link = _uf(bx, "deal", "PERSON", "crm", SETTINGS={"CONTACT": "Y"})
    pk = contacts[3]
    deal = bx.ok("crm.deal.add", {"fields": {"TITLE": "A", link: raw.format(pk=pk)}})
    assert bx.ok("crm.deal.get", {"id": deal})[link] == str(pk)
    assert Deal.objects.get(pk=deal).uf == {"uf_crm_person": pk}


def test_a_crm_binding_user_field_takes_a_plain_number_and_refuses_text(bx, classic_mode, contacts):
    link = _uf(bx, "deal", "PERSON", "crm", SETTINGS={"CONTACT": "Y"})
    deal = bx.ok("crm.deal.add", {"fields": {"TITLE": "A", link: contacts[2]}})
    assert bx.ok("crm.deal.get", {"id": deal})[link] == str(contacts[2])
    assert bitrix_error(bx.post("crm.deal.add", {"fields": {"TITLE": "B", link: "abc"}})) == (
        "", "UF_CRM_PERSON: must be an integer")


@pytest.mark.parametrize("raw", ["CO_{pk}", "co_{pk}", "D_{pk}", "L_{pk}", "X_{pk}"])
def test_a_crm_binding_user_field_refuses_an_id_prefixed_with_another_kind(bx, classic_mode, contacts, raw):
    link = _uf(bx, "deal", "PERSON", "crm", SETTINGS={"CONTACT": "Y"})
    value = raw.format(pk=contacts[3])
    assert bitrix_error(bx.post("crm.deal.add", {"fields": {"TITLE": "A", link: value}})) == (
        "", f"UF_CRM_PERSON: '{value}' does not name a contact")
    assert not Deal.objects.exists()


def test_an_employee_user_field_takes_a_user_id_as_a_number(bx, admin_user, classic_mode):
    user = _uf(bx, "lead", "BUDDY", "employee")
    lead = bx.ok("crm.lead.add", {"fields": {"TITLE": "A", user: admin_user.pk}})
    assert bx.ok("crm.lead.get", {"id": lead})[user] == str(admin_user.pk)


@pytest.mark.parametrize(("raw", "stored"), [("C_12", "C_12"), (True, "Y"), (12, "12"), ("  x  ", "x")])
def test_a_string_user_field_keeps_prefixed_text_and_reads_flags_as_y_n(bx, classic_mode, raw, stored):
    text = _uf(bx, "lead", "NOTE", "string")
    lead = bx.ok("crm.lead.add", {"fields": {"TITLE": "A", text: raw}})
    assert bx.ok("crm.lead.get", {"id": lead})[text] == stored


def test_a_multiple_boolean_and_link_user_field_round_trip(bx, classic_mode, contacts):
    flags = _uf(bx, "deal", "FLAGS", "boolean", MULTIPLE="Y")
    links = _uf(bx, "deal", "PEOPLE", "crm", MULTIPLE="Y", SETTINGS={"CONTACT": "Y"})
    deal = bx.ok("crm.deal.add", {"fields": {"TITLE": "A", flags: ["Y", "N"],
                                             links: [f"C_{contacts[1]}", contacts[4]]}})
    got = bx.ok("crm.deal.get", {"id": deal})
    assert got[flags] == ["1", "0"] and got[links] == [str(contacts[1]), str(contacts[4])]


# --- crm.*.fields: user field entries and required standard fields ------------------------------


def test_user_field_entries_of_crm_fields(bx, classic_mode):
    plain = _uf(bx, "contact", "NOTE", "string", EDIT_FORM_LABEL="Note")
    strict = _uf(bx, "contact", "CODES", "string", MANDATORY="Y", MULTIPLE="Y", EDIT_FORM_LABEL="Codes")
    fields = bx.ok("crm.contact.fields")
    assert fields[plain] == {"type": "string", "isRequired": False, "isReadOnly": False, "isImmutable": False,
                             "isMultiple": False, "isDynamic": True, "title": "Note", "listLabel": "Note",
                             "formLabel": "Note", "filterLabel": "Note"}
    assert {k: fields[strict][k] for k in ("isRequired", "isMultiple", "title")} == {
        "isRequired": True, "isMultiple": True, "title": "Codes"}


def test_a_required_standard_field_says_so_in_crm_fields(bx, classic_mode):
    fields = bx.ok("crm.company.fields")
    assert fields["TITLE"]["isRequired"] is True
    assert fields["COMMENTS"]["isRequired"] is False


# --- links: CONTACT_IDS and COMPANY_IDS --------------------------------------------------------


def _rows(model, owner_field: str, owner: int, other_field: str, rows: list[tuple[int, int, bool]]) -> None:
    for other, sort, primary in rows:
        model.objects.create(**{owner_field: owner, other_field: other, "sort": sort, "is_primary": primary})


def test_contact_ids_put_the_primary_first_then_go_by_sort_then_by_row(bx, classic_mode, contacts):
    deal = bx.ok("crm.deal.add", {"fields": {"TITLE": "A"}})
    c = contacts
    # Rows as stored (e.g. by an older writer): the primary has not the lowest SORT, ids not in SORT order.
    _rows(DealContact, "deal_id", deal, "contact_id",
          [(c[4], 20, False), (c[3], 20, False), (c[0], 10, False), (c[2], 30, True)])
    assert bx.ok("crm.deal.get", {"id": deal})["CONTACT_IDS"] == [c[2], c[0], c[4], c[3]]


def test_company_ids_put_the_primary_first_then_go_by_sort_then_by_row(bx, classic_mode):
    companies = [bx.ok("crm.company.add", {"fields": {"TITLE": f"F{i}"}}) for i in range(5)]
    contact = bx.ok("crm.contact.add", {"fields": {"NAME": "Erika"}})
    f = companies
    _rows(ContactCompany, "contact_id", contact, "company_id",
          [(f[4], 20, False), (f[3], 20, False), (f[0], 10, False), (f[2], 30, True)])
    assert bx.ok("crm.contact.get", {"id": contact})["COMPANY_IDS"] == [f[2], f[0], f[4], f[3]]


def test_contact_ids_are_contact_ids_not_link_row_ids(bx, classic_mode, contacts):
    deal = bx.ok("crm.deal.add", {"fields": {"TITLE": "A", "CONTACT_IDS": [contacts[4], contacts[1]]}})
    assert bx.ok("crm.deal.get", {"id": deal})["CONTACT_IDS"] == [contacts[4], contacts[1]]
    contact = bx.ok("crm.contact.add", {"fields": {"NAME": "Erika"}})
    companies = [bx.ok("crm.company.add", {"fields": {"TITLE": f"F{i}"}}) for i in range(4)]
    bx.ok("crm.contact.update", {"id": contact, "fields": {"COMPANY_IDS": [companies[3], companies[2]]}})
    assert bx.ok("crm.contact.get", {"id": contact})["COMPANY_IDS"] == [companies[3], companies[2]]


# --- deals: CATEGORY_ID and STAGE_ID -----------------------------------------------------------


def _stage(code: str, category: int) -> str:
    return code if category == 0 else f"C{category}:{code}"


def test_an_unknown_stage_or_category_in_a_filter_matches_nothing(bx, classic_mode, service_category):
    first = Stage.objects.order_by("pk").first()
    deal = bx.ok("crm.deal.add", {"fields": {"TITLE": "A"}})
    Deal.objects.filter(pk=deal).update(stage=first, pipeline_id=first.pipeline_id)
    other = bx.ok("crm.deal.add", {"fields": {"TITLE": "B", "CATEGORY_ID": service_category}})
    ids = sorted([deal, other])

    def found(filter_: dict[str, Any]) -> list[int]:
        return sorted(int(d["ID"]) for d in bx.ok("crm.deal.list", {"filter": filter_, "select": ["ID"]}))

    assert found({"STAGE_ID": "NOPE"}) == []
    assert found({"STAGE_ID": ["NOPE", 1]}) == []
    assert found({"!STAGE_ID": "NOPE"}) == ids
    assert found({"CATEGORY_ID": 999}) == []
    assert found({"CATEGORY_ID": [999, "x"]}) == []
    assert found({"!CATEGORY_ID": 999}) == ids
    assert found({"CATEGORY_ID": service_category}) == [other]


@pytest.mark.parametrize("direction", ["ASC", "DESC"])
def test_deals_order_by_category_and_stage(bx, classic_mode, service_category, direction):
    # Made in the order opposite to both sorts, so an order by id shows.
    in_service = bx.ok("crm.deal.add", {"fields": {"TITLE": "S", "CATEGORY_ID": service_category}})
    stages = list(Stage.objects.filter(pipeline__sort__lt=900).order_by("sort", "pk"))
    later = bx.ok("crm.deal.add", {"fields": {"TITLE": "L", "STAGE_ID": stages[1].code}})
    earlier = bx.ok("crm.deal.add", {"fields": {"TITLE": "E", "STAGE_ID": stages[0].code}})
    assert stages[0].pk < stages[1].pk

    def order(key: str) -> list[int]:
        rows = bx.ok("crm.deal.list", {"order": {key: direction}, "select": ["ID"]})
        return [int(r["ID"]) for r in rows]

    # Ties go by id in the direction of the last key.
    by_category = [later, earlier, in_service]
    assert order("CATEGORY_ID") == (by_category if direction == "ASC" else [in_service, earlier, later])
    by_stage = [earlier, later, in_service]
    assert order("STAGE_ID") == (by_stage if direction == "ASC" else by_stage[::-1])


def test_a_deal_category_on_update_is_ignored(bx, classic_mode, service_category):
    deal = bx.ok("crm.deal.add", {"fields": {"TITLE": "A"}})
    before = bx.ok("crm.deal.get", {"id": deal})
    assert bx.ok("crm.deal.update", {"id": deal, "fields": {"CATEGORY_ID": service_category, "TITLE": "B"}}) is True
    after = bx.ok("crm.deal.get", {"id": deal})
    assert (after["CATEGORY_ID"], after["STAGE_ID"], after["TITLE"]) == ("0", before["STAGE_ID"], "B")


@pytest.mark.parametrize("empty", ["", 0, "0", None])
def test_an_empty_category_or_stage_on_add_means_the_default(bx, classic_mode, empty):
    default = bx.ok("crm.deal.get", {"id": bx.ok("crm.deal.add", {"fields": {"TITLE": "D"}})})
    deal = bx.ok("crm.deal.add", {"fields": {"TITLE": "A", "CATEGORY_ID": empty,
                                             "STAGE_ID": "" if empty != 0 else None}})
    got = bx.ok("crm.deal.get", {"id": deal})
    assert (got["CATEGORY_ID"], got["STAGE_ID"]) == ("0", default["STAGE_ID"])


@pytest.mark.parametrize(("fields", "message"), [
    ({"CATEGORY_ID": 999}, "Category 999 not found."),
    ({"STAGE_ID": "NOPE"}, "Stage 'NOPE' not found."),
])
def test_an_unknown_category_or_stage_on_add_is_named(bx, classic_mode, fields, message):
    assert bitrix_error(bx.post("crm.deal.add", {"fields": {"TITLE": "A", **fields}})) == ("", message)
    assert not Deal.objects.exists()


def test_an_unknown_stage_on_update_is_named(bx, classic_mode):
    deal = bx.ok("crm.deal.add", {"fields": {"TITLE": "A"}})
    assert bitrix_error(bx.post("crm.deal.update", {"id": deal, "fields": {"STAGE_ID": "NOPE"}})) == (
        "", "Stage 'NOPE' not found.")


# --- updates edit multi-fields, not replace them ------------------------------------------------


@pytest.mark.parametrize("kind", ["lead", "contact", "company"])
def test_an_update_adds_a_phone_without_id_and_keeps_the_others(bx, classic_mode, kind):
    pk = bx.ok(f"crm.{kind}.add", {"fields": {**ADD[kind], "PHONE": [{"VALUE": "+49 30 1111", "VALUE_TYPE": "WORK"}]}})
    first = bx.ok(f"crm.{kind}.get", {"id": pk})["PHONE"][0]
    assert bx.ok(f"crm.{kind}.update", {"id": pk, "fields": {
        "PHONE": [{"VALUE": "+49 30 2222", "VALUE_TYPE": "HOME"}, {"ID": first["ID"], "VALUE": "+49 30 3333"}],
    }}) is True
    phones = bx.ok(f"crm.{kind}.get", {"id": pk})["PHONE"]
    assert [(p["VALUE"], p["VALUE_TYPE"]) for p in phones] == [("+49 30 3333", "WORK"), ("+49 30 2222", "HOME")]
    assert phones[0]["ID"] == first["ID"]
