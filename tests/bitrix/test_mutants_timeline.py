"""crm.timeline.comment.*, crm.stagehistory.list and crm.activity.todo.add, answer by answer: behaviour
the surviving mutants of ``kontor.bitrix.methods.timeline`` and ``activities`` showed untested
(docs/mutation.md) — error texts, which fields a comment takes, order, select and pages of both lists,
the TYPE_ID filter of the stage history, a custom role's limits, and how a to-do's parameters land.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kontor.bitrix.mapping import dt
from kontor.bitrix.methods import timeline
from kontor.crm.enums import ActivityType, EntityType, TimelineKind
from kontor.crm.models import Activity, TimelineEntry

from .conftest import bitrix_error

pytestmark = pytest.mark.django_db

KINDS = ("lead", "deal", "contact", "company", "activity")


@pytest.fixture
def own_only(role_client):
    """A manager whose role reaches only the records they are responsible for, and a client for them."""
    row = {"read": "own", "add": "own", "edit": "own", "delete": "own", "export": "own"}
    return role_client(row, username="own_only", kinds=KINDS)


def _comments(deal: int, count: int, actor) -> list[int]:
    TimelineEntry.objects.bulk_create([
        TimelineEntry(entity_type=EntityType.DEAL, entity_id=deal, kind=TimelineKind.COMMENT, actor=actor,
                      data={"text": f"Note {n}"}) for n in range(count)])
    return list(TimelineEntry.objects.filter(entity_id=deal, kind=TimelineKind.COMMENT).order_by("id")
                .values_list("id", flat=True))


# --- crm.timeline.comment.add / update / delete ---------------------------------------------------


def test_a_comment_refuses_fields_it_does_not_have_naming_the_first(bx, classic_mode):
    deal = bx.ok("crm.deal.add", {"fields": {"TITLE": "D"}})
    response = bx.post("crm.timeline.comment.add", {"fields": {
        "ENTITY_ID": deal, "ENTITY_TYPE": "deal", "COMMENT": "x", "ZED": 1, "ALPHA": 2}})
    assert response.status_code == 400
    assert response.json() == {"error": "ERROR_ARGUMENT", "argument": "fields",
                               "error_description": "Field 'ALPHA' is not supported for comments."}
    assert not TimelineEntry.objects.filter(kind=TimelineKind.COMMENT).exists()


def test_a_comment_takes_empty_files_and_an_author_id_but_is_written_by_the_webhook_user(
        bx, classic_mode, admin_user, manager_user):
    deal = bx.ok("crm.deal.add", {"fields": {"TITLE": "D"}})
    comment = bx.ok("crm.timeline.comment.add", {"fields": {
        "ENTITY_ID": deal, "ENTITY_TYPE": "deal", "COMMENT": "Called", "FILES": [], "AUTHOR_ID": manager_user.pk}})
    got = bx.ok("crm.timeline.comment.get", {"id": comment})
    assert got == {"ID": str(comment), "CREATED": got["CREATED"], "ENTITY_ID": str(deal), "ENTITY_TYPE": "deal",
                   "AUTHOR_ID": str(admin_user.pk), "COMMENT": "Called", "FILES": []}


@pytest.mark.parametrize("entity_id", [None, 0, -3, "abc", ""])
def test_a_comment_without_a_valid_entity_id_says_so(bx, classic_mode, entity_id):
    fields = {"ENTITY_TYPE": "deal", "COMMENT": "x"}
    if entity_id is not None:
        fields["ENTITY_ID"] = entity_id
    assert bitrix_error(bx.post("crm.timeline.comment.add", {"fields": fields})) == (
        "", "ENTITY_ID is not defined or invalid.")


def test_a_comment_on_a_record_that_does_not_exist_is_not_found(bx, classic_mode):
    assert bitrix_error(bx.post("crm.timeline.comment.add", {"fields": {
        "ENTITY_ID": 987654, "ENTITY_TYPE": "deal", "COMMENT": "x"}})) == ("", "Not found")


def test_an_empty_comment_names_the_comment_field(bx, classic_mode):
    deal = bx.ok("crm.deal.add", {"fields": {"TITLE": "D"}})
    assert bitrix_error(bx.post("crm.timeline.comment.add", {"fields": {
        "ENTITY_ID": deal, "ENTITY_TYPE": "deal", "COMMENT": "  "}})) == ("", "COMMENT: a text is required")
    comment = bx.ok("crm.timeline.comment.add", {"fields": {"ENTITY_ID": deal, "ENTITY_TYPE": "deal",
                                                            "COMMENT": "First"}})
    assert bitrix_error(bx.post("crm.timeline.comment.update", {"id": comment, "fields": {"COMMENT": ""}})) == (
        "", "COMMENT: a text is required")
    assert bitrix_error(bx.post("crm.timeline.comment.update", {"id": comment, "fields": {"TEXT": "Second"}})) == (
        "", "Nothing to update: fields[COMMENT] is missing.")
    assert TimelineEntry.objects.get(pk=comment).data["text"] == "First"


def test_a_comment_of_somebody_else_cannot_be_deleted_by_a_manager(bx, bx_manager, classic_mode):
    deal = bx.ok("crm.deal.add", {"fields": {"TITLE": "D"}})
    comment = bx.ok("crm.timeline.comment.add", {"fields": {"ENTITY_ID": deal, "ENTITY_TYPE": "deal",
                                                            "COMMENT": "Admin's"}})
    assert bitrix_error(bx_manager.post("crm.timeline.comment.delete", {"id": comment})) == ("", "Access denied.")
    assert TimelineEntry.objects.filter(pk=comment).exists()


def test_a_role_limited_to_own_records_holds_for_comments(bx, classic_mode, own_only):
    user, client = own_only
    theirs = bx.ok("crm.deal.add", {"fields": {"TITLE": "Not mine"}})
    mine = bx.ok("crm.deal.add", {"fields": {"TITLE": "Mine", "ASSIGNED_BY_ID": user.pk}})
    hidden = bx.ok("crm.timeline.comment.add", {"fields": {"ENTITY_ID": theirs, "ENTITY_TYPE": "deal",
                                                           "COMMENT": "Hidden"}})
    assert bitrix_error(client.post("crm.timeline.comment.add", {"fields": {
        "ENTITY_ID": theirs, "ENTITY_TYPE": "deal", "COMMENT": "x"}})) == ("", "Not found")
    assert list(TimelineEntry.objects.filter(kind=TimelineKind.COMMENT).values_list("pk", flat=True)) == [hidden]
    listed = client.call("crm.timeline.comment.list", {"filter": {"ENTITY_ID": theirs, "ENTITY_TYPE": "deal"}})
    assert (listed["result"], listed["total"]) == ([], 0)
    own = client.ok("crm.timeline.comment.add", {"fields": {"ENTITY_ID": mine, "ENTITY_TYPE": "deal",
                                                            "COMMENT": "Mine"}})
    listed = client.ok("crm.timeline.comment.list", {"filter": {"ENTITY_ID": mine, "ENTITY_TYPE": "deal"},
                                                     "select": ["COMMENT", "AUTHOR_ID"]})
    assert listed == [{"ID": str(own), "COMMENT": "Mine", "AUTHOR_ID": str(user.pk)}]


# --- crm.timeline.comment.list -------------------------------------------------------------------


@pytest.mark.parametrize("params, expected", [
    ({"filter": "deal"}, "Parameter 'filter' must be array."),
    ({"filter": {"ENTITY_ID": 1, "ENTITY_TYPE": "deal"}, "order": "ID"}, "Parameter 'order' must be array."),
    ({"filter": {"ENTITY_ID": 1}}, "ENTITY_ID and ENTITY_TYPE are required in the filter."),
    ({"filter": {"XENTITY_ID": 1, "ENTITY_TYPE": "deal"}}, "ENTITY_ID and ENTITY_TYPE are required in the filter."),
])
def test_comment_list_refuses_a_bad_filter_or_order_saying_why(bx, classic_mode, params, expected):
    assert bitrix_error(bx.post("crm.timeline.comment.list", params)) == ("", expected)


def test_comment_list_takes_the_filter_keys_with_an_equals_sign(bx, classic_mode):
    deal = bx.ok("crm.deal.add", {"fields": {"TITLE": "D"}})
    other = bx.ok("crm.deal.add", {"fields": {"TITLE": "Other"}})
    comment = bx.ok("crm.timeline.comment.add", {"fields": {"ENTITY_ID": deal, "ENTITY_TYPE": "deal",
                                                            "COMMENT": "Here"}})
    bx.ok("crm.timeline.comment.add", {"fields": {"ENTITY_ID": other, "ENTITY_TYPE": "deal", "COMMENT": "There"}})
    listed = bx.ok("crm.timeline.comment.list", {"filter": {"=ENTITY_ID": deal, "=ENTITY_TYPE": "deal"}})
    assert [r["ID"] for r in listed] == [str(comment)]


def test_comment_list_orders_oldest_first_unless_told_and_by_id_or_created(bx, classic_mode, admin_user):
    deal = bx.ok("crm.deal.add", {"fields": {"TITLE": "D"}})
    first, second, third = _comments(deal, 3, admin_user)
    # the oldest comment has the highest id: CREATED and ID order differ
    now = datetime(2030, 1, 10, 12, 0, tzinfo=UTC)
    for pk, days in ((first, 0), (second, 1), (third, -1)):
        TimelineEntry.objects.filter(pk=pk).update(created_at=now + timedelta(days=days))
    base = {"filter": {"ENTITY_ID": deal, "ENTITY_TYPE": "deal"}, "select": ["ID"]}

    def ids(**extra) -> list[int]:
        return [int(r["ID"]) for r in bx.ok("crm.timeline.comment.list", {**base, **extra})]

    assert ids() == [first, second, third]
    assert ids(order={"ID": "DESC"}) == [third, second, first]
    assert ids(order={"CREATED": "ASC"}) == [third, first, second]
    assert ids(order={"CREATED": "DESC"}) == [second, first, third]


def test_comment_list_select_keeps_the_id(bx, classic_mode):
    deal = bx.ok("crm.deal.add", {"fields": {"TITLE": "D"}})
    comment = bx.ok("crm.timeline.comment.add", {"fields": {"ENTITY_ID": deal, "ENTITY_TYPE": "deal",
                                                            "COMMENT": "Hello"}})
    assert bx.ok("crm.timeline.comment.list", {"filter": {"ENTITY_ID": deal, "ENTITY_TYPE": "deal"},
                                               "select": ["COMMENT"]}) == [{"ID": str(comment), "COMMENT": "Hello"}]


def test_comment_list_pages_by_fifty_with_next_only_while_more_remain(bx, classic_mode, admin_user):
    deal = bx.ok("crm.deal.add", {"fields": {"TITLE": "D"}})
    ids = _comments(deal, 100, admin_user)
    params = {"filter": {"ENTITY_ID": deal, "ENTITY_TYPE": "deal"}, "select": ["ID"]}
    first = bx.call("crm.timeline.comment.list", params)
    assert [int(r["ID"]) for r in first["result"]] == ids[:50]
    assert (first["total"], first["next"]) == (100, 50)
    second = bx.call("crm.timeline.comment.list", {**params, "start": 50})
    assert [int(r["ID"]) for r in second["result"]] == ids[50:]
    assert second["total"] == 100 and "next" not in second


# --- crm.stagehistory.list -----------------------------------------------------------------------


@pytest.fixture
def histories(bx, classic_mode, service_category):
    """Deal A: created (1), to PREPARATION (2), to another pipeline (5), to its success stage (3);
    deal B: created (1), to PREPARATION (2), and a comment (not stage history)."""
    category = service_category
    a = bx.ok("crm.deal.add", {"fields": {"TITLE": "A"}})
    bx.ok("crm.deal.update", {"id": a, "fields": {"STAGE_ID": "PREPARATION"}})
    bx.ok("crm.item.update", {"entityTypeId": 2, "id": a, "fields": {"categoryId": category,
                                                                     "stageId": f"C{category}:START"}})
    bx.ok("crm.item.update", {"entityTypeId": 2, "id": a, "fields": {"stageId": f"C{category}:DONE"}})
    b = bx.ok("crm.deal.add", {"fields": {"TITLE": "B"}})
    bx.ok("crm.deal.update", {"id": b, "fields": {"STAGE_ID": "PREPARATION"}})
    bx.ok("crm.timeline.comment.add", {"fields": {"ENTITY_ID": b, "ENTITY_TYPE": "deal", "COMMENT": "x"}})
    entries = TimelineEntry.objects.filter(entity_type=EntityType.DEAL, kind__in=[
        TimelineKind.CREATED, TimelineKind.STAGE_CHANGED]).order_by("id")
    return {"a": a, "b": b, "category": category,
            "a_ids": list(entries.filter(entity_id=a).values_list("id", flat=True)),
            "b_ids": list(entries.filter(entity_id=b).values_list("id", flat=True))}


def _history(bx, **params) -> dict:
    return bx.call("crm.stagehistory.list", {"entityTypeId": 2, **params})


def test_stage_history_of_one_deal_is_its_created_and_stage_entries(bx, histories):
    b, (created, moved) = histories["b"], histories["b_ids"]
    out = _history(bx, filter={"OWNER_ID": b})
    when = {e.pk: dt(e.created_at) for e in TimelineEntry.objects.filter(pk__in=[created, moved])}
    assert out["result"] == {"items": [
        {"ID": created, "TYPE_ID": 1, "OWNER_ID": b, "CREATED_TIME": when[created], "CATEGORY_ID": 0,
         "STAGE_SEMANTIC_ID": "P", "STAGE_ID": "NEW"},
        {"ID": moved, "TYPE_ID": 2, "OWNER_ID": b, "CREATED_TIME": when[moved], "CATEGORY_ID": 0,
         "STAGE_SEMANTIC_ID": "P", "STAGE_ID": "PREPARATION"}]}
    assert out["total"] == 2 and "next" not in out


@pytest.mark.parametrize("type_id, expected", [
    (1, [(1, "NEW")]), ("1", [(1, "NEW")]), (2, [(2, "PREPARATION")]), (5, [(5, "START")]), (3, [(3, "DONE")]),
    ([2, 3], [(2, "PREPARATION"), (3, "DONE")]), (["1", "5"], [(1, "NEW"), (5, "START")]),
])
def test_stage_history_filters_by_type_id(bx, histories, type_id, expected):
    rows = _history(bx, filter={"OWNER_ID": histories["a"], "TYPE_ID": type_id})["result"]["items"]
    category = histories["category"]
    assert [(r["TYPE_ID"], r["STAGE_ID"]) for r in rows] == [
        (t, f"C{category}:{code}" if code in ("START", "DONE") else code) for t, code in expected]


@pytest.mark.parametrize("owner, type_id, count", [
    ("b", 1, 1), ("b", 2, 1), ("b", [1, 2], 2),
    # deal A has one move of each type (2, 5, 3): the total counts only the wanted ones
    ("a", 2, 1), ("a", 3, 1), ("a", [2, 5], 2), ("a", [1, 3], 2), ("a", [2, 3, 5], 3), ("a", 4, 0),
])
def test_stage_history_counts_only_the_entries_of_the_wanted_types(bx, histories, owner, type_id, count):
    out = _history(bx, filter={"OWNER_ID": histories[owner], "TYPE_ID": type_id})
    assert out["total"] == count == len(out["result"]["items"])
    assert "next" not in out


@pytest.mark.parametrize("chunk", [7, 500])
def test_stage_history_pages_the_entries_of_the_wanted_types(bx, classic_mode, monkeypatch, chunk):
    """60 deals moved to PREPARATION (2) and on to WON (3); pages of type 2 only, typed in chunks of 7 or 500."""
    monkeypatch.setattr(timeline, "HISTORY_CHUNK", chunk)
    for n in range(60):
        deal = bx.ok("crm.deal.add", {"fields": {"TITLE": f"D{n}"}})
        bx.ok("crm.deal.update", {"id": deal, "fields": {"STAGE_ID": "PREPARATION"}})
        bx.ok("crm.deal.update", {"id": deal, "fields": {"STAGE_ID": "WON"}})
    moves = list(TimelineEntry.objects.filter(entity_type=EntityType.DEAL, kind=TimelineKind.STAGE_CHANGED,
                                              data__to="PREPARATION").order_by("id").values_list("id", flat=True))
    first = _history(bx, filter={"TYPE_ID": 2}, select=["STAGE_ID"])
    assert (first["total"], first["next"]) == (60, 50)
    second = _history(bx, filter={"TYPE_ID": 2}, select=["STAGE_ID"], start=50)
    assert (second["total"], "next" in second) == (60, False)
    rows = first["result"]["items"] + second["result"]["items"]
    assert [r["ID"] for r in rows] == moves and {r["STAGE_ID"] for r in rows} == {"PREPARATION"}


def test_stage_history_orders_by_id_created_time_or_owner(bx, histories):
    a_ids, b_ids = histories["a_ids"], histories["b_ids"]
    # deal B's created entry is the newest of all: CREATED_TIME and ID order differ
    TimelineEntry.objects.filter(pk=b_ids[0]).update(created_at=datetime(2040, 1, 1, tzinfo=UTC))

    def ids(**params) -> list[int]:
        return [r["ID"] for r in _history(bx, select=["OWNER_ID"], **params)["result"]["items"]]

    assert ids() == a_ids + b_ids
    assert ids(order={"ID": "DESC"}) == list(reversed(a_ids + b_ids))
    assert ids(order={"CREATED_TIME": "ASC"}) == [*a_ids, b_ids[1], b_ids[0]]
    assert ids(order={"OWNER_ID": "DESC"}) == list(reversed(b_ids)) + list(reversed(a_ids))
    assert ids(filter={"OWNER_ID": histories["a"]}) == a_ids


def test_stage_history_select_keeps_the_id(bx, histories):
    rows = _history(bx, filter={"OWNER_ID": histories["b"]}, select=["STAGE_ID"])["result"]["items"]
    assert rows == [{"ID": histories["b_ids"][0], "STAGE_ID": "NEW"},
                    {"ID": histories["b_ids"][1], "STAGE_ID": "PREPARATION"}]


@pytest.mark.parametrize("params, expected", [
    ({"entityTypeId": 3}, ("NOT_FOUND", "entityTypeId must be 1 (leads) or 2 (deals).")),
    ({"entityTypeId": 2, "filter": "x"}, ("", "Parameter 'filter' must be array.")),
    ({"entityTypeId": 2, "order": "ID"}, ("", "Parameter 'order' must be array.")),
])
def test_stage_history_refuses_bad_parameters_saying_why(bx, classic_mode, params, expected):
    assert bitrix_error(bx.post("crm.stagehistory.list", params)) == expected


def test_stage_history_for_a_role_limited_to_own_deals(bx, classic_mode, own_only):
    user, client = own_only
    bx.ok("crm.deal.add", {"fields": {"TITLE": "Not mine"}})
    mine = bx.ok("crm.deal.add", {"fields": {"TITLE": "Mine", "ASSIGNED_BY_ID": user.pk}})
    out = client.call("crm.stagehistory.list", {"entityTypeId": 2})
    assert [r["OWNER_ID"] for r in out["result"]["items"]] == [mine] and out["total"] == 1


def test_stage_history_pages_by_fifty_with_next_only_while_more_remain(bx, classic_mode, admin_user):
    deal = bx.ok("crm.deal.add", {"fields": {"TITLE": "D"}})
    TimelineEntry.objects.bulk_create([
        TimelineEntry(entity_type=EntityType.DEAL, entity_id=deal, kind=TimelineKind.STAGE_CHANGED, actor=admin_user,
                      data={"from": "NEW", "to": "PREPARATION"}) for _ in range(99)])
    ids = list(TimelineEntry.objects.filter(entity_id=deal, kind__in=[
        TimelineKind.CREATED, TimelineKind.STAGE_CHANGED]).order_by("id").values_list("id", flat=True))
    assert len(ids) == 100
    first = _history(bx, select=["OWNER_ID"])
    assert [r["ID"] for r in first["result"]["items"]] == ids[:50]
    assert (first["total"], first["next"]) == (100, 50)
    second = _history(bx, select=["OWNER_ID"], start=50)
    assert [r["ID"] for r in second["result"]["items"]] == ids[50:]
    assert second["total"] == 100 and "next" not in second


# --- crm.activity.todo.add -----------------------------------------------------------------------


def _todo(bx, **params) -> Activity:
    deal = bx.ok("crm.deal.add", {"fields": {"TITLE": "D"}})
    out = bx.ok("crm.activity.todo.add", {"ownerTypeId": 2, "ownerId": deal, **params})
    assert list(out) == ["id"]
    activity = Activity.objects.get(pk=out["id"])
    assert (activity.type, activity.owner_type, activity.owner_id) == (ActivityType.TODO, EntityType.DEAL, deal)
    return activity


def test_a_todo_takes_title_description_deadline_and_responsible(bx, classic_mode, admin_user, manager_user):
    activity = _todo(bx, title="Send offer", description="With the new prices", responsibleId=manager_user.pk,
                     deadline="2030-05-02T09:00:00+02:00")
    assert (activity.subject, activity.description) == ("Send offer", "With the new prices")
    assert activity.deadline == datetime(2030, 5, 2, 7, 0, tzinfo=UTC)
    assert (activity.responsible_id, activity.author_id) == (manager_user.pk, admin_user.pk)


@pytest.mark.parametrize("params, subject, description", [
    ({"description": "Call back"}, "Call back", "Call back"),
    ({"title": "Offer"}, "Offer", ""),
    ({}, "To-do", ""),
])
def test_a_todo_without_a_title_is_named_by_its_description_or_to_do(bx, classic_mode, params, subject, description):
    activity = _todo(bx, **params)
    assert (activity.subject, activity.description) == (subject, description)


@pytest.mark.parametrize("params", [{}, {"deadline": "", "responsibleId": ""}])
def test_a_todo_without_deadline_or_responsible_has_none_and_is_the_callers(bx, classic_mode, admin_user, params):
    activity = _todo(bx, title="T", **params)
    assert (activity.deadline, activity.responsible_id, activity.author_id) == (None, admin_user.pk, admin_user.pk)


def test_a_todo_with_an_unreadable_deadline_names_the_parameter(bx, classic_mode):
    deal = bx.ok("crm.deal.add", {"fields": {"TITLE": "D"}})
    response = bx.post("crm.activity.todo.add", {"ownerTypeId": 2, "ownerId": deal, "deadline": "soon"})
    assert response.status_code == 400
    assert response.json() == {"error": "ERROR_ARGUMENT", "argument": "deadline",
                               "error_description": "'deadline': 'soon' is not a date and time."}
    assert not Activity.objects.exists()


def test_comment_list_orders_by_author_as_bitrix24_documents(bx, bx_manager, classic_mode, admin_user, manager_user):
    deal = bx.ok("crm.deal.add", {"fields": {"TITLE": "D"}})
    fields = {"ENTITY_ID": deal, "ENTITY_TYPE": "deal", "COMMENT": "x"}
    # the lower user id writes last, so neither id nor creation order gives the author order
    first_id, second_id = sorted([admin_user.pk, manager_user.pk])
    higher = bx_manager if manager_user.pk == second_id else bx
    lower = bx if higher is bx_manager else bx_manager
    by_higher = higher.ok("crm.timeline.comment.add", {"fields": fields})
    by_lower = lower.ok("crm.timeline.comment.add", {"fields": fields})
    listed = bx.ok("crm.timeline.comment.list", {"filter": {"ENTITY_ID": deal, "ENTITY_TYPE": "deal"},
                                                 "order": {"AUTHOR_ID": "ASC"}, "select": ["ID", "AUTHOR_ID"]})
    assert [int(r["ID"]) for r in listed] == [by_lower, by_higher]
    assert [int(r["AUTHOR_ID"]) for r in listed] == [first_id, second_id]
