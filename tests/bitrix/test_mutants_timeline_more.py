"""crm.timeline.comment.* and crm.stagehistory.list, written against the survivors of the run of
5 December over ``kontor.bitrix.methods.timeline`` (var/mut-bx2): ``ENTITY_TYPE`` given by number and the
words of its refusal, a comment's ``CREATED`` and a comment without text, ``FILES`` refused with its
argument, ``comment.get`` limited to comments a role may read, list parameters in the documented spelling
winning over others, and the stage history of leads (created only, moved on, junked) and of deals whose
entries are older than ``pipeline_id`` / ``from_pipeline_id`` or name a stage that is gone.
"""

from __future__ import annotations

import pytest

from kontor.bitrix.mapping import dt
from kontor.crm.enums import EntityType, Semantic, TimelineKind
from kontor.crm.models import Deal, Pipeline, TimelineEntry
from kontor.crm.services import stage_create

from .conftest import Wire, bitrix_error

pytestmark = pytest.mark.django_db

OWN = {"read": "own", "add": "own", "edit": "own", "delete": "own", "export": "own"}


def _deal(bx: Wire, **fields) -> int:
    return bx.ok("crm.deal.add", {"fields": {"TITLE": "D", **fields}})


def _comment(bx: Wire, deal: int, text: str = "x") -> int:
    return bx.ok("crm.timeline.comment.add", {"fields": {"ENTITY_ID": deal, "ENTITY_TYPE": "deal", "COMMENT": text}})


def _entries(entity_type: EntityType, owner: int) -> list[TimelineEntry]:
    return list(TimelineEntry.objects.filter(entity_type=entity_type, entity_id=owner, kind__in=[
        TimelineKind.CREATED, TimelineKind.STAGE_CHANGED, TimelineKind.STATUS_CHANGED]).order_by("id"))


def _legacy_move(deal: int, **data) -> None:
    """A stage entry as written before ``pipeline_id`` / ``from_pipeline_id`` were kept."""
    TimelineEntry.objects.create(entity_type=EntityType.DEAL, entity_id=deal, kind=TimelineKind.STAGE_CHANGED,
                                 data=data)


def _items(bx: Wire, entity_type_id: int = 2, **params) -> list[dict]:
    return bx.ok("crm.stagehistory.list", {"entityTypeId": entity_type_id, **params})["items"]


def _row(entry: TimelineEntry, type_id: int, **rest) -> dict:
    return {"ID": entry.pk, "TYPE_ID": type_id, "OWNER_ID": entry.entity_id, "CREATED_TIME": dt(entry.created_at),
            **rest}


def _default_pk() -> int:
    return Pipeline.objects.get(is_default=True).pk


# --- crm.timeline.comment.add / get ---------------------------------------------------------------


@pytest.mark.parametrize("entity_type", [2, "2", " 2 "])
def test_a_comment_takes_the_entity_type_by_its_number(bx, classic_mode, entity_type):
    deal = _deal(bx)
    comment = bx.ok("crm.timeline.comment.add", {"fields": {"ENTITY_ID": deal, "ENTITY_TYPE": entity_type,
                                                            "COMMENT": "By number"}})
    entry = TimelineEntry.objects.get(pk=comment)
    assert (entry.entity_type, entry.entity_id, entry.data["text"]) == (EntityType.DEAL, deal, "By number")
    # … and the list finds it by the number as by the name
    for given in (entity_type, "deal"):
        listed = bx.ok("crm.timeline.comment.list", {"filter": {"ENTITY_ID": deal, "ENTITY_TYPE": given}})
        assert [int(c["ID"]) for c in listed] == [comment]
    assert bx.ok("crm.timeline.comment.list", {"filter": {"ENTITY_ID": deal, "ENTITY_TYPE": 1}}) == []


@pytest.mark.parametrize("entity_type", ["quote", 7, "", None])
def test_a_comment_on_an_unknown_entity_type_says_which_are_known(bx, classic_mode, entity_type):
    deal = _deal(bx)
    fields = {"ENTITY_ID": deal, "COMMENT": "x"}
    if entity_type is not None:
        fields["ENTITY_TYPE"] = entity_type
    assert bitrix_error(bx.post("crm.timeline.comment.add", {"fields": fields})) == (
        "", "ENTITY_TYPE is not defined or invalid (lead, deal, contact or company).")
    assert not TimelineEntry.objects.filter(kind=TimelineKind.COMMENT).exists()


