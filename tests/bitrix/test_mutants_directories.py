"""Pipelines (crm.category.*, crm.dealcategory.*) and status directories (crm.status.*), answer by answer:
behaviour the surviving mutants of ``kontor.bitrix.methods.directories`` showed untested (docs/mutation.md).

Covers the three ``*.fields`` descriptions, list totals and order, sort values taken on add and update,
the directory types with their semantic info, the error texts of these methods, and that every change of a
setting is written to the audit log in the name of the webhook's user.
"""

from __future__ import annotations

import pytest

from kontor.crm.models import AuditLog, Pipeline

from .conftest import bitrix_error

pytestmark = pytest.mark.django_db

CAT = {"entityTypeId": 2}


def _actors(action: str) -> list[int | None]:
    return list(AuditLog.objects.filter(action=action).values_list("actor_id", flat=True))


def _meta(type_: str, title: str, *, required: bool = False, read_only: bool = False,
          immutable: bool = False) -> dict:
    return {"type": type_, "isRequired": required, "isReadOnly": read_only, "isImmutable": immutable,
            "isMultiple": False, "isDynamic": False, "title": title}


def _entry_id(bx, entity_id: str, status_id: str) -> int:
    rows = bx.ok("crm.status.list", {"filter": {"ENTITY_ID": entity_id}})
    return int(next(r["ID"] for r in rows if r["STATUS_ID"] == status_id))


# --- *.fields ----------------------------------------------------------------------------------


def test_category_fields_describe_every_field(bx):
    assert bx.ok("crm.category.fields", CAT) == {"fields": {
        "id": _meta("integer", "ID", read_only=True),
        "name": _meta("string", "Name", required=True),
        "sort": _meta("integer", "Sort"),
        "entityTypeId": _meta("integer", "Entity type", read_only=True),
        "isDefault": _meta("boolean", "Default", read_only=True),
    }}


def test_dealcategory_fields_describe_every_field(bx):
    # dev.1c-bitrix.ru: ID int r, CREATED_DATE datetime r, NAME string required, IS_LOCKED char r, SORT int
    assert bx.ok("crm.dealcategory.fields") == {
        "ID": _meta("integer", "ID", read_only=True),
        "CREATED_DATE": _meta("datetime", "Created on", read_only=True),
        "NAME": _meta("string", "Name", required=True),
        "IS_LOCKED": _meta("char", "Locked", read_only=True),
        "SORT": _meta("integer", "Sort"),
    }


def test_status_fields_describe_every_field(bx):
    assert bx.ok("crm.status.fields") == {
        "ID": _meta("integer", "ID", read_only=True),
        "ENTITY_ID": _meta("string", "Directory", required=True, immutable=True),
        "STATUS_ID": _meta("string", "Status code", required=True, immutable=True),
        "NAME": _meta("string", "Name", required=True),
        "SORT": _meta("integer", "Sort"),
        "COLOR": _meta("string", "Colour"),
        "SEMANTICS": _meta("string", "Semantics", immutable=True),
        "SYSTEM": _meta("char", "System", read_only=True),
        "CATEGORY_ID": _meta("integer", "Category", read_only=True),
    }


# --- crm.category.* ----------------------------------------------------------------------------


def _category(id_: int, name: str, sort: int, *, default: bool = False) -> dict:
    return {"id": id_, "name": name, "sort": sort, "entityTypeId": 2, "isDefault": "Y" if default else "N",
            "originId": "", "originatorId": ""}


def test_category_add_takes_the_sort_given_and_500_without_one(bx, admin_user):
    added = bx.ok("crm.category.add", {**CAT, "fields": {"name": "Wholesale", "sort": 200}})
    first = added["category"]["id"]
    assert added == {"category": _category(first, "Wholesale", 200)}
    added = bx.ok("crm.category.add", {**CAT, "fields": {"NAME": "Retail"}})
    assert added == {"category": _category(added["category"]["id"], "Retail", 500)}
    assert bx.ok("crm.category.get", {**CAT, "id": first}) == {"category": _category(first, "Wholesale", 200)}
    assert _actors("pipeline_created") == [admin_user.pk, admin_user.pk]


