"""crm.item.* (the universal record methods) answers written against the survivors of the exact run of
5 December over ``kontor.bitrix.methods.items`` (var/mut-bx2).

Covered here: the documented spelling of ``entityTypeId``, ``useOriginalUfNames``, ``fields``, ``filter``,
``order``, ``select`` and ``start`` winning over another spelling given beside it; the answer for an
unknown ``entityTypeId``; field names in any case (``statusid``, ``Title``, ``uf_crm_size``) and unknown
ones named in upper case; the ``fm`` list in (its refusals, value types, ids of existing rows, the fields
after it); text that looks like a number staying text; errors naming ``contactIds``; the caller of a
sub-call (``createdBy``, what a restricted manager may read); the pipeline and stage data read once per
call; and every way ``categoryId``/``stageId`` move a deal to another pipeline: a stage named in the
target pipeline, by its bare code or by the same code of a third pipeline, no stage, an empty stage, a
stage of no pipeline, a pipeline without an in-progress stage and a pipeline without stages.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kontor.crm.enums import EntityType, Semantic
from kontor.crm.models import Communication, Contact, Deal, Lead, Pipeline, Stage
from kontor.crm.services import stage_create

from .conftest import Wire, bitrix_error

pytestmark = pytest.mark.django_db


# --- the documented spelling of a parameter wins -------------------------------------------------


def test_entity_type_id_in_its_documented_spelling_wins(bx):
    fields = bx.ok("crm.item.fields", {"entityTypeId": 1, "entitytypeid": 2, "ENTITYTYPEID": 2})["fields"]
    assert "statusId" in fields and "stageId" not in fields


@pytest.fixture
def sized_lead(bx, classic_mode) -> int:
    bx.ok("crm.lead.userfield.add", {"fields": {"FIELD_NAME": "SIZE", "USER_TYPE_ID": "string"}})
    return bx.ok("crm.lead.add", {"fields": {"TITLE": "L", "UF_CRM_SIZE": "XL"}})


def test_use_original_uf_names_in_its_documented_spelling_wins(bx, sized_lead):
    params = {"entityTypeId": 1, "id": sized_lead}
    assert bx.ok("crm.item.get", params)["item"]["ufCrm_SIZE"] == "XL"
    item = bx.ok("crm.item.get", {**params, "useOriginalUfNames": "Y", "useoriginalufnames": "N",
                                  "USEORIGINALUFNAMES": "N"})["item"]
    assert item["UF_CRM_SIZE"] == "XL" and "ufCrm_SIZE" not in item


def test_add_and_update_read_fields_in_its_documented_spelling(bx, classic_mode):
    item = bx.ok("crm.item.add", {"entityTypeId": 1, "fields": {"title": "Kept"},
                                  "FIELDS": {"title": "Other"}})["item"]
    assert item["title"] == "Kept"
    item = bx.ok("crm.item.update", {"entityTypeId": 1, "id": item["id"], "fields": {"title": "New"},
                                     "FIELDS": {"title": "Other"}})["item"]
    assert item["title"] == "New"
    assert list(Lead.objects.values_list("title", flat=True)) == ["New"]


def test_list_reads_filter_order_select_and_start_in_their_documented_spelling(bx, classic_mode):
    a1, a2, _ = (bx.ok("crm.lead.add", {"fields": {"TITLE": t, "COMMENTS": "c"}}) for t in ("A1", "A2", "B1"))
    page = bx.call("crm.item.list", {"entityTypeId": 1,
                                     "filter": {"%title": "A"}, "FILTER": {"%title": "B"},
                                     "order": {"id": "ASC"}, "ORDER": {"id": "DESC"},
                                     "select": ["title"], "SELECT": ["comments"],
                                     "start": 0, "START": 50})
    assert page["result"]["items"] == [{"id": a1, "title": "A1"}, {"id": a2, "title": "A2"}]
    assert page["total"] == 2


# --- entityTypeId ---------------------------------------------------------------------------------


@pytest.mark.parametrize("params", [{"entityTypeId": 7, "id": 1}, {"id": 1}, {"entityTypeId": "x", "id": 1}])
def test_an_entity_type_that_is_no_record_kind_is_not_found(bx, params):
    assert bitrix_error(bx.post("crm.item.get", params)) == (
        "NOT_FOUND", "Smart process not found: Kontor serves entityTypeId 1, 2, 3 and 4.")


# --- field names ------------------------------------------------------------------------------------


def test_add_takes_field_names_in_any_case(bx, classic_mode):
    item = bx.ok("crm.item.add", {"entityTypeId": 1, "fields": {"Title": "T", "statusid": "IN_PROCESS",
                                                                "SOURCE_ID": "WEB"}})["item"]
    assert (item["title"], item["statusId"], item["sourceId"]) == ("T", "IN_PROCESS", "WEB")
    lead = Lead.objects.get(pk=item["id"])
    assert (lead.title, lead.status.code) == ("T", "IN_PROCESS")


def test_update_takes_field_names_in_any_case(bx, sized_lead):
    item = bx.ok("crm.item.update", {"entityTypeId": 1, "id": sized_lead,
                                     "fields": {"Title": "T", "uf_crm_size": "M", "statusid": "IN_PROCESS"}})["item"]
    assert (item["title"], item["ufCrm_SIZE"], item["statusId"]) == ("T", "M", "IN_PROCESS")
    assert Lead.objects.get(pk=sized_lead).uf == {"uf_crm_size": "M"}


def test_update_names_an_unknown_field_in_upper_case(bx, sized_lead):
    response = bx.post("crm.item.update", {"entityTypeId": 1, "id": sized_lead, "fields": {"colour": "red"}})
    assert bitrix_error(response) == ("ERROR_ARGUMENT", "Field 'COLOUR' is not supported by Kontor for leads.")


# --- fm: phones, e-mails, websites and messengers in ---------------------------------------------


def _comms(entity_type: EntityType, pk: int) -> list[tuple[str, str, str]]:
    return list(Communication.objects.filter(entity_type=entity_type, entity_id=pk).order_by("id")
                .values_list("type", "value_type", "value"))


@pytest.mark.parametrize(("fm", "message"), [
    (["030 1"], "fm: items must be objects with typeId, valueType and value."),
    ([{"typeId": "FAX", "value": "030 1"}], "fm: typeId must be one of PHONE, EMAIL, WEB, IM."),
    ([{"value": "030 1"}], "fm: typeId must be one of PHONE, EMAIL, WEB, IM."),
])
def test_fm_items_must_be_objects_of_a_known_type(bx, classic_mode, fm, message):
    response = bx.post("crm.item.add", {"entityTypeId": 3, "fields": {"name": "Erika", "fm": fm}})
    assert bitrix_error(response) == ("", message)
    assert not Communication.objects.exists()


def test_fm_items_are_added_with_their_value_types_and_the_fields_after_them(bx, classic_mode):
    item = bx.ok("crm.item.add", {"entityTypeId": 3, "fields": {
        "fm": [{"typeId": "PHONE", "valueType": "MOBILE", "value": "030 1"},
               {"TYPE_ID": "email", "valueType": "HOME", "value": "e@example.org"}],
        "name": "Erika", "lastName": "Muster"}})["item"]
    assert (item["name"], item["lastName"]) == ("Erika", "Muster")
    assert _comms(EntityType.CONTACT, item["id"]) == [("PHONE", "MOBILE", "030 1"),
                                                      ("EMAIL", "HOME", "e@example.org")]
    assert [(f["typeId"], f["valueType"], f["value"]) for f in item["fm"]] == [
        ("PHONE", "MOBILE", "030 1"), ("EMAIL", "HOME", "e@example.org")]


def test_an_fm_item_with_an_id_overwrites_that_row(bx, classic_mode):
    contact = bx.ok("crm.contact.add", {"fields": {"NAME": "Erika", "PHONE": [
        {"VALUE": "030 1", "VALUE_TYPE": "WORK"}, {"VALUE": "030 2", "VALUE_TYPE": "WORK"}]}})
    first, second = Communication.objects.filter(entity_id=contact).order_by("id").values_list("pk", flat=True)
    item = bx.ok("crm.item.update", {"entityTypeId": 3, "id": contact, "fields": {"fm": [
        {"id": second, "typeId": "PHONE", "valueType": "HOME", "value": "030 9"}]}})["item"]
    assert [(f["id"], f["valueType"], f["value"]) for f in item["fm"]] == [
        (first, "WORK", "030 1"), (second, "HOME", "030 9")]
    assert _comms(EntityType.CONTACT, contact) == [("PHONE", "WORK", "030 1"), ("PHONE", "HOME", "030 9")]


# --- values and errors out -----------------------------------------------------------------------


def test_text_that_looks_like_a_number_stays_text(bx, classic_mode):
    item = bx.ok("crm.item.add", {"entityTypeId": 1, "fields": {"title": "123", "comments": "4.5",
                                                                "opportunity": "12.5"}})["item"]
    assert (item["title"], item["comments"], item["opportunity"]) == ("123", "4.5", 12.5)


@pytest.mark.parametrize(("entity_type_id", "model", "fields", "message"), [
    (2, Deal, {"title": "D", "contactIds": [987654]}, "contactIds: no contact 987654"),
    (3, Contact, {"name": "C", "companyIds": [987654]}, "companyIds: no company 987654"),
])
def test_an_error_names_the_longer_of_two_similar_fields(bx, classic_mode, entity_type_id, model, fields, message):
    """``contactId`` is the start of ``contactIds``: the error still names the field it is about."""
    response = bx.post("crm.item.add", {"entityTypeId": entity_type_id, "fields": fields})
    assert bitrix_error(response) == ("", message)
    assert not model.objects.exists()


# --- the caller of the record method behind crm.item.* ---------------------------------------------


def test_add_and_get_run_as_the_caller(bx, bx_manager, classic_mode, manager_user, role_client):
    item = bx_manager.ok("crm.item.add", {"entityTypeId": 1, "fields": {"title": "Mine"}})["item"]
    assert (item["createdBy"], item["assignedById"]) == (manager_user.pk, manager_user.pk)
    other = bx.ok("crm.lead.add", {"fields": {"TITLE": "Not yours"}})
    _, own = role_client({"read": "own", "add": "own", "edit": "own", "delete": "own", "export": "own"},
                         user=manager_user)
    assert own.ok("crm.item.get", {"entityTypeId": 1, "id": item["id"]})["item"]["title"] == "Mine"
    assert bitrix_error(own.post("crm.item.get", {"entityTypeId": 1, "id": other})) == ("", "Not found")
    assert bitrix_error(own.post("crm.item.delete", {"entityTypeId": 1, "id": other})) == ("", "Not found")
    assert Lead.objects.filter(pk=other).exists()


def _stage_reads(queries) -> list[str]:
    """The catalog's reads of every stage (the services read single stages by id)."""
    return [q["sql"] for q in queries.captured_queries
            if f'FROM "{Stage._meta.db_table}"' in q["sql"] and "WHERE" not in q["sql"]]