@pytest.mark.parametrize("files", [None, "", [], {}])
def test_a_comment_takes_no_files_given_empty(bx, classic_mode, files):
    deal = _deal(bx)
    comment = bx.ok("crm.timeline.comment.add", {"fields": {"ENTITY_ID": deal, "ENTITY_TYPE": "deal",
                                                            "COMMENT": "Plain", "FILES": files}})
    assert bx.ok("crm.timeline.comment.get", {"id": comment})["FILES"] == []
    assert bx.ok("crm.timeline.comment.update", {"id": comment, "fields": {"COMMENT": "Again", "FILES": files}})
    assert TimelineEntry.objects.get(pk=comment).data["text"] == "Again"


@pytest.mark.parametrize("files", ["file.pdf", [["a.txt", "YQ=="]], {"0": "x"}])
def test_a_comment_with_files_is_refused_naming_the_fields_argument(bx, classic_mode, files):
    deal = _deal(bx)
    refusal = {"error": "ERROR_ARGUMENT", "argument": "fields",
               "error_description": "Field 'FILES' is not supported by Kontor (comments are text only)."}
    response = bx.post("crm.timeline.comment.add", {"fields": {"ENTITY_ID": deal, "ENTITY_TYPE": "deal",
                                                               "COMMENT": "x", "FILES": files}})
    assert (response.status_code, response.json()) == (400, refusal)
    comment = _comment(bx, deal, "Kept")
    response = bx.post("crm.timeline.comment.update", {"id": comment, "fields": {"COMMENT": "y", "FILES": files}})
    assert (response.status_code, response.json()) == (400, refusal)
    assert list(TimelineEntry.objects.filter(kind=TimelineKind.COMMENT).values_list("data", flat=True)) == [
        {"text": "Kept"}]


def test_a_comment_shows_when_it_was_written(bx, classic_mode):
    comment = _comment(bx, _deal(bx))
    created = dt(TimelineEntry.objects.get(pk=comment).created_at)
    assert created != ""
    assert bx.ok("crm.timeline.comment.get", {"id": comment})["CREATED"] == created


def test_a_comment_without_text_shows_an_empty_comment(bx, classic_mode, admin_user):
    deal = _deal(bx)
    entry = TimelineEntry.objects.create(entity_type=EntityType.DEAL, entity_id=deal, kind=TimelineKind.COMMENT,
                                         actor=admin_user, data={})
    assert bx.ok("crm.timeline.comment.get", {"id": entry.pk})["COMMENT"] == ""
    listed = bx.ok("crm.timeline.comment.list", {"filter": {"ENTITY_ID": deal, "ENTITY_TYPE": "deal"},
                                                 "select": ["COMMENT"]})
    assert listed == [{"ID": str(entry.pk), "COMMENT": ""}]


def test_comment_get_finds_only_comments(bx, classic_mode):
    deal = _deal(bx)
    created = TimelineEntry.objects.get(entity_id=deal, entity_type=EntityType.DEAL, kind=TimelineKind.CREATED)
    assert bitrix_error(bx.post("crm.timeline.comment.get", {"id": created.pk})) == ("", "Not found")


def test_comment_get_of_a_record_the_role_does_not_reach_is_not_found(bx, classic_mode, role_client):
    user, client = role_client(OWN, username="own_only")
    theirs = _comment(bx, _deal(bx, TITLE="Not mine"), "Hidden")
    mine = _comment(bx, _deal(bx, TITLE="Mine", ASSIGNED_BY_ID=user.pk), "Seen")
    assert bitrix_error(client.post("crm.timeline.comment.get", {"id": theirs})) == ("", "Not found")
    assert client.ok("crm.timeline.comment.get", {"id": mine})["COMMENT"] == "Seen"


# --- list parameters: the documented spelling wins --------------------------------------------------


def test_comment_list_parameters_as_documented_win_over_other_spellings(bx, classic_mode):
    # The documented (lower-case) name comes last, so Bitrix24's "last one wins" agrees.
    deal, other = _deal(bx), _deal(bx, TITLE="Other")
    first, second = _comment(bx, deal, "First"), _comment(bx, deal, "Second")
    _comment(bx, other, "Elsewhere")
    flt = {"ENTITY_ID": deal, "ENTITY_TYPE": "deal"}

    def ids(**params) -> list[int]:
        return [int(r["ID"]) for r in bx.ok("crm.timeline.comment.list", {"select": ["ID"], **params})]

    assert ids(FILTER={"ENTITY_ID": other, "ENTITY_TYPE": "deal"}, filter=flt) == [first, second]
    assert ids(filter=flt, ORDER={"ID": "ASC"}, order={"ID": "DESC"}) == [second, first]
    assert ids(filter=flt, START=50, start=0) == [first, second]
    listed = bx.ok("crm.timeline.comment.list", {"filter": flt, "SELECT": ["ID", "COMMENT"], "select": ["ID"]})
    assert listed == [{"ID": str(first)}, {"ID": str(second)}]


