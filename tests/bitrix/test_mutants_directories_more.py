"""crm.{deal,lead}.productrows.{get,set} and the pipelines and directories (crm.category.*, crm.dealcategory.*,
crm.status.*), written against the survivors of the run of 5 December over ``kontor.bitrix.methods.products``
and ``kontor.bitrix.methods.directories`` (var/mut-bx2).

Covered here: the product rows of a deal and of a lead set and read back with their catalogue product, of an
owner the caller may not see, and refused by the services word for word; the documented spelling of a
parameter (``entityTypeId``, ``id``, ``fields``, ``entityId``, ``filter``, ``order``) winning over other
spellings of it; the error texts of a bad entity type, filter and ENTITY_ID; crm.dealcategory.get in full;
a leading ``=`` only on the ENTITY_ID filter; entries of each kind in full (SYSTEM, NAME_INIT, COLOR);
directory entries grouped by directory, then by sort, then by age; stage directories of no pipeline and stage
codes with a colon refused; crm.status.get answering a stage of another pipeline as the list does (storing no
new entry id) and an
entry of its own directory when another directory has the same code.
"""

from __future__ import annotations

import pytest

from kontor.bitrix.mapping import dt
from kontor.bitrix.models import DirectoryEntry
from kontor.crm.models import Pipeline, Source, Stage
from kontor.crm.services.directories import DIRECTORIES
from kontor.products.models import ProductRow

from .conftest import bitrix_error

pytestmark = pytest.mark.django_db


# --- crm.{deal,lead}.productrows.{get,set} ------------------------------------------------------


@pytest.mark.parametrize("owner, letter", [("deal", "D"), ("lead", "L")])
def test_product_rows_of_a_deal_and_a_lead_are_set_and_read_back(bx, classic_mode, owner, letter):
    product = bx.ok("crm.product.add", {"fields": {"NAME": "Catalogue pen", "PRICE": 3}})
    owner_id = bx.ok(f"crm.{owner}.add", {"fields": {"TITLE": "T"}})
    other = bx.ok(f"crm.{owner}.add", {"fields": {"TITLE": "Other"}})
    assert bx.ok(f"crm.{owner}.productrows.set", {"id": owner_id, "rows": [
        {"PRODUCT_ID": product, "PRODUCT_NAME": "Pen on the row", "PRICE": 3, "QUANTITY": 2}]}) is True
    bx.ok(f"crm.{owner}.productrows.set", {"id": other, "rows": [{"PRODUCT_NAME": "Not mine", "PRICE": 1}]})
    rows = bx.ok(f"crm.{owner}.productrows.get", {"id": owner_id})
    assert [(r["OWNER_ID"], r["OWNER_TYPE"], r["PRODUCT_ID"], r["PRODUCT_NAME"], r["ORIGINAL_PRODUCT_NAME"],
             r["QUANTITY"]) for r in rows] == [(str(owner_id), letter, product, "Pen on the row", "Catalogue pen",
                                                 2.0)]
    stored = ProductRow.objects.get(pk=int(rows[0]["ID"]))
    assert getattr(stored, f"{owner}_id") == owner_id


@pytest.mark.parametrize("owner", ["deal", "lead"])
def test_product_rows_of_a_record_the_caller_cannot_see_are_not_found(bx, admin_user, role_client, classic_mode,
                                                                      owner):
    owner_id = bx.ok(f"crm.{owner}.add", {"fields": {"TITLE": "Hidden", "ASSIGNED_BY_ID": admin_user.pk}})
    bx.ok(f"crm.{owner}.productrows.set", {"id": owner_id, "rows": [{"PRODUCT_NAME": "Kept", "PRICE": 5}]})
    _, restricted = role_client({"read": "own", "add": "own", "edit": "own", "delete": "none"})
    assert bitrix_error(restricted.post(f"crm.{owner}.productrows.get", {"id": owner_id})) == ("", "Not found")
    assert bitrix_error(restricted.post(f"crm.{owner}.productrows.set", {"id": owner_id, "rows": []})) == (
        "", "Not found")
    assert [r["PRODUCT_NAME"] for r in bx.ok(f"crm.{owner}.productrows.get", {"id": owner_id})] == ["Kept"]


@pytest.mark.parametrize("owner", ["deal", "lead"])
def test_product_rows_the_services_refuse_are_a_crm_error(bx, classic_mode, owner):
    owner_id = bx.ok(f"crm.{owner}.add", {"fields": {"TITLE": "T"}})
    assert bitrix_error(bx.post(f"crm.{owner}.productrows.set", {"id": owner_id, "rows": [
        {"PRODUCT_NAME": "A", "PRICE": "1e12", "QUANTITY": "10"}]})) == (
        "", "rows[0]: price × quantity must be between 0 and 9999999999999.99")


# --- the documented spelling of a parameter wins over other spellings ---------------------------


