"""batch, timeline, stage history, link and activity methods: behaviour the surviving mutants of
``kontor.bitrix.methods`` showed untested (docs/mutation.md)."""

from __future__ import annotations

import pytest

from kontor.crm.enums import EntityType, Semantic, TimelineKind
from kontor.crm.models import Pipeline, TimelineEntry
from kontor.crm.services import stage_create

pytestmark = pytest.mark.django_db


def _error(response) -> str:
    assert response.status_code == 400, response.content
    return response.json()["error_description"]


def test_a_reference_to_a_whole_record_inside_text_stays_as_written(bx, classic_mode):
    lead = bx.ok("crm.lead.add", {"fields": {"TITLE": "Original"}})
    out = bx.ok("batch", {"halt": 1, "cmd": {
        "get": f"crm.lead.get?id={lead}",
        "copy": "crm.lead.add?fields[TITLE]=Copy of $result[get] named $result[get][TITLE]",
    }})
    assert out["result_error"] == []
    assert bx.ok("crm.lead.get", {"id": out["result"]["copy"]})["TITLE"] == "Copy of $result[get] named Original"


def test_a_comment_with_files_is_refused_saying_why(bx, classic_mode):
    deal = bx.ok("crm.deal.add", {"fields": {"TITLE": "D"}})
    assert _error(bx.post("crm.timeline.comment.add", {"fields": {
        "ENTITY_ID": deal, "ENTITY_TYPE": "deal", "COMMENT": "See file", "FILES": [["a.txt", "YQ=="]]}})) == (
        "Field 'FILES' is not supported by Kontor (comments are text only).")
    assert not TimelineEntry.objects.filter(kind=TimelineKind.COMMENT).exists()


def test_stage_history_marks_a_move_to_another_pipeline(bx, classic_mode, admin_user):
    other = Pipeline.objects.create(name="Service", sort=900)
    stage_create(pipeline=other, data={"code": "START", "name": "Start", "semantic": Semantic.PROCESS})
    stage_create(pipeline=other, data={"code": "DONE", "name": "Done", "semantic": Semantic.SUCCESS})
    deal = bx.ok("crm.deal.add", {"fields": {"TITLE": "D"}})
    category = next(c["id"] for c in bx.ok("crm.category.list", {"entityTypeId": 2})["categories"]
                    if c["name"] == "Service")
    bx.ok("crm.item.update", {"entityTypeId": 2, "id": deal, "fields": {"categoryId": category,
                                                                        "stageId": f"C{category}:START"}})
    rows = bx.ok("crm.stagehistory.list", {"entityTypeId": 2, "filter": {"OWNER_ID": deal},
                                           "order": {"ID": "ASC"}})["items"]
    assert [r["TYPE_ID"] for r in rows] == [1, 5]
    assert (rows[1]["STAGE_ID"], rows[1]["CATEGORY_ID"]) == (f"C{category}:START", category)


def test_stage_history_of_a_deal_whose_created_entry_names_no_stage(bx, classic_mode):
    """Entries written before the stage was recorded: the first move's "from" is where the deal began."""
    deal = bx.ok("crm.deal.add", {"fields": {"TITLE": "D"}})
    created = TimelineEntry.objects.get(entity_type=EntityType.DEAL, entity_id=deal, kind=TimelineKind.CREATED)
    created.data = {"title": "D"}
    created.save(update_fields=["data"])
    bx.ok("crm.deal.update", {"id": deal, "fields": {"STAGE_ID": "PREPARATION"}})
    rows = bx.ok("crm.stagehistory.list", {"entityTypeId": 2, "filter": {"OWNER_ID": deal},
                                           "order": {"ID": "ASC"}})["items"]
    assert [(r["TYPE_ID"], r["STAGE_ID"]) for r in rows] == [(1, "NEW"), (2, "PREPARATION")]


def test_linking_a_record_that_does_not_exist_names_it(bx, classic_mode):
    deal = bx.ok("crm.deal.add", {"fields": {"TITLE": "D"}})
    assert _error(bx.post("crm.deal.contact.add", {"id": deal, "fields": {"CONTACT_ID": 987654}})) == (
        "CONTACT_ID: record 987654 not found.")


def test_activity_fields_describe_types_and_titles(bx):
    fields = bx.ok("crm.activity.fields")
    assert (fields["START_TIME"]["type"], fields["START_TIME"]["title"]) == ("datetime", "Start time")
    assert fields["STATUS"]["type"] == "crm_enum_activitystatus" and fields["STATUS"]["isReadOnly"] is True
    assert fields["DIRECTION"]["type"] == "crm_enum_activitydirection" and fields["DIRECTION"]["isImmutable"]
    assert (fields["LAST_UPDATED"]["type"], fields["LAST_UPDATED"]["title"]) == ("datetime", "Modified on")
    assert fields["COMMUNICATIONS"]["title"] == "Communications" and fields["COMMUNICATIONS"]["isRequired"]


def test_a_batch_without_a_command_list_says_what_it_needs(bx):
    response = bx.post("batch", {"cmd": "crm.lead.list"})
    assert _error(response) == "Parameter 'cmd' must be a non-empty array of commands."
    assert response.json()["error"] == "ERROR_BATCH_EMPTY"