def test_stage_history_parameters_as_documented_win_over_other_spellings(bx, classic_mode):
    a, b = _deal(bx, TITLE="A"), _deal(bx, TITLE="B")
    bx.ok("crm.lead.add", {"fields": {"TITLE": "L"}})
    (created_a,), (created_b,) = _entries(EntityType.DEAL, a), _entries(EntityType.DEAL, b)

    def ids(**params) -> list[int]:
        body = bx.ok("crm.stagehistory.list", {"select": ["OWNER_ID"], **params})
        return [r["ID"] for r in body["items"]]

    assert ids(ENTITYTYPEID=1, entityTypeId=2) == [created_a.pk, created_b.pk]
    assert ids(entityTypeId=2, FILTER={"OWNER_ID": a}, filter={"OWNER_ID": b}) == [created_b.pk]
    assert ids(entityTypeId=2, ORDER={"ID": "ASC"}, order={"ID": "DESC"}) == [created_b.pk, created_a.pk]
    assert ids(entityTypeId=2, START=50, start=0) == [created_a.pk, created_b.pk]
    body = bx.ok("crm.stagehistory.list", {"entityTypeId": 2, "filter": {"OWNER_ID": a},
                                           "SELECT": ["ID", "STAGE_ID"], "select": ["ID"]})
    assert body == {"items": [{"ID": created_a.pk}]}


# --- crm.stagehistory.list of leads -------------------------------------------------------------


def test_lead_history_of_a_lead_never_moved_names_its_status(bx, classic_mode):
    lead = bx.ok("crm.lead.add", {"fields": {"TITLE": "L", "STATUS_ID": "IN_PROCESS"}})
    (created,) = _entries(EntityType.LEAD, lead)
    assert _items(bx, 1, filter={"OWNER_ID": lead}) == [
        _row(created, 1, STATUS_SEMANTIC_ID="P", STATUS_ID="IN_PROCESS")]


def test_lead_history_tells_moves_on_from_a_final_one(bx, classic_mode):
    lead = bx.ok("crm.lead.add", {"fields": {"TITLE": "L"}})
    bx.ok("crm.lead.update", {"id": lead, "fields": {"STATUS_ID": "IN_PROCESS"}})
    bx.ok("crm.lead.update", {"id": lead, "fields": {"STATUS_ID": "JUNK"}})
    created, worked, junked = _entries(EntityType.LEAD, lead)
    assert _items(bx, 1, filter={"OWNER_ID": lead}) == [
        _row(created, 1, STATUS_SEMANTIC_ID="P", STATUS_ID="NEW"),
        _row(worked, 2, STATUS_SEMANTIC_ID="P", STATUS_ID="IN_PROCESS"),
        _row(junked, 3, STATUS_SEMANTIC_ID="F", STATUS_ID="JUNK")]
    assert [r["TYPE_ID"] for r in _items(bx, 1, filter={"OWNER_ID": lead, "TYPE_ID": 3})] == [3]


# --- crm.stagehistory.list of deals -------------------------------------------------------------


@pytest.fixture
def projects(bx) -> int:
    """A pipeline "Projects" whose first stage is called NEW like the default pipeline's: its category id."""
    other = Pipeline.objects.create(name="Projects", sort=950)
    stage_create(pipeline=other, data={"code": "NEW", "name": "New", "semantic": Semantic.PROCESS})
    stage_create(pipeline=other, data={"code": "DONE", "name": "Done", "semantic": Semantic.SUCCESS})
    return next(c["id"] for c in bx.ok("crm.category.list", {"entityTypeId": 2})["categories"]
                if c["name"] == "Projects")


def test_deal_history_of_a_deal_never_moved_names_its_pipeline_and_stage(bx, classic_mode, service_category):
    category = service_category
    deal = bx.ok("crm.item.add", {"entityTypeId": 2, "fields": {"title": "S", "categoryId": category,
                                                                 "stageId": f"C{category}:START"}})["item"]["id"]
    plain = _deal(bx)
    (created,), (plain_created,) = _entries(EntityType.DEAL, deal), _entries(EntityType.DEAL, plain)
    assert _items(bx, filter={"OWNER_ID": deal}) == [
        _row(created, 1, CATEGORY_ID=category, STAGE_SEMANTIC_ID="P", STAGE_ID=f"C{category}:START")]
    assert _items(bx, filter={"OWNER_ID": plain}) == [
        _row(plain_created, 1, CATEGORY_ID=0, STAGE_SEMANTIC_ID="P", STAGE_ID="NEW")]