def test_category_list_puts_the_default_first_then_by_sort_with_a_total(bx):
    bx.ok("crm.category.update", {**CAT, "id": 0, "fields": {"sort": 1000}})
    default_name = bx.ok("crm.dealcategory.default.get")["NAME"]
    late = bx.ok("crm.category.add", {**CAT, "fields": {"name": "Late", "sort": 300}})["category"]["id"]
    early = bx.ok("crm.category.add", {**CAT, "fields": {"name": "Early", "sort": 100}})["category"]["id"]
    answer = bx.call("crm.category.list", CAT)
    assert answer["result"] == {"categories": [
        _category(0, default_name, 1000, default=True), _category(early, "Early", 100),
        _category(late, "Late", 300)]}
    assert answer["total"] == 3


def test_category_update_answers_the_changed_category(bx, admin_user):
    cat = bx.ok("crm.category.add", {**CAT, "fields": {"name": "Wholesale"}})["category"]["id"]
    assert bx.ok("crm.category.update", {**CAT, "id": cat, "fields": {"name": "Trade", "sort": 300}}) == {
        "category": _category(cat, "Trade", 300)}
    assert bx.ok("crm.category.get", {**CAT, "id": cat}) == {"category": _category(cat, "Trade", 300)}
    assert bx.ok("crm.category.update", {**CAT, "id": cat, "fields": {"name": "Trade 2"}}) == {
        "category": _category(cat, "Trade 2", 300)}
    assert _actors("pipeline_updated") == [admin_user.pk, admin_user.pk]


def test_category_delete_is_logged_for_the_caller(bx, admin_user):
    cat = bx.ok("crm.category.add", {**CAT, "fields": {"name": "Wholesale"}})["category"]["id"]
    assert bx.ok("crm.category.delete", {**CAT, "id": cat}) is True
    assert _actors("pipeline_deleted") == [admin_user.pk]


# --- crm.dealcategory.* ------------------------------------------------------------------------


def test_dealcategory_add_takes_the_sort_given_and_500_without_one(bx, admin_user):
    sorted_ = bx.ok("crm.dealcategory.add", {"fields": {"NAME": "Retail", "SORT": 200}})
    plain = bx.ok("crm.dealcategory.add", {"fields": {"name": "Online"}})
    assert bx.ok("crm.dealcategory.get", {"id": sorted_})["SORT"] == "200"
    assert bx.ok("crm.dealcategory.get", {"id": plain})["SORT"] == "500"
    assert _actors("pipeline_created") == [admin_user.pk, admin_user.pk]


def test_dealcategory_list_has_a_total_without_the_default(bx):
    cat = bx.ok("crm.dealcategory.add", {"fields": {"NAME": "Retail"}})
    answer = bx.call("crm.dealcategory.list")
    assert [(c["ID"], c["NAME"], c["SORT"]) for c in answer["result"]] == [(str(cat), "Retail", "500")]
    assert answer["total"] == 1


def test_dealcategory_update_changes_the_sort(bx, admin_user):
    cat = bx.ok("crm.dealcategory.add", {"fields": {"NAME": "Retail"}})
    assert bx.ok("crm.dealcategory.update", {"id": cat, "fields": {"SORT": 300}}) is True
    got = bx.ok("crm.dealcategory.get", {"id": cat})
    assert (got["NAME"], got["SORT"]) == ("Retail", "300")
    assert bx.ok("crm.dealcategory.update", {"id": cat, "fields": {"NAME": "Shop"}}) is True
    got = bx.ok("crm.dealcategory.get", {"id": cat})
    assert (got["NAME"], got["SORT"]) == ("Shop", "300")
    assert _actors("pipeline_updated") == [admin_user.pk, admin_user.pk]


def test_dealcategory_delete_refuses_the_default_and_logs_the_caller(bx, admin_user):
    for default in (0, "0"):
        refused = bx.post("crm.dealcategory.delete", {"id": default})
        assert bitrix_error(refused) == ("", "The default category cannot be deleted.")
    cat = bx.ok("crm.dealcategory.add", {"fields": {"NAME": "Retail"}})
    assert bx.ok("crm.dealcategory.delete", {"id": cat}) is True
    assert _actors("pipeline_deleted") == [admin_user.pk]
    assert Pipeline.objects.count() == 1