def test_a_pipeline_move_reads_the_stages_once(bx, classic_mode, service_category):
    deal = bx.ok("crm.deal.add", {"fields": {"TITLE": "D"}})
    with CaptureQueriesContext(connection) as queries:
        item = bx.ok("crm.item.update", {"entityTypeId": 2, "id": deal,
                                         "fields": {"categoryId": service_category}})["item"]
    assert (item["categoryId"], item["stageId"]) == (service_category, f"C{service_category}:START")
    assert len(_stage_reads(queries)) == 1, _stage_reads(queries)


# --- categoryId and stageId move a deal to another pipeline ---------------------------------------


def _pipeline(bx: Wire, name: str, *stages: tuple[str, str]) -> int:
    """A pipeline with ``stages`` (code, semantic) in this order: its category id."""
    pipeline = Pipeline.objects.create(name=name, sort=950)
    for sort, (code, semantic) in enumerate(stages):
        stage_create(pipeline=pipeline, data={"code": code, "name": code.title(), "semantic": semantic,
                                              "sort": (sort + 1) * 10})
    return next(c["id"] for c in bx.ok("crm.category.list", {"entityTypeId": 2})["categories"] if c["name"] == name)


def _move(bx: Wire, deal: int, **fields: Any):
    return bx.post("crm.item.update", {"entityTypeId": 2, "id": deal, "fields": {"title": "Moved", **fields}})