def test_deal_history_tells_a_move_to_a_pipeline_with_the_same_stage_code(bx, classic_mode, projects):
    deal = _deal(bx)
    bx.ok("crm.item.update", {"entityTypeId": 2, "id": deal, "fields": {"categoryId": projects,
                                                                         "stageId": f"C{projects}:NEW"}})
    created, moved = _entries(EntityType.DEAL, deal)
    assert Deal.objects.get(pk=deal).pipeline_id == projects
    assert _items(bx, filter={"OWNER_ID": deal}) == [
        _row(created, 1, CATEGORY_ID=0, STAGE_SEMANTIC_ID="P", STAGE_ID="NEW"),
        _row(moved, 5, CATEGORY_ID=projects, STAGE_SEMANTIC_ID="P", STAGE_ID=f"C{projects}:NEW")]


def test_deal_history_reads_moves_written_before_pipelines_were_kept(bx, classic_mode, service_category):
    category = service_category
    deal = _deal(bx)
    _legacy_move(deal, **{"from": "NEW", "to": "PREPARATION", "pipeline_id": _default_pk()})
    bx.ok("crm.item.update", {"entityTypeId": 2, "id": deal, "fields": {"categoryId": category,
                                                                         "stageId": f"C{category}:START"}})
    created, legacy, moved = _entries(EntityType.DEAL, deal)
    assert _items(bx, filter={"OWNER_ID": deal}) == [
        _row(created, 1, CATEGORY_ID=0, STAGE_SEMANTIC_ID="P", STAGE_ID="NEW"),
        _row(legacy, 2, CATEGORY_ID=0, STAGE_SEMANTIC_ID="P", STAGE_ID="PREPARATION"),
        _row(moved, 5, CATEGORY_ID=category, STAGE_SEMANTIC_ID="P", STAGE_ID=f"C{category}:START")]


def test_deal_history_places_moves_naming_no_pipeline_in_the_deals_pipeline(bx, classic_mode):
    deal = _deal(bx)
    _legacy_move(deal, **{"from": "NEW", "to": "PREPARATION"})
    created, legacy = _entries(EntityType.DEAL, deal)
    assert _items(bx, filter={"OWNER_ID": deal}) == [
        _row(created, 1, CATEGORY_ID=0, STAGE_SEMANTIC_ID="P", STAGE_ID="NEW"),
        _row(legacy, 2, CATEGORY_ID=0, STAGE_SEMANTIC_ID="P", STAGE_ID="PREPARATION")]


def test_deal_history_names_a_stage_that_is_gone_by_its_code(bx, classic_mode):
    deal = _deal(bx)
    default = _default_pk()
    _legacy_move(deal, **{"from": "NEW", "to": "GONE", "pipeline_id": default, "from_pipeline_id": default})
    _, gone = _entries(EntityType.DEAL, deal)
    (row,) = [r for r in _items(bx, filter={"OWNER_ID": deal}) if r["ID"] == gone.pk]
    assert (row["CATEGORY_ID"], row["STAGE_SEMANTIC_ID"], row["STAGE_ID"]) == (0, None, "GONE")


def test_deal_history_does_not_take_a_leads_moves_for_the_deals(bx, classic_mode, service_category):
    category = service_category
    deal = _deal(bx)
    # a lead with the deal's id changed its status before the deal first moved
    TimelineEntry.objects.create(entity_type=EntityType.LEAD, entity_id=deal, kind=TimelineKind.STATUS_CHANGED,
                                 data={"from": "PROCESSED", "to": "JUNK"})
    bx.ok("crm.item.update", {"entityTypeId": 2, "id": deal, "fields": {"categoryId": category,
                                                                         "stageId": f"C{category}:START"}})
    created, moved = _entries(EntityType.DEAL, deal)
    assert _items(bx, filter={"OWNER_ID": deal}) == [
        _row(created, 1, CATEGORY_ID=0, STAGE_SEMANTIC_ID="P", STAGE_ID="NEW"),
        _row(moved, 5, CATEGORY_ID=category, STAGE_SEMANTIC_ID="P", STAGE_ID=f"C{category}:START")]
