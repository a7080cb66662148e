"""crm.item.* (the universal record methods), crm.item.productrow.* and ``batch``, answer by answer:
behaviour the surviving mutants of ``kontor.bitrix.methods.items``, ``products`` and ``batch`` showed
untested (docs/mutation.md).

Covered here: the "must be array" answers of crm.item.add/update/list; crm.item.list's filter, order,
paging and each form of ``select`` (``*``, ``UF_*``/``ufCrm_*``/``ufCrm*``, ``fm`` beside other names)
and its camelCase errors; the ``fm`` entry of crm.item.fields; an empty ``categoryId`` on crm.item.update;
crm.item.productrow.fields in full, the owner of every row that list/get/set answer, their errors and
their upper-case keys; batch's per-command errors (bad command, nested batch, the 51st command), the
caller's identity in sub-commands and the ``processing`` time of each.
"""

from __future__ import annotations

import pytest

from kontor.crm import services
from kontor.crm.enums import EntityType
from kontor.crm.models import Deal, Lead, TimelineEntry
from kontor.products.models import ProductRow

from .conftest import bitrix_error

pytestmark = pytest.mark.django_db


# --- crm.item.add / update / list: parameters that must be objects --------------------------------


@pytest.mark.parametrize(("method", "params", "message"), [
    ("crm.item.add", {"fields": "TITLE=x"}, "Parameter 'fields' must be array."),
    ("crm.item.update", {"id": "{lead}", "fields": "TITLE=x"}, "Parameter 'fields' must be array."),
    ("crm.item.list", {"filter": "ID=1"}, "Parameter 'filter' must be array."),
    ("crm.item.list", {"order": "ID"}, "Parameter 'order' must be array."),
])
def test_a_parameter_that_is_no_object_is_named(bx, classic_mode, method, params, message):
    lead = bx.ok("crm.lead.add", {"fields": {"TITLE": "Kept"}})
    params = {k: (lead if v == "{lead}" else v) for k, v in params.items()}
    assert bitrix_error(bx.post(method, {"entityTypeId": 1, **params})) == ("", message)
    assert list(Lead.objects.values_list("title", flat=True)) == ["Kept"]


def test_an_empty_category_leaves_the_deal_in_its_pipeline_and_writes_the_rest(bx, classic_mode):
    deal = bx.ok("crm.deal.add", {"fields": {"TITLE": "Old"}})
    pipeline = Deal.objects.get(pk=deal).pipeline_id
    item = bx.ok("crm.item.update", {"entityTypeId": 2, "id": deal,
                                     "fields": {"categoryId": "", "title": "New"}})["item"]
    assert (item["title"], item["categoryId"], item["stageId"]) == ("New", 0, "NEW")
    assert Deal.objects.get(pk=deal).pipeline_id == pipeline


# --- crm.item.list -------------------------------------------------------------------------------


def test_list_filters_orders_and_pages_in_camel_case(bx, classic_mode, admin_user):
    for number in range(52):
        services.lead_create(actor=admin_user, data={"title": f"Row {number:02d}"})
    services.lead_create(actor=admin_user, data={"title": "Other"})
    params = {"entityTypeId": 1, "filter": {"%title": "Row"}, "order": {"title": "DESC"}, "select": ["title"]}

    first = bx.call("crm.item.list", params)
    assert (first["total"], first["next"], len(first["result"]["items"])) == (52, 50, 50)
    assert [i["title"] for i in first["result"]["items"][:2]] == ["Row 51", "Row 50"]

    last = bx.call("crm.item.list", {**params, "start": 50})
    assert [i["title"] for i in last["result"]["items"]] == ["Row 01", "Row 00"]
    assert last["total"] == 52 and "next" not in last


@pytest.fixture
def sized_lead(bx, classic_mode):
    bx.ok("crm.lead.userfield.add", {"fields": {"FIELD_NAME": "SIZE", "USER_TYPE_ID": "string"}})
    return bx.ok("crm.lead.add", {"fields": {"TITLE": "L", "UF_CRM_SIZE": "XL",
                                             "PHONE": [{"VALUE": "030 1", "VALUE_TYPE": "WORK"}]}})


def _listed(bx, lead, select):
    items = bx.ok("crm.item.list", {"entityTypeId": 1, "select": select, "filter": {"id": lead}})["items"]
    assert len(items) == 1
    return items[0]


@pytest.mark.parametrize("select", [["ufCrm_*"], ["ufCrm*"], ["UF_*"]])
def test_list_selects_only_the_user_fields(bx, sized_lead, select):
    assert _listed(bx, sized_lead, select) == {"id": sized_lead, "ufCrm_SIZE": "XL"}


def test_list_select_star_is_every_standard_field_without_user_fields_and_fm(bx, sized_lead):
    everything = _listed(bx, sized_lead, [])
    assert everything["ufCrm_SIZE"] == "XL" and everything["fm"]
    standard = {k: v for k, v in everything.items() if k not in ("ufCrm_SIZE", "fm")}
    assert _listed(bx, sized_lead, ["*"]) == standard