def _where(deal: int) -> tuple[int, str, str]:
    """The deal's pipeline (a second pipeline's id is its category id), stage code and title."""
    stored = Deal.objects.select_related("stage").get(pk=deal)
    return stored.pipeline_id, stored.stage.code, stored.title


def test_a_deal_moves_to_the_stage_named_in_the_target_pipeline(bx, deal, service_category):
    item = _move(bx, deal, categoryId=service_category, stageId=f"C{service_category}:DONE").json()["result"]["item"]
    assert (item["categoryId"], item["stageId"], item["title"]) == (
        service_category, f"C{service_category}:DONE", "Moved")
    assert _where(deal) == (service_category, "DONE", "Moved")


@pytest.mark.parametrize("stage", [None, ""])
def test_a_deal_moves_to_the_first_stage_in_progress_without_a_stage(bx, deal, stage):
    target = _pipeline(bx, "Repairs", ("WON", Semantic.SUCCESS), ("CHECK", Semantic.PROCESS),
                       ("LATER", Semantic.PROCESS))
    fields = {"categoryId": target} if stage is None else {"categoryId": target, "stageId": stage}
    assert _move(bx, deal, **fields).status_code == 200
    assert _where(deal) == (target, "CHECK", "Moved")


@pytest.mark.parametrize("code", ["WON", " won ", "C{target}:won"])
def test_a_deal_moves_to_the_stage_with_the_bare_code_in_the_target_pipeline(bx, deal, code):
    target = _pipeline(bx, "Repairs", ("START", Semantic.PROCESS), ("WON", Semantic.SUCCESS))
    assert _move(bx, deal, categoryId=target, stageId=code.format(target=target)).status_code == 200
    assert _where(deal) == (target, "WON", "Moved")


