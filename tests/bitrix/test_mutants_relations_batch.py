"""crm.deal.contact.*, crm.contact.company.*, crm.company.contact.*, crm.lead.contact.* and ``batch``:
written against the survivors of the exact run of 5 December over ``kontor.bitrix.methods.relations``
and ``kontor.bitrix.methods.batch`` (var/mut-bx1).

Covered here: every link method under each of the four prefixes; each ``*.fields`` answer in full; the
errors of add/delete/items.set word for word (missing, zero, unknown and unlinked ids, items that are no
objects, a lead's second contact); where ``add`` puts a new link (SORT, IS_PRIMARY, the current primary
kept first, no SORT: after the others) and how ``items.set`` orders its items; the order of a company's
contacts; every write running as the webhook's user (a role without edit rights is refused, on the
owner and on each contact a company link changes). For ``batch``: references whose path runs out
(at a number, past the end of a list, at a name in a list), references to a missing command and to a
whole section, booleans inside a longer string.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest

from kontor.crm.models import Contact, ContactCompany, Lead

from .conftest import Wire, bitrix_error

pytestmark = pytest.mark.django_db

PREFIXES = ("crm.deal.contact", "crm.contact.company", "crm.company.contact", "crm.lead.contact")
#: prefix → (owner kind, linked kind, the linked id's field)
LINKS = {
    "crm.deal.contact": ("deal", "contact", "CONTACT_ID"),
    "crm.contact.company": ("contact", "company", "COMPANY_ID"),
    "crm.company.contact": ("company", "contact", "CONTACT_ID"),
    "crm.lead.contact": ("lead", "contact", "CONTACT_ID"),
}
ADD = {"lead": {"TITLE": "Anfrage"}, "deal": {"TITLE": "Relaunch"}, "contact": {"NAME": "Erika"},
       "company": {"TITLE": "Muster GmbH"}}


def _record(bx: Wire, kind: str, **fields) -> int:
    return bx.ok(f"crm.{kind}.add", {"fields": {**ADD[kind], **fields}})


def _linked(bx: Wire, prefix: str, owner: int) -> list[int]:
    key = LINKS[prefix][2]
    return [row[key] for row in bx.ok(f"{prefix}.items.get", {"id": owner})]


# --- every method under every prefix ------------------------------------------------------------


@pytest.mark.parametrize("prefix", PREFIXES)
def test_each_link_method_answers_under_each_prefix(bx, classic_mode, prefix):
    owner_kind, other_kind, key = LINKS[prefix]
    owner = _record(bx, owner_kind)
    first, second = _record(bx, other_kind), _record(bx, other_kind)

    assert set(bx.ok(f"{prefix}.fields")) == {key, "SORT", "ROLE_ID", "IS_PRIMARY"}
    assert bx.ok(f"{prefix}.items.get", {"id": owner}) == []
    assert bx.ok(f"{prefix}.add", {"id": owner, "fields": {key: first}}) is True
    assert bx.ok(f"{prefix}.items.get", {"id": owner}) == [
        {key: first, "SORT": 10, "ROLE_ID": 0, "IS_PRIMARY": "Y"}]
    assert bx.ok(f"{prefix}.items.set", {"id": owner, "items": [{key: second}]}) is True
    assert _linked(bx, prefix, owner) == [second]
    assert bx.ok(f"{prefix}.delete", {"id": owner, "fields": {key: second}}) is True
    assert _linked(bx, prefix, owner) == []
    assert bx.ok(f"{prefix}.items.set", {"id": owner, "items": [{key: first}]}) is True
    assert bx.ok(f"{prefix}.items.delete", {"id": owner}) is True
    assert _linked(bx, prefix, owner) == []


def _meta(type_: str, title: str, *, required: bool = False, read_only: bool = False) -> dict:
    return {"type": type_, "isRequired": required, "isReadOnly": read_only, "isImmutable": False,
            "isMultiple": False, "isDynamic": False, "title": title}


@pytest.mark.parametrize(("prefix", "key", "title"), [
    ("crm.deal.contact", "CONTACT_ID", "Contact"),
    ("crm.contact.company", "COMPANY_ID", "Company"),
    ("crm.company.contact", "CONTACT_ID", "Contact"),
    ("crm.lead.contact", "CONTACT_ID", "Contact"),
])
def test_fields_describe_the_link_in_full(bx, prefix, key, title):
    assert bx.ok(f"{prefix}.fields") == {
        key: _meta("integer", title, required=True),
        "SORT": _meta("integer", "Sort"),
        "ROLE_ID": _meta("integer", "Role", read_only=True),
        "IS_PRIMARY": _meta("char", "Primary"),
    }


# --- errors ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", PREFIXES)
@pytest.mark.parametrize(("value", "message"), [
    (None, "The field {key} is not defined or invalid."),
    (0, "The field {key} is not defined or invalid."),
    (-3, "The field {key} is not defined or invalid."),
    ("abc", "The field {key} is not defined or invalid."),
    (987654, "{key}: record 987654 not found."),
])
def test_add_and_items_set_name_a_missing_or_unknown_id(bx, classic_mode, prefix, value, message):
    owner_kind, _, key = LINKS[prefix]
    owner = _record(bx, owner_kind)
    fields = {} if value is None else {key: value}
    expected = ("", message.format(key=key))
    assert bitrix_error(bx.post(f"{prefix}.add", {"id": owner, "fields": fields})) == expected
    assert bitrix_error(bx.post(f"{prefix}.items.set", {"id": owner, "items": [fields]})) == expected
    assert _linked(bx, prefix, owner) == []


@pytest.mark.parametrize("prefix", PREFIXES)
@pytest.mark.parametrize(("value", "message"), [
    (None, "The field {key} is not defined or invalid."),
    (0, "The field {key} is not defined or invalid."),
    (-3, "The field {key} is not defined or invalid."),
    ("{other}", "{key} {other} is not linked."),
])
def test_delete_names_a_missing_or_unlinked_id(bx, classic_mode, prefix, value, message):
    owner_kind, other_kind, key = LINKS[prefix]
    owner = _record(bx, owner_kind)
    linked, other = _record(bx, other_kind), _record(bx, other_kind)
    bx.ok(f"{prefix}.add", {"id": owner, "fields": {key: linked}})
    fields = {} if value is None else {key: other if value == "{other}" else value}
    assert bitrix_error(bx.post(f"{prefix}.delete", {"id": owner, "fields": fields})) == (
        "", message.format(key=key, other=other))
    assert _linked(bx, prefix, owner) == [linked]


@pytest.mark.parametrize("prefix", PREFIXES)
@pytest.mark.parametrize("items", [["7"], [7], [[1, 2]]])
def test_items_set_refuses_items_that_are_no_objects(bx, classic_mode, prefix, items):
    owner_kind, _, key = LINKS[prefix]
    owner = _record(bx, owner_kind)
    assert bitrix_error(bx.post(f"{prefix}.items.set", {"id": owner, "items": items})) == (
        "", f"Parameter 'items' must be array of objects with {key}.")


def test_a_lead_has_one_contact_and_says_so(bx, classic_mode):
    lead = _record(bx, "lead")
    first, second = _record(bx, "contact"), _record(bx, "contact")
    assert bx.ok("crm.lead.contact.add", {"id": lead, "fields": {"CONTACT_ID": first}}) is True
    message = ("", "Kontor's leads have at most 1 contact; delete the current one first.")
    assert bitrix_error(bx.post("crm.lead.contact.add", {"id": lead, "fields": {"CONTACT_ID": second}})) == message
    assert bitrix_error(bx.post("crm.lead.contact.items.set", {"id": lead, "items": [
        {"CONTACT_ID": first}, {"CONTACT_ID": second}]})) == message
    assert _linked(bx, "crm.lead.contact", lead) == [first]
    assert Lead.objects.get(pk=lead).contact_id == first


# --- where add puts a link ------------------------------------------------------------------------


@pytest.fixture
def people(bx, classic_mode) -> dict[str, int]:
    """Contacts a, b, c, d, e, created in this order (so their ids rise in this order)."""
    return {name: _record(bx, "contact", NAME=name.upper()) for name in "abcde"}


@pytest.mark.parametrize(("start", "added", "expected"), [
    # A SORT puts the new contact among the others; the primary one stays first.
    ("abc", {"CONTACT_ID": "d", "SORT": 15}, "adbc"),
    ("abc", {"CONTACT_ID": "d", "SORT": 5}, "adbc"),
    ("abc", {"CONTACT_ID": "d", "SORT": 25}, "abdc"),
    ("abc", {"CONTACT_ID": "d", "sort": "25"}, "abdc"),
    # Without one it goes last, also when its id is lower than the others'.
    ("abc", {"CONTACT_ID": "d"}, "abcd"),
    ("acd", {"CONTACT_ID": "b"}, "acdb"),
    ("", {"CONTACT_ID": "b"}, "b"),
    # IS_PRIMARY puts it first.
    ("abc", {"CONTACT_ID": "d", "IS_PRIMARY": "Y"}, "dabc"),
    ("abc", {"CONTACT_ID": "c", "IS_PRIMARY": "Y"}, "cab"),
    ("abc", {"CONTACT_ID": "d", "IS_PRIMARY": "N", "SORT": 5}, "adbc"),
    # Adding the primary one again moves it by its new SORT.
    ("abc", {"CONTACT_ID": "a", "SORT": 25}, "bac"),
    ("abc", {"CONTACT_ID": "a", "SORT": 5}, "abc"),
    ("abc", {"CONTACT_ID": "b", "SORT": 35}, "acb"),
])
def test_add_places_the_new_contact_by_sort_and_primary_flag(bx, people, start, added, expected):
    deal = _record(bx, "deal")
    bx.ok("crm.deal.contact.items.set", {"id": deal, "items": [{"CONTACT_ID": people[n]} for n in start]})
    fields = {k: people[v] if k == "CONTACT_ID" else v for k, v in added.items()}
    assert bx.ok("crm.deal.contact.add", {"id": deal, "fields": fields}) is True
    names = {pk: name for name, pk in people.items()}
    rows = bx.ok("crm.deal.contact.items.get", {"id": deal})
    assert "".join(names[r["CONTACT_ID"]] for r in rows) == expected
    assert [(r["SORT"], r["IS_PRIMARY"]) for r in rows] == [
        ((i + 1) * 10, "Y" if i == 0 else "N") for i in range(len(expected))]


@pytest.mark.parametrize(("items", "expected"), [
    ([{"CONTACT_ID": "a"}, {"CONTACT_ID": "b", "SORT": 5}], "ba"),
    ([{"CONTACT_ID": "a"}, {"CONTACT_ID": "b", "SORT": 15}], "ab"),
    ([{"CONTACT_ID": "a"}, {"CONTACT_ID": "b", "SORT": 10}], "ab"),
    ([{"CONTACT_ID": "a"}, {"CONTACT_ID": "b"}, {"CONTACT_ID": "c"}], "abc"),
    ([{"CONTACT_ID": "a", "SORT": 30}, {"CONTACT_ID": "b", "SORT": 20}, {"CONTACT_ID": "c", "SORT": 10}], "cba"),
    ([{"contact_id": "a", "sort": "20"}, {"contact_id": "b", "sort": "10"}], "ba"),
    ([{"CONTACT_ID": "a"}, {"CONTACT_ID": "b", "IS_PRIMARY": "Y"}], "ba"),
    ([{"CONTACT_ID": "a", "IS_PRIMARY": "N"}, {"CONTACT_ID": "b", "IS_PRIMARY": "N", "SORT": 1}], "ba"),
    ([{"CONTACT_ID": "a"}, {"CONTACT_ID": "a", "SORT": 1}, {"CONTACT_ID": "b"}], "ab"),
    ([], ""),
])
def test_items_set_orders_by_primary_flag_then_sort_then_position(bx, people, items, expected):
    deal = _record(bx, "deal")
    bx.ok("crm.deal.contact.items.set", {"id": deal, "items": [{"CONTACT_ID": people["e"]}]})
    items = [{k: people[v] if k.upper() == "CONTACT_ID" else v for k, v in item.items()} for item in items]
    assert bx.ok("crm.deal.contact.items.set", {"id": deal, "items": items}) is True
    names = {pk: name for name, pk in people.items()}
    assert "".join(names[pk] for pk in _linked(bx, "crm.deal.contact", deal)) == expected


@pytest.mark.parametrize(("start", "removed", "expected"), [
    ("abc", "b", "ac"),
    ("abc", "a", "bc"),
    ("abc", "c", "ab"),
])
def test_delete_keeps_the_others_in_order(bx, people, start, removed, expected):
    deal = _record(bx, "deal")
    bx.ok("crm.deal.contact.items.set", {"id": deal, "items": [{"CONTACT_ID": people[n]} for n in start]})
    assert bx.ok("crm.deal.contact.delete", {"id": deal, "fields": {"CONTACT_ID": people[removed]}}) is True
    names = {pk: name for name, pk in people.items()}
    rows = bx.ok("crm.deal.contact.items.get", {"id": deal})
    assert "".join(names[r["CONTACT_ID"]] for r in rows) == expected
    assert rows[0]["IS_PRIMARY"] == "Y"


def test_a_contacts_companies_keep_their_order(bx, classic_mode):
    contact = _record(bx, "contact")
    x, y, z = (_record(bx, "company", TITLE=t) for t in "XYZ")
    bx.ok("crm.contact.company.items.set", {"id": contact, "items": [
        {"COMPANY_ID": x, "SORT": 30}, {"COMPANY_ID": y, "SORT": 10}, {"COMPANY_ID": z, "SORT": 20}]})
    assert _linked(bx, "crm.contact.company", contact) == [y, z, x]
    bx.ok("crm.contact.company.add", {"id": contact, "fields": {"COMPANY_ID": x, "SORT": 15}})
    assert _linked(bx, "crm.contact.company", contact) == [y, x, z]
    assert bx.ok("crm.contact.get", {"id": contact})["COMPANY_ID"] == str(y)


# --- a company's contacts ---------------------------------------------------------------------------


def test_a_companys_contacts_come_by_their_place_in_each_contacts_list(bx, classic_mode):
    x, y = _record(bx, "company", TITLE="X"), _record(bx, "company", TITLE="Y")
    low = _record(bx, "contact", NAME="Low", COMPANY_IDS=[y, x])  # X second in Low's list: SORT 20
    high = _record(bx, "contact", NAME="High", COMPANY_IDS=[x])  # X first in High's list: SORT 10
    assert bx.ok("crm.company.contact.items.get", {"id": x}) == [
        {"CONTACT_ID": high, "SORT": 10, "ROLE_ID": 0, "IS_PRIMARY": "Y"},
        {"CONTACT_ID": low, "SORT": 20, "ROLE_ID": 0, "IS_PRIMARY": "N"},
    ]


def test_a_companys_contacts_with_the_same_place_come_by_id(bx, classic_mode):
    x = _record(bx, "company", TITLE="X")
    low, high = _record(bx, "contact", NAME="Low"), _record(bx, "contact", NAME="High")
    bx.ok("crm.contact.update", {"id": high, "fields": {"COMPANY_IDS": [x]}})  # linked first
    bx.ok("crm.contact.update", {"id": low, "fields": {"COMPANY_IDS": [x]}})
    assert list(ContactCompany.objects.filter(company_id=x).order_by("id").values_list("contact_id", flat=True)) == [
        high, low]
    assert _linked(bx, "crm.company.contact", x) == [low, high]


def test_company_contact_links_change_each_contacts_company_list(bx, classic_mode):
    x, y = _record(bx, "company", TITLE="X"), _record(bx, "company", TITLE="Y")
    first = _record(bx, "contact", NAME="First", COMPANY_IDS=[y])
    second = _record(bx, "contact", NAME="Second", COMPANY_IDS=[x])
    assert bx.ok("crm.company.contact.add", {"id": x, "fields": {"CONTACT_ID": first}}) is True
    assert bx.ok("crm.contact.get", {"id": first})["COMPANY_IDS"] == [y, x]
    assert bx.ok("crm.contact.get", {"id": second})["COMPANY_IDS"] == [x]
    assert sorted(_linked(bx, "crm.company.contact", x)) == sorted([first, second])
    assert bx.ok("crm.company.contact.delete", {"id": x, "fields": {"CONTACT_ID": second}}) is True
    assert bx.ok("crm.contact.get", {"id": second})["COMPANY_IDS"] == []
    assert _linked(bx, "crm.company.contact", x) == [first]


# --- every write runs as the webhook's user -------------------------------------------------------


@pytest.fixture
def restricted(manager_with_role) -> tuple:
    """A manager who may read every record, edit and delete companies, deals and leads, and edit only
    their own contacts."""
    from kontor.bitrix.services import webhook_create, webhook_path

    full = {"read": "all", "add": "all", "edit": "all", "delete": "all"}
    user = manager_with_role({"deal": dict(full), "lead": dict(full), "company": dict(full),
                              "contact": {"read": "all", "add": "all", "edit": "own"}}, username="own-contacts")
    webhook, raw = webhook_create(user=user, name="tests")
    return user, Wire(webhook_path(webhook, raw))


@pytest.mark.parametrize("prefix", PREFIXES)
def test_a_role_without_edit_rights_cannot_change_links(bx, role_client, classic_mode, prefix):
    _, reader = role_client({"read": "all", "add": "all", "edit": "none", "delete": "none", "export": "all"},
                            username="reader")
    owner_kind, other_kind, key = LINKS[prefix]
    owner, other = _record(bx, owner_kind), _record(bx, other_kind)
    assert bitrix_error(reader.post(f"{prefix}.add", {"id": owner, "fields": {key: other}})) == ("", "Access denied.")
    assert _linked(bx, prefix, owner) == []
    assert bx.ok(f"{prefix}.add", {"id": owner, "fields": {key: other}}) is True


def test_a_company_link_needs_the_right_to_edit_the_contact(bx, restricted, classic_mode):
    user, wire = restricted
    company = _record(bx, "company")
    others = _record(bx, "contact", NAME="Others")  # assigned to the admin: not the manager's to edit
    own = _record(bx, "contact", NAME="Own", ASSIGNED_BY_ID=user.pk)

    denied = ("", "Access denied.")
    refused = wire.post("crm.company.contact.add", {"id": company, "fields": {"CONTACT_ID": others}})
    assert bitrix_error(refused) == denied
    assert _linked(bx, "crm.company.contact", company) == []
    # Adding their own contact beside one they may not edit leaves that one alone.
    bx.ok("crm.company.contact.add", {"id": company, "fields": {"CONTACT_ID": others}})
    assert wire.ok("crm.company.contact.add", {"id": company, "fields": {"CONTACT_ID": own}}) is True
    assert sorted(_linked(bx, "crm.company.contact", company)) == sorted([others, own])
    # Taking away a contact they may not edit is refused; their own goes.
    refused = wire.post("crm.company.contact.delete", {"id": company, "fields": {"CONTACT_ID": others}})
    assert bitrix_error(refused) == denied
    refused = wire.post("crm.company.contact.items.set", {"id": company, "items": [{"CONTACT_ID": own}]})
    assert bitrix_error(refused) == denied
    assert wire.ok("crm.company.contact.delete", {"id": company, "fields": {"CONTACT_ID": own}}) is True
    assert _linked(bx, "crm.company.contact", company) == [others]
    assert Contact.objects.get(pk=others).company_id == company


# --- batch references --------------------------------------------------------------------------------


def _batch(bx: Wire, cmd) -> dict:
    out = bx.ok("batch", {"halt": 0, "cmd": cmd})
    assert out["result_error"] == [], out["result_error"]
    return out


def _title_of(bx: Wire, title: str, *, before: dict[str, str] | None = None) -> str:
    """The TITLE a lead gets from ``fields[TITLE]=<title>`` after the commands ``before``."""
    out = _batch(bx, {**(before or {}), "t": "crm.lead.add?fields[TITLE]=" + quote(title),
                      "g": "crm.lead.get?id=$result[t]"})
    return out["result"]["g"]["TITLE"]


SETUP = {"add": "crm.lead.add?fields[TITLE]=First", "list": "crm.lead.list?select[]=ID&filter[ID]=$result[add]",
         "f": "crm.lead.fields"}


@pytest.mark.parametrize(("title", "expected"), [
    # A path running out stops at the last node found: at a number, after the end of a list, at a
    # name in a list.
    ("$result[add][ID]", "{add}"),
    ("N $result[add][ID][x]", "N {add}"),
    ("N $result[list][0][ID]", "N {add}"),
    ("N $result[list][1][ID]", "N $result[list][1][ID]"),
    ("N $result[list][first]", "N $result[list][first]"),
    ("N $result[f][TITLE][nope]", "N $result[f][TITLE][nope]"),
    # A missing command stays as written, alone or in a longer string.
    ("$result[nope]", "$result[nope]"),
    ("$result[nope][ID]", "$result[nope][ID]"),
    ("N $result[nope]", "N $result[nope]"),
    # Booleans inside a longer string: "1" and "".
    ("N $result[f][ID][isReadOnly]/$result[f][ID][isDynamic]/", "N 1//"),
    ("N $result[f][ID][isDynamic].", "N ."),
    ("no reference", "no reference"),
])
def test_references_resolve_as_bitrix24_does(bx, classic_mode, title, expected):
    before = dict(SETUP)
    out = _batch(bx, before)
    assert out["result"]["f"]["ID"]["isReadOnly"] is True and out["result"]["f"]["ID"]["isDynamic"] is False
    got = _title_of(bx, title, before=before)
    add = Lead.objects.filter(title="First").order_by("-pk").first().pk
    assert got == expected.format(add=add)


def test_a_whole_section_is_a_list_when_the_commands_are_a_list(bx, classic_mode):
    out = _batch(bx, ["crm.lead.add?fields[TITLE]=A", "crm.lead.add?fields[TITLE]=B",
                      "crm.lead.list?filter[ID]=$result&select[]=ID&select[]=TITLE&order[ID]=ASC"])
    first, second, rows = out["result"]
    assert rows == [{"ID": str(first), "TITLE": "A"}, {"ID": str(second), "TITLE": "B"}]