def test_list_selects_fm_beside_other_fields(bx, sized_lead):
    phone = Lead.objects.get(pk=sized_lead)
    assert phone.title == "L"
    item = _listed(bx, sized_lead, ["title", "fm"])
    assert item == {"id": sized_lead, "title": "L",
                    "fm": [{"id": item["fm"][0]["id"], "typeId": "PHONE", "valueType": "WORK", "value": "030 1"}]}


def test_list_errors_name_fields_in_camel_case(bx, classic_mode):
    response = bx.post("crm.item.list", {"entityTypeId": 1, "filter": {"assignedById": "abc"}})
    assert bitrix_error(response) == ("ERROR_ARGUMENT", "Filter field 'assignedById': needs an integer, not 'abc'")


# --- crm.item.fields -----------------------------------------------------------------------------


@pytest.mark.parametrize("entity_type_id", [1, 2, 3, 4])
def test_fields_describe_fm_as_one_multiple_field(bx, entity_type_id):
    fields = bx.ok("crm.item.fields", {"entityTypeId": entity_type_id})["fields"]
    assert fields["fm"] == {"type": "crm_multifield", "isRequired": False, "isReadOnly": False,
                            "isImmutable": False, "isMultiple": True, "isDynamic": False,
                            "title": "Phones, e-mails, websites, messengers", "upperName": "FM"}
    assert fields["id"]["upperName"] == "ID" and "FM" not in fields


# --- crm.item.productrow.* -----------------------------------------------------------------------


def _meta(type_: str, title: str, *, required: bool = False, read_only: bool = False,
          immutable: bool = False) -> dict:
    return {"type": type_, "isRequired": required, "isReadOnly": read_only, "isImmutable": immutable,
            "isMultiple": False, "isDynamic": False, "title": title}


def test_productrow_fields_in_full(bx):
    fields = bx.ok("crm.item.productrow.fields")["fields"]
    assert fields == {
        "id": _meta("integer", "ID", read_only=True),
        "ownerId": _meta("integer", "Owner", required=True, immutable=True),
        "ownerType": _meta("string", "Owner type (D, L)", required=True, immutable=True),
        "productId": _meta("integer", "Product id"),
        "productName": _meta("string", "Product name"),
        "price": _meta("double", "Price"),
        "quantity": _meta("double", "Quantity"),
        "discountTypeId": _meta("integer", "Discount type id"),
        "discountRate": _meta("double", "Discount rate"),
        "discountSum": _meta("double", "Discount sum"),
        "taxRate": _meta("double", "Tax rate"),
        "taxIncluded": _meta("char", "Tax included"),  # a Y/N flag, as Bitrix24 documents it
        "measureName": _meta("string", "Measure name"),
        "sort": _meta("integer", "Sort"),
    }


def _owner_of(row: dict) -> tuple:
    return row["id"], row["ownerType"], row["ownerId"], row["productName"]


@pytest.fixture
def owners(bx, classic_mode):
    """A deal and a lead with one row each, set through crm.item.productrow.set."""
    deal = bx.ok("crm.deal.add", {"fields": {"TITLE": "D"}})
    lead = bx.ok("crm.lead.add", {"fields": {"TITLE": "L"}})
    deal_rows = bx.ok("crm.item.productrow.set", {"ownerType": "D", "ownerId": deal, "productRows": [
        {"productName": "Seat", "price": 30, "quantity": 4}]})["productRows"]
    lead_rows = bx.ok("crm.item.productrow.set", {"ownerType": "L", "ownerId": lead, "productRows": [
        {"productName": "Desk", "price": 100, "quantity": 1}]})["productRows"]
    deal_row, lead_row = ProductRow.objects.get(deal_id=deal), ProductRow.objects.get(lead_id=lead)
    assert [_owner_of(r) for r in deal_rows] == [(deal_row.pk, "D", deal, "Seat")]
    assert [_owner_of(r) for r in lead_rows] == [(lead_row.pk, "L", lead, "Desk")]
    return {"D": (deal, deal_row.pk, "Seat"), "L": (lead, lead_row.pk, "Desk")}


@pytest.mark.parametrize("owner_type", ["D", "L"])
def test_productrow_list_and_get_name_the_owner(bx, owners, owner_type):
    owner, row, name = owners[owner_type]
    listed = bx.ok("crm.item.productrow.list", {"filter": {"=ownerType": owner_type, "ownerId": owner}})
    assert [_owner_of(r) for r in listed["productRows"]] == [(row, owner_type, owner, name)]
    got = bx.ok("crm.item.productrow.get", {"id": row})["productRow"]
    assert _owner_of(got) == (row, owner_type, owner, name)


@pytest.mark.parametrize("filter_", [None, [], "ownerType=D"])
def test_productrow_list_without_a_filter_object_asks_for_the_owner_type(bx, filter_):
    response = bx.post("crm.item.productrow.list", {} if filter_ is None else {"filter": filter_})
    assert bitrix_error(response) == ("ERROR_ARGUMENT", "ownerType must be D (deal) or L (lead).")
    assert response.json()["argument"] == "ownerType"