def test_a_stage_of_a_third_pipeline_names_the_same_code_in_the_target(bx, deal, service_category):
    target = _pipeline(bx, "Repairs", ("START", Semantic.PROCESS), ("DONE", Semantic.SUCCESS))
    assert _move(bx, deal, categoryId=target, stageId=f"C{service_category}:DONE").status_code == 200
    assert _where(deal) == (target, "DONE", "Moved")


@pytest.mark.parametrize("stage", ["C{category}:NOPE", "NOPE", "LOSE"])
def test_a_stage_not_in_the_target_pipeline_is_refused(bx, deal, service_category, stage):
    stage = stage.format(category=service_category)
    response = _move(bx, deal, categoryId=service_category, stageId=stage)
    assert bitrix_error(response) == ("", f"stageId: stage '{stage}' is not in category {service_category}.")
    assert _where(deal)[1:] == ("NEW", "Relaunch")


def test_a_pipeline_without_a_stage_in_progress_takes_its_first_stage(bx, deal):
    target = _pipeline(bx, "Archive", ("KEPT", Semantic.SUCCESS), ("DROPPED", Semantic.FAILURE))
    assert _move(bx, deal, categoryId=target).status_code == 200
    assert _where(deal) == (target, "KEPT", "Moved")


def test_a_pipeline_without_stages_is_refused(bx, deal):
    target = _pipeline(bx, "Empty")
    assert bitrix_error(_move(bx, deal, categoryId=target)) == ("", f"categoryId: category {target} has no stages.")
    assert _where(deal)[1:] == ("NEW", "Relaunch")