@pytest.mark.parametrize("params", [{}, {"id": ""}, {"id": None}])
def test_dealcategory_stage_list_without_an_id_is_the_default_pipeline(bx, params):
    stages = bx.ok("crm.dealcategory.stage.list", params)
    assert [s["STATUS_ID"] for s in stages] == [
        "NEW", "PREPARATION", "PREPAYMENT_INVOICE", "EXECUTING", "FINAL_INVOICE", "WON", "LOSE", "APOLOGY"]
    assert {s["ENTITY_ID"] for s in stages} == {"DEAL_STAGE"}


# --- crm.status.list ---------------------------------------------------------------------------

SOURCES_BY_SORT = ["CALL", "EMAIL", "WEB", "ADVERTISING", "PARTNER", "RECOMMENDATION", "TRADE_SHOW", "WEBFORM",
                   "CALLBACK", "RC_GENERATOR", "STORE", "OTHER"]  # sort 10 … 120


@pytest.mark.parametrize(("order", "expected"), [
    ({"SORT": "ASC"}, SOURCES_BY_SORT),  # numerically: 10, 20, …, 100, 110, 120
    ({"SORT": "DESC"}, SOURCES_BY_SORT[::-1]),
    ({"sort": "desc"}, SOURCES_BY_SORT[::-1]),
    ({"STATUS_ID": "ASC"}, sorted(SOURCES_BY_SORT)),
    ({"STATUS_ID": "DESC"}, sorted(SOURCES_BY_SORT, reverse=True)),
    ({"COLOR": "DESC"}, SOURCES_BY_SORT),  # not an order field: ignored
])
def test_status_list_orders_sources(bx, order, expected):
    answer = bx.call("crm.status.list", {"filter": {"ENTITY_ID": "SOURCE"}, "order": order})
    assert [s["STATUS_ID"] for s in answer["result"]] == expected
    assert answer["total"] == 12


def test_status_list_orders_by_name(bx):
    rows = bx.ok("crm.status.list", {"filter": {"ENTITY_ID": "SOURCE"}})
    names = [r["NAME"] for r in rows]
    assert [r["NAME"] for r in bx.ok("crm.status.list", {"filter": {"ENTITY_ID": "SOURCE"},
                                                         "order": {"NAME": "ASC"}})] == sorted(names)
    assert [r["NAME"] for r in bx.ok("crm.status.list", {"filter": {"ENTITY_ID": "SOURCE"},
                                                         "order": {"NAME": "DESC"}})] == sorted(names, reverse=True)


def test_status_list_orders_by_id_as_a_number(bx):
    rows = bx.ok("crm.status.list")
    # on a fresh database the ids run from 1 to well past 10, so a text sort would put 10 before 9 (on
    # PostgreSQL the sequences keep counting between tests and the ids may all have as many digits)
    ids = [int(r["ID"]) for r in rows]
    answer = bx.call("crm.status.list", {"order": {"ID": "DESC"}})
    assert [int(r["ID"]) for r in answer["result"]] == sorted(ids, reverse=True)
    assert answer["total"] == len(rows)


def test_status_list_orders_by_directory_keeping_each_directory_in_order(bx):
    rows = bx.ok("crm.status.list", {"order": {"ENTITY_ID": "ASC"}})
    directories = [r["ENTITY_ID"] for r in rows]
    assert list(dict.fromkeys(directories)) == [
        "COMPANY_TYPE", "CONTACT_TYPE", "DEAL_STAGE", "DEAL_TYPE", "EMPLOYEES", "HONORIFIC", "INDUSTRY",
        "SOURCE", "STATUS"]
    assert directories == sorted(directories)
    assert [r["STATUS_ID"] for r in rows if r["ENTITY_ID"] == "SOURCE"] == SOURCES_BY_SORT
    rows = bx.ok("crm.status.list", {"order": {"ENTITY_ID": "DESC", "SORT": "DESC"}})
    assert list(dict.fromkeys(r["ENTITY_ID"] for r in rows))[:2] == ["STATUS", "SOURCE"]
    assert [r["STATUS_ID"] for r in rows if r["ENTITY_ID"] == "STATUS"] == [
        "JUNK", "CONVERTED", "PROCESSED", "IN_PROCESS", "NEW"]