def test_category_methods_read_entity_type_id_as_documented(bx, service_category):
    params = {"entityTypeId": 2, "ENTITYTYPEID": 1, "entitytypeid": 1}
    ids = [c["id"] for c in bx.ok("crm.category.list", params)["categories"]]
    assert ids == [0, service_category]


def test_an_entity_type_without_categories_is_refused_word_for_word(bx):
    assert bitrix_error(bx.post("crm.category.list", {"entityTypeId": 1})) == (
        "", "Entity type is not supported: only deals (entityTypeId 2) have categories.")


def test_category_methods_read_id_and_fields_as_documented(bx, service_category):
    spelled = {"entityTypeId": 2, "id": service_category, "ID": 0}
    assert bx.ok("crm.category.get", spelled)["category"]["name"] == "Service"
    changed = bx.ok("crm.category.update", {**spelled, "fields": {"name": "Repairs"}, "FIELDS": {"name": "Other"}})
    assert changed["category"]["name"] == "Repairs"
    assert Pipeline.objects.get(pk=service_category).name == "Repairs"
    added = bx.ok("crm.category.add", {"entityTypeId": 2, "fields": {"name": "Sales"}, "FIELDS": {"name": "Other"}})
    assert added["category"]["name"] == "Sales"
    assert bx.ok("crm.category.delete", spelled) is True
    assert not Pipeline.objects.filter(pk=service_category).exists()


def test_dealcategory_methods_read_id_as_documented(bx, service_category):
    spelled = {"id": service_category, "ID": 0}
    pipeline = Pipeline.objects.get(pk=service_category)
    assert bx.ok("crm.dealcategory.get", spelled) == {
        "ID": str(service_category), "CREATED_DATE": dt(pipeline.created_at), "NAME": "Service", "IS_LOCKED": "N",
        "SORT": "900"}
    assert [s["STATUS_ID"] for s in bx.ok("crm.dealcategory.stage.list", spelled)] == [
        f"C{service_category}:START", f"C{service_category}:DONE"]
    assert bx.ok("crm.dealcategory.update", {**spelled, "fields": {"NAME": "Repairs"}}) is True
    assert Pipeline.objects.get(pk=service_category).name == "Repairs"
    assert bx.ok("crm.dealcategory.delete", spelled) is True
    assert not Pipeline.objects.filter(pk=service_category).exists()


def test_status_methods_read_entity_id_filter_and_order_as_documented(bx):
    items = bx.ok("crm.status.entity.items", {"entityId": "SOURCE", "ENTITYID": "STATUS", "entityid": "STATUS"})
    codes = [i["STATUS_ID"] for i in items]
    assert codes == list(Source.objects.order_by("sort", "code").values_list("code", flat=True))
    rows = bx.ok("crm.status.list", {"filter": {"ENTITY_ID": "SOURCE"}, "FILTER": {"ENTITY_ID": "STATUS"},
                                     "order": {"STATUS_ID": "DESC"}, "ORDER": {"STATUS_ID": "ASC"}})
    assert [r["STATUS_ID"] for r in rows] == sorted(codes, reverse=True)


# --- crm.status.list: filter and order ---------------------------------------------------------


def test_a_filter_that_is_not_an_array_is_refused_word_for_word(bx):
    assert bitrix_error(bx.post("crm.status.list", {"filter": "SOURCE"})) == (
        "", "Parameter 'filter' must be array.")


def test_an_entity_id_that_is_no_text_is_refused_word_for_word(bx):
    assert bitrix_error(bx.post("crm.status.list", {"filter": {"ENTITY_ID": ["SOURCE"]}})) == (
        "", "Filter by ENTITY_ID must be a string")


def test_the_entity_id_filter_takes_a_leading_equals_sign_only(bx):
    sources = [r["STATUS_ID"] for r in bx.ok("crm.status.list", {"filter": {"ENTITY_ID": "SOURCE"}})]
    assert [r["STATUS_ID"] for r in bx.ok("crm.status.list", {"filter": {"=ENTITY_ID": "SOURCE"}})] == sources
    everything = bx.ok("crm.status.list")
    assert len(everything) > len(sources)
    assert bx.ok("crm.status.list", {"filter": {"XENTITY_ID": "SOURCE"}}) == everything


# --- crm.status.list: entries of each kind in full ---------------------------------------------


def _entries_of(bx, entity_id: str) -> dict[str, dict]:
    return {r["STATUS_ID"]: r for r in bx.ok("crm.status.list", {"filter": {"ENTITY_ID": entity_id}})}