def test_productrow_list_reads_the_owner_only_from_its_own_keys(bx, owners):
    deal = owners["D"][0]
    response = bx.post("crm.item.productrow.list", {"filter": {"=ownerType": "D", "XownerId": deal}})
    assert bitrix_error(response) == ("ERROR_ARGUMENT", "ownerId is not defined or invalid.")


def test_productrow_get_of_an_unknown_row(bx):
    assert bitrix_error(bx.post("crm.item.productrow.get", {"id": 987654})) == ("", "Not found")


def test_productrow_set_takes_upper_case_keys_too(bx, owners):
    deal = owners["D"][0]
    rows = bx.ok("crm.item.productrow.set", {"ownerType": "D", "ownerId": deal, "productRows": [
        {"PRODUCT_NAME": "Chair", "PRICE": 25, "QUANTITY": 2, "SORT": 5}]})["productRows"]
    stored = ProductRow.objects.get(deal_id=deal)
    assert (stored.product_name, stored.price, stored.quantity, stored.sort) == ("Chair", 25, 2, 5)
    assert [_owner_of(r) for r in rows] == [(stored.pk, "D", deal, "Chair")]


@pytest.mark.parametrize(("rows", "expected"), [
    ([{"productName": "A", "price": 1}, "Chair"], ("", "productRows[1] must be an object.")),
    ([{"productName": "A", "colour": "red"}],
     ("ERROR_ARGUMENT", "rows[0]: field 'colour' is not supported by Kontor.")),
])
def test_productrow_set_refuses_a_bad_row_writing_nothing(bx, owners, rows, expected):
    deal, row, _ = owners["D"]
    assert bitrix_error(bx.post("crm.item.productrow.set", {"ownerType": "D", "ownerId": deal,
                                                      "productRows": rows})) == expected
    assert list(ProductRow.objects.filter(deal_id=deal).values_list("pk", flat=True)) == [row]


def test_productrow_set_answers_a_refused_row_as_a_crm_error(bx, owners):
    deal, row, _ = owners["D"]
    code, text = bitrix_error(bx.post("crm.item.productrow.set", {"ownerType": "D", "ownerId": deal,
                                                            "productRows": [{"productId": 987654}]}))
    assert code == "" and text.startswith("rows[0].") and text.endswith(": no product 987654")
    assert list(ProductRow.objects.filter(deal_id=deal).values_list("pk", flat=True)) == [row]


def test_productrow_set_changes_the_amount_as_the_caller(bx, classic_mode, admin_user):
    deal = bx.ok("crm.deal.add", {"fields": {"TITLE": "D"}})
    bx.ok("crm.item.productrow.set", {"ownerType": "D", "ownerId": deal, "productRows": [
        {"productName": "Seat", "price": 30, "quantity": 4}]})
    updated = TimelineEntry.objects.get(entity_type=EntityType.DEAL, entity_id=deal, kind="updated")
    assert updated.actor_id == admin_user.pk
    assert [c["new"] for c in updated.data["changes"]] == ["120.00"]


# --- batch ---------------------------------------------------------------------------------------

NOT_ALLOWED = {"error": "ERROR_BATCH_METHOD_NOT_ALLOWED", "error_description": "Method is not allowed for batch usage"}
BAD_COMMAND = {"error": "ERROR_ARGUMENT", "error_description": "A batch command must be 'method?query'."}


@pytest.mark.parametrize(("command", "expected"), [
    ("", BAD_COMMAND),
    ("   ", BAD_COMMAND),
    ({"method": "crm.lead.list"}, BAD_COMMAND),
    (7, BAD_COMMAND),
    ("batch?cmd[x]=profile", NOT_ALLOWED),
    ("BATCH.json", NOT_ALLOWED),
    ("download", NOT_ALLOWED),
    ("upload?id=1", NOT_ALLOWED),
    ("crm.lead.get?id=987654", {"error": "", "error_description": "Not found"}),
])
def test_a_refused_command_is_answered_in_result_error(bx, command, expected):
    out = bx.ok("batch", {"cmd": {"bad": command, "ok": "profile"}})
    assert out["result_error"] == {"bad": expected}
    assert list(out["result"]) == ["ok"]


def test_commands_after_the_fiftieth_are_refused_one_by_one(bx):
    out = bx.ok("batch", {"cmd": ["crm.settings.mode.get"] * 52})
    assert len(out["result"]) == 50
    exceeded = {"error": "ERROR_BATCH_LENGTH_EXCEEDED", "error_description": "Max batch length exceeded"}
    assert out["result_error"] == {"50": exceeded, "51": exceeded}


def test_commands_run_as_the_caller_and_report_their_processing_time(bx, classic_mode, admin_user):
    out = bx.ok("batch", {"cmd": {"add": "crm.lead.add?fields[TITLE]=From batch", "mode": "crm.settings.mode.get"}})
    assert out["result_error"] == []
    lead = Lead.objects.get(pk=out["result"]["add"])
    assert (lead.title, lead.created_by_id, lead.assigned_id) == ("From batch", admin_user.pk, admin_user.pk)
    for key in ("add", "mode"):
        time = out["result_time"][key]
        assert time["processing"] == time["duration"] == time["finish"] - time["start"]