def test_status_list_refuses_an_order_that_is_not_an_array(bx):
    assert bitrix_error(bx.post("crm.status.list", {"order": "SORT"})) == ("", "Parameter 'order' must be array.")


# --- crm.status.entity.items / entity.types ----------------------------------------------------


@pytest.mark.parametrize("params", [{}, {"entityId": ""}, {"entityId": "  "}, {"entityId": None}])
def test_status_entity_items_needs_an_entity_id(bx, params):
    assert bitrix_error(bx.post("crm.status.entity.items", params)) == (
        "", "The parameter entityId is not defined or invalid.")


def test_status_entity_types_describe_every_directory_and_pipeline(bx):
    default_name = bx.ok("crm.dealcategory.default.get")["NAME"]
    retail = bx.ok("crm.category.add", {**CAT, "fields": {"name": "Retail"}})["category"]["id"]
    for code in ("LOSE", "APOLOGY"):  # a pipeline may do without failure stages
        assert bx.ok("crm.status.delete", {"id": _entry_id(bx, f"DEAL_STAGE_{retail}", f"C{retail}:{code}")})
    empty = Pipeline.objects.create(name="Empty", sort=900).pk  # the native API can make one without stages

    def stages(name, category, start, success, failure, final_sort):
        entry = {"ID": f"DEAL_STAGE_{category}" if category else "DEAL_STAGE", "NAME": f"Deal stages ({name})",
                 "SEMANTIC_INFO": {"START_FIELD": start, "FINAL_SUCCESS_FIELD": success,
                                   "FINAL_UNSUCCESS_FIELD": failure, "FINAL_SORT": final_sort},
                 "ENTITY_TYPE_ID": 2}
        if category:
            entry.update(PREFIX=f"C{category}", FIELD_ATTRIBUTE_SCOPE=f"category_{category}", CATEGORY_ID=category)
        return entry

    assert bx.ok("crm.status.entity.types") == [
        {"ID": "STATUS", "NAME": "Lead statuses", "SEMANTIC_INFO": {
            "START_FIELD": "NEW", "FINAL_SUCCESS_FIELD": "CONVERTED", "FINAL_UNSUCCESS_FIELD": "JUNK",
            "FINAL_SORT": 0}, "ENTITY_TYPE_ID": 1},
        {"ID": "SOURCE", "NAME": "Sources"},
        {"ID": "HONORIFIC", "NAME": "Salutations"},
        {"ID": "CONTACT_TYPE", "NAME": "Contact types"},
        {"ID": "COMPANY_TYPE", "NAME": "Company types"},
        {"ID": "DEAL_TYPE", "NAME": "Deal types"},
        {"ID": "INDUSTRY", "NAME": "Industries"},
        {"ID": "EMPLOYEES", "NAME": "Employees"},
        stages(default_name, 0, "NEW", "WON", "LOSE", 60),
        stages("Retail", retail, f"C{retail}:NEW", f"C{retail}:WON", None, 60),
        stages("Empty", empty, None, None, None, 0),
    ]


# --- crm.status.add ----------------------------------------------------------------------------


@pytest.mark.parametrize("fields", [
    {"STATUS_ID": "ON_HOLD", "NAME": "On hold"},
    {"ENTITY_ID": "STATUS", "NAME": "On hold"},
    {"ENTITY_ID": "", "STATUS_ID": "ON_HOLD", "NAME": "On hold"},
    {"ENTITY_ID": "STATUS", "STATUS_ID": " ", "NAME": "On hold"},
    {"NAME": "On hold"},
])
def test_status_add_needs_the_directory_and_the_code(bx, fields):
    assert bitrix_error(bx.post("crm.status.add", {"fields": fields})) == (
        "", "The fields ENTITY_ID and STATUS_ID are required.")
    assert not AuditLog.objects.exists()