def test_system_entries_keep_their_initial_name_and_added_ones_have_none(bx):
    bx.ok("crm.status.add", {"fields": {"ENTITY_ID": "STATUS", "STATUS_ID": "CALLED", "NAME": "Called"}})
    bx.ok("crm.status.add", {"fields": {"ENTITY_ID": "DEAL_TYPE", "STATUS_ID": "RENT", "NAME": "Rent"}})
    statuses, types = _entries_of(bx, "STATUS"), _entries_of(bx, "DEAL_TYPE")
    new = statuses["NEW"]
    assert (new["SYSTEM"], new["NAME_INIT"]) == ("Y", new["NAME"]) and new["NAME"]
    assert (statuses["CALLED"]["SYSTEM"], statuses["CALLED"]["NAME_INIT"]) == ("N", "")
    sale = types["SALE"]
    assert (sale["SYSTEM"], sale["NAME_INIT"], sale["COLOR"]) == ("Y", sale["NAME"], None)
    assert types["RENT"] == {"ID": types["RENT"]["ID"], "ENTITY_ID": "DEAL_TYPE", "STATUS_ID": "RENT", "NAME": "Rent",
                             "NAME_INIT": "", "SORT": "100", "SYSTEM": "N", "CATEGORY_ID": None, "COLOR": None,
                             "SEMANTICS": None}


def test_sources_are_system_entries_without_a_colour(bx):
    bx.ok("crm.status.add", {"fields": {"ENTITY_ID": "SOURCE", "STATUS_ID": "FAIR", "NAME": "Trade fair", "SORT": 5}})
    fair = _entries_of(bx, "SOURCE")["FAIR"]
    assert fair == {"ID": fair["ID"], "ENTITY_ID": "SOURCE", "STATUS_ID": "FAIR", "NAME": "Trade fair",
                    "NAME_INIT": "Trade fair", "SORT": "5", "SYSTEM": "Y", "CATEGORY_ID": None, "COLOR": None,
                    "SEMANTICS": None}


def test_directory_entries_come_grouped_by_directory_then_by_sort_then_by_age(bx):
    for code, sort in (("ZZZ", 1), ("AAA", 1), ("LATE", 999)):
        bx.ok("crm.status.add", {"fields": {"ENTITY_ID": "DEAL_TYPE", "STATUS_ID": code, "NAME": code, "SORT": sort}})
    codes = list(_entries_of(bx, "DEAL_TYPE"))
    assert codes[:2] == ["ZZZ", "AAA"] and codes[-1] == "LATE"
    directories = [r["ENTITY_ID"] for r in bx.ok("crm.status.list") if r["ENTITY_ID"] in DIRECTORIES]
    runs = [d for i, d in enumerate(directories) if i == 0 or directories[i - 1] != d]
    assert runs == sorted(DIRECTORIES)


# --- crm.status.add / get: stages of a pipeline, entries of a directory -------------------------


def test_a_stage_directory_of_no_pipeline_is_refused_word_for_word(bx, service_category):
    for entity_id in ("DEAL_STAGE_99", f"DEAL_STAGE_ {service_category}"):
        response = bx.post("crm.status.add", {"fields": {"ENTITY_ID": entity_id, "STATUS_ID": "NEXT", "NAME": "Next"}})
        assert bitrix_error(response) == ("", f"Directory {entity_id} not found.")
    assert [s.code for s in Stage.objects.filter(pipeline_id=service_category)] == ["START", "DONE"]


def test_a_stage_code_with_a_colon_after_the_prefix_is_refused(bx, service_category):
    response = bx.post("crm.status.add", {"fields": {"ENTITY_ID": f"DEAL_STAGE_{service_category}",
                                                     "STATUS_ID": f"C{service_category}:FOO:BAR", "NAME": "Foo"}})
    assert bitrix_error(response) == ("", "code must be 1-50 letters, digits, '_' or '-'")
    assert [s.code for s in Stage.objects.filter(pipeline_id=service_category)] == ["START", "DONE"]


def test_status_get_answers_a_stage_of_another_pipeline_as_the_list_does(bx, service_category):
    listed = _entries_of(bx, f"DEAL_STAGE_{service_category}")[f"C{service_category}:START"]
    known = set(DirectoryEntry.objects.values_list("entity_id", "status_id"))
    assert bx.ok("crm.status.get", {"id": listed["ID"]}) == listed
    assert set(DirectoryEntry.objects.values_list("entity_id", "status_id")) == known  # a read stores no entry
    assert listed["STATUS_ID"] == f"C{service_category}:START" and listed["CATEGORY_ID"] == str(service_category)


def test_status_get_finds_an_entry_in_its_own_directory_when_another_has_the_code(bx):
    bx.ok("crm.status.add", {"fields": {"ENTITY_ID": "COMPANY_TYPE", "STATUS_ID": "SHARED", "NAME": "Company kind"}})
    pk = bx.ok("crm.status.add", {"fields": {"ENTITY_ID": "DEAL_TYPE", "STATUS_ID": "SHARED", "NAME": "Deal kind"}})
    got = bx.ok("crm.status.get", {"id": pk})
    assert (got["ENTITY_ID"], got["STATUS_ID"], got["NAME"]) == ("DEAL_TYPE", "SHARED", "Deal kind")