def test_status_add_refuses_a_directory_it_cannot_change(bx):
    assert bitrix_error(bx.post("crm.status.add", {"fields": {"ENTITY_ID": "invoice_status", "STATUS_ID": "X",
                                                        "NAME": "X"}})) == (
        "", "Directory INVOICE_STATUS cannot be changed over REST in Kontor.")


def test_status_add_lead_status_with_sort_colour_and_semantics(bx, admin_user):
    ref = bx.ok("crm.status.add", {"fields": {"ENTITY_ID": "STATUS", "STATUS_ID": "on_hold", "NAME": "On hold",
                                              "SORT": 45, "COLOR": "#112233", "SEMANTICS": "F"}})
    assert bx.ok("crm.status.get", {"id": ref}) == {
        "ID": str(ref), "ENTITY_ID": "STATUS", "STATUS_ID": "ON_HOLD", "NAME": "On hold", "NAME_INIT": "",
        "SORT": "45", "SYSTEM": "N", "CATEGORY_ID": None, "COLOR": "#112233", "SEMANTICS": "F",
        "EXTRA": {"SEMANTICS": "failure", "COLOR": "#112233"}}
    assert _actors("lead_status_created") == [admin_user.pk]


def test_status_add_with_empty_sort_and_colour_takes_the_defaults(bx):
    ref = bx.ok("crm.status.add", {"fields": {"ENTITY_ID": "STATUS", "STATUS_ID": "LATER", "NAME": "Later",
                                              "SORT": "", "COLOR": "", "SEMANTICS": ""}})
    got = bx.ok("crm.status.get", {"id": ref})
    assert (got["SORT"], got["COLOR"], got["SEMANTICS"], got["EXTRA"]) == (
        "40", None, None, {"SEMANTICS": "process", "COLOR": None})


def test_status_add_stage_of_a_pipeline_answers_the_id_the_list_shows(bx, admin_user):
    cat = bx.ok("crm.category.add", {**CAT, "fields": {"name": "Projects"}})["category"]["id"]
    ref = bx.ok("crm.status.add", {"fields": {"ENTITY_ID": f"DEAL_STAGE_{cat}", "STATUS_ID": f"C{cat}:QA",
                                              "NAME": "Quality check", "SORT": 25, "COLOR": "#445566",
                                              "SEMANTICS": "F"}})
    assert ref == _entry_id(bx, f"DEAL_STAGE_{cat}", f"C{cat}:QA")
    assert bx.ok("crm.status.get", {"id": ref}) == {
        "ID": str(ref), "ENTITY_ID": f"DEAL_STAGE_{cat}", "STATUS_ID": f"C{cat}:QA", "NAME": "Quality check",
        "NAME_INIT": "", "SORT": "25", "SYSTEM": "N", "CATEGORY_ID": str(cat), "COLOR": "#445566",
        "SEMANTICS": "F", "EXTRA": {"SEMANTICS": "failure", "COLOR": "#445566"}}
    assert _actors("stage_created") == [admin_user.pk]


def test_status_add_source_and_directory_entry_are_logged_for_the_caller(bx, admin_user):
    source = bx.ok("crm.status.add", {"fields": {"ENTITY_ID": "SOURCE", "STATUS_ID": "FAIR", "NAME": "Fair",
                                                 "SORT": 5}})
    item = bx.ok("crm.status.add", {"fields": {"ENTITY_ID": "INDUSTRY", "STATUS_ID": "MINING", "NAME": "Mining",
                                               "SORT": 5}})
    assert [(e["STATUS_ID"], e["NAME"], e["SORT"]) for e in (bx.ok("crm.status.get", {"id": source}),
                                                          bx.ok("crm.status.get", {"id": item}))] == [
        ("FAIR", "Fair", "5"), ("MINING", "Mining", "5")]
    assert (_actors("source_created"), _actors("directory_item_created")) == ([admin_user.pk], [admin_user.pk])


# --- crm.status.update / delete ----------------------------------------------------------------


def test_status_update_stage_sort_colour_and_semantics(bx, admin_user):
    ref = _entry_id(bx, "DEAL_STAGE", "PREPARATION")
    assert bx.ok("crm.status.update", {"id": ref, "fields": {"SORT": 35, "COLOR": "#445566",
                                                             "SEMANTICS": "F"}}) is True
    got = bx.ok("crm.status.get", {"id": ref})
    assert (got["SORT"], got["COLOR"], got["SEMANTICS"], got["EXTRA"]) == (
        "35", "#445566", "F", {"SEMANTICS": "failure", "COLOR": "#445566"})
    assert bx.ok("crm.status.update", {"id": ref, "fields": {"NAME": "Papers"}}) is True
    got = bx.ok("crm.status.get", {"id": ref})
    assert (got["NAME"], got["SORT"], got["SEMANTICS"]) == ("Papers", "35", "F")
    assert _actors("stage_updated") == [admin_user.pk, admin_user.pk]


def test_status_update_lead_status_sort_and_colour(bx, admin_user):
    ref = _entry_id(bx, "STATUS", "IN_PROCESS")
    assert bx.ok("crm.status.update", {"id": ref, "fields": {"SORT": 25, "COLOR": "#abcdef"}}) is True
    got = bx.ok("crm.status.get", {"id": ref})
    assert (got["SORT"], got["COLOR"]) == ("25", "#abcdef")
    assert _actors("lead_status_updated") == [admin_user.pk]


@pytest.mark.parametrize(("entity_id", "status_id", "action"), [
    ("SOURCE", "WEB", "source_updated"),
    ("INDUSTRY", "BANKING", "directory_item_updated"),
])
def test_status_update_source_and_directory_entry_sort(bx, admin_user, entity_id, status_id, action):
    ref = _entry_id(bx, entity_id, status_id)
    assert bx.ok("crm.status.update", {"id": ref, "fields": {"SORT": 5, "COLOR": ""}}) is True
    assert bx.ok("crm.status.get", {"id": ref})["SORT"] == "5"
    assert _actors(action) == [admin_user.pk]
    assert bitrix_error(bx.post("crm.status.update", {"id": ref, "fields": {"NAME": "X", "COLOR": "#112233"}})) == (
        "", "COLOR: entries of this directory have no colour.")
    assert bx.ok("crm.status.get", {"id": ref})["NAME"] != "X"


def test_status_delete_of_every_kind_is_logged_for_the_caller(bx, admin_user):
    cat = bx.ok("crm.category.add", {**CAT, "fields": {"name": "Projects"}})["category"]["id"]
    refs = [
        bx.ok("crm.status.add", {"fields": {"ENTITY_ID": "STATUS", "STATUS_ID": "LATER", "NAME": "Later"}}),
        bx.ok("crm.status.add", {"fields": {"ENTITY_ID": "SOURCE", "STATUS_ID": "FAIR", "NAME": "Fair"}}),
        bx.ok("crm.status.add", {"fields": {"ENTITY_ID": "INDUSTRY", "STATUS_ID": "MINING", "NAME": "Mining"}}),
        bx.ok("crm.status.add", {"fields": {"ENTITY_ID": f"DEAL_STAGE_{cat}", "STATUS_ID": "QA", "NAME": "QA"}}),
    ]
    for ref in refs:
        assert bx.ok("crm.status.delete", {"id": ref}) is True
    actions = ("lead_status_deleted", "source_deleted", "directory_item_deleted", "stage_deleted")
    assert [_actors(action) for action in actions] == [[admin_user.pk]] * 4


@pytest.mark.parametrize("entity_id", ["STATUS", "SOURCE", "DEAL_STAGE"])
def test_status_add_refuses_a_code_beyond_ascii_instead_of_storing_another(bx, entity_id):
    response = bx.post("crm.status.add", {"fields": {"ENTITY_ID": entity_id, "STATUS_ID": "straße", "NAME": "x"}})
    assert response.status_code == 400, response.content
    assert "letters, digits" in response.json()["error_description"]
    codes = [s["STATUS_ID"] for s in bx.ok("crm.status.list", {"filter": {"ENTITY_ID": entity_id}})]
    assert "STRASSE" not in codes and "straße" not in codes
