"""Pipelines' and custom fields' input checks: written against the survivors of the exact run of
4 December 2026 of ``kontor.crm.services`` in ``pipelines`` and ``custom_fields`` (docs/mutation.md).

What an admin or API caller sees: each refusal's code, message and field (with nothing written), the
default stages in the installation's language, the stage-order rule a pipeline keeps, the accepted
spellings of flags and the limits of labels and items, records that lose a deleted enumeration item or
a deleted field's values, and, on PostgreSQL, defining a field in a transaction that wrote records.
"""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from kontor.core.errors import ErrorCode
from kontor.crm.enums import EntityType
from kontor.crm.models import AuditLog, CustomField, CustomFieldItem, Deal, Pipeline, Stage
from kontor.crm.services import deal_create, pipeline_create, pipeline_update, stage_create
from kontor.crm.services.custom_fields import custom_field_create, custom_field_delete, custom_field_update
from kontor.crm.services.pipelines import lead_status_create, stage_delete, stage_update

from .conftest import refusal

pytestmark = pytest.mark.django_db

SEMANTICS = "semantic must be one of process, success, failure"


@pytest.fixture
def pipeline(admin_user) -> Pipeline:
    return pipeline_create(actor=admin_user, name="Projects")


@pytest.fixture
def bare_pipeline(admin_user) -> Pipeline:
    """A pipeline with one in-progress stage (OPEN) and one won stage (WON)."""
    bare = pipeline_create(actor=admin_user, name="Bare", default_stages=False)
    stage_create(pipeline=bare, data={"code": "OPEN", "name": "Open", "semantic": "process"})
    stage_create(pipeline=bare, data={"code": "WON", "name": "Won", "semantic": "success"})
    return bare


# --- pipelines: renaming and re-sorting -----------------------------------------------------------


@pytest.mark.parametrize(("data", "message", "field"), [
    ({"name": ""}, "name is required", "name"),
    ({"name": "   "}, "name is required", "name"),
    ({"name": None}, "name is required", "name"),
    ({"name": 5}, "name must be a string", "name"),
    ({"name": "x" * 256}, "name is longer than 255 characters", "name"),
    ({"sort": "first"}, "sort must be an integer", "sort"),
    ({"sort": True}, "sort must be an integer", "sort"),
    ({"sort": False}, "sort must be an integer", "sort"),
    ({"sort": 2**31}, "sort is out of range", "sort"),
])
def test_a_pipeline_update_with_a_bad_name_or_sort_is_refused_and_changes_nothing(admin_user, pipeline, data,
                                                                                   message, field):
    err = refusal(lambda: pipeline_update(pipeline=pipeline, actor=admin_user, data=data))
    assert (err.code, err.message, err.field) == (ErrorCode.VALIDATION, message, field)
    stored = Pipeline.objects.get(pk=pipeline.pk)
    assert (stored.name, stored.sort) == ("Projects", 500)
    assert not AuditLog.objects.filter(action="pipeline_updated").exists()


def test_a_pipeline_created_with_a_boolean_sort_is_refused(admin_user):
    err = refusal(lambda: pipeline_create(actor=admin_user, name="Projects", sort=True))
    assert (err.code, err.message, err.field) == (ErrorCode.VALIDATION, "sort must be an integer", "sort")
    assert not Pipeline.objects.filter(name="Projects").exists()


# --- default stages in the installation's language ------------------------------------------------


GERMAN = ["Neu", "Vorbereitung der Unterlagen", "Rechnung für Vorauszahlung", "In Bearbeitung", "Schlussrechnung",
          "Auftrag gewonnen", "Auftrag verloren", "Analyse der Ursache"]
ENGLISH = ["New", "Preparing documents", "Prepayment invoice", "In progress", "Final invoice", "Deal won",
           "Deal lost", "Analyse failure"]


@pytest.mark.parametrize(("language", "names"), [
    ("de", GERMAN), ("de-at", GERMAN), ("en", ENGLISH), ("en-us", ENGLISH), ("fr", ENGLISH),
])
def test_a_new_pipelines_default_stages_are_named_in_the_installations_language(settings, language, names):
    settings.LANGUAGE_CODE = language
    created = pipeline_create(name="Projects")
    assert list(Stage.objects.filter(pipeline=created).order_by("sort").values_list("name", flat=True)) == names


def test_a_new_pipelines_default_stages_have_their_semantics_and_colours():
    created = pipeline_create(name="Projects")
    assert list(Stage.objects.filter(pipeline=created).order_by("sort").values_list("code", "semantic", "color")) == [
        ("NEW", "process", "#39A8EF"), ("PREPARATION", "process", "#2FC6F6"),
        ("PREPAYMENT_INVOICE", "process", "#55D0E0"), ("EXECUTING", "process", "#47E4C2"),
        ("FINAL_INVOICE", "process", "#FFA900"), ("WON", "success", "#7BD500"), ("LOSE", "failure", "#FF5752"),
        ("APOLOGY", "failure", "#FF5752")]


# --- stages: colour, semantic, code --------------------------------------------------------------


@pytest.mark.parametrize(("data", "message", "field"), [
    ({"color": 5}, "color must be a string", "color"),
    ({"color": "#aabbccddeeff0011"}, "color is longer than 16 characters", "color"),
    ({"color": "#aabbccddeeff00112233"}, "color is longer than 16 characters", "color"),
    ({"color": "#aabbccddeeff001"}, "color must be #rrggbb (six hexadecimal digits), not '#aabbccddeeff001'", "color"),
    ({"semantic": "won"}, SEMANTICS, "semantic"),
    ({"semantic": None}, SEMANTICS, "semantic"),
])
def test_a_stage_with_a_bad_colour_or_semantic_is_refused_and_nothing_written(admin_user, pipeline, data, message,
                                                                               field):
    before = Stage.objects.count()
    err = refusal(lambda: stage_create(pipeline=pipeline, actor=admin_user, data={"name": "Briefing", **data}))
    assert (err.code, err.message, err.field) == (ErrorCode.VALIDATION, message, field)
    assert Stage.objects.count() == before
    assert not AuditLog.objects.filter(action="stage_created").exists()


@pytest.mark.parametrize(("data", "message", "field"), [
    ({"semantic": "won"}, SEMANTICS, "semantic"),
    ({"color": 7}, "color must be a string", "color"),
    ({"sort": True}, "sort must be an integer", "sort"),
])
def test_a_stage_update_with_a_bad_semantic_colour_or_sort_is_refused(admin_user, pipeline, data, message, field):
    stage = pipeline.stages.get(code="NEW")
    err = refusal(lambda: stage_update(stage=stage, actor=admin_user, data=data))
    assert (err.code, err.message, err.field) == (ErrorCode.VALIDATION, message, field)
    stored = Stage.objects.get(pk=stage.pk)
    assert (stored.semantic, stored.color, stored.sort) == ("process", "#39A8EF", 10)


def test_a_lead_status_with_an_unknown_semantic_is_refused(admin_user):
    err = refusal(lambda: lead_status_create(actor=admin_user, data={"code": "WAITING", "name": "Waiting",
                                                                     "semantic": "maybe"}))
    assert (err.code, err.message, err.field) == (ErrorCode.VALIDATION, SEMANTICS, "semantic")


def test_a_stage_code_used_in_another_pipeline_is_free_in_this_one(admin_user):
    other = pipeline_create(actor=admin_user, name="Service", default_stages=False)
    assert Stage.objects.filter(code="NEW").exists()  # the default pipeline's first stage
    stage = stage_create(pipeline=other, actor=admin_user, data={"code": "new", "name": "New request"})
    stored = Stage.objects.get(pk=stage.pk)
    assert (stored.pipeline_id, stored.code, stored.name) == (other.pk, "NEW", "New request")


# --- the stage order a pipeline keeps --------------------------------------------------------------


def test_the_last_in_progress_stage_cannot_become_a_failure(admin_user, bare_pipeline):
    open_stage = bare_pipeline.stages.get(code="OPEN")
    err = refusal(lambda: stage_update(stage=open_stage, actor=admin_user, data={"semantic": "failure"}))
    assert (err.code, err.message, err.field) == (
        ErrorCode.CONFLICT, "a pipeline needs at least one in-progress stage", None)
    assert Stage.objects.get(pk=open_stage.pk).semantic == "process"
    assert not AuditLog.objects.filter(action="stage_updated").exists()


def test_the_last_won_stage_cannot_be_deleted(admin_user, bare_pipeline):
    won = bare_pipeline.stages.get(code="WON")
    err = refusal(lambda: stage_delete(stage=won, actor=admin_user))
    assert (err.code, err.message, err.field) == (ErrorCode.CONFLICT, "a pipeline needs a success (won) stage", None)
    assert Stage.objects.filter(pipeline=bare_pipeline, code="WON").exists()
    assert not AuditLog.objects.filter(action="stage_deleted").exists()


def test_the_last_won_stage_cannot_become_in_progress(admin_user, bare_pipeline):
    won = bare_pipeline.stages.get(code="WON")
    err = refusal(lambda: stage_update(stage=won, actor=admin_user, data={"semantic": "process"}))
    assert (err.code, err.message, err.field) == (ErrorCode.CONFLICT, "a pipeline needs a success (won) stage", None)
    assert Stage.objects.get(pk=won.pk).semantic == "success"


# --- custom fields: codes, flags, labels ----------------------------------------------------------


def test_a_code_with_other_characters_is_refused_quoting_it(admin_user):
    err = refusal(lambda: custom_field_create(actor=admin_user, entity_type=EntityType.DEAL, code="shop-order",
                                              type="string"))
    assert (err.code, err.message, err.field) == (
        ErrorCode.VALIDATION, "code: 'shop-order' must be UF_CRM_ followed by 1 to 40 letters, digits or _", "code")
    assert not CustomField.objects.exists()


@pytest.mark.parametrize(("given", "stored"), [
    ("1", True), (" 1 ", True), ("0", False), (" 0", False), ("y", True), ("n", False), ("True", True),
    ("false", False), (1, True), (0, False),
])
def test_a_flag_given_as_text_or_number_is_stored_as_true_or_false(given, stored):
    field = custom_field_create(entity_type=EntityType.DEAL, code="FLAGGED", type="string", multiple=given,
                                mandatory=given, show_in_list=given, show_filter=given)
    row = CustomField.objects.get(pk=field.pk)
    assert (row.multiple, row.mandatory, row.show_in_list, row.show_filter) == (stored,) * 4


def test_a_flag_changed_with_text_is_stored():
    field = custom_field_create(entity_type=EntityType.DEAL, code="FLAGGED", type="string")
    custom_field_update(field=field, data={"mandatory": "1", "show_in_list": "0"})
    row = CustomField.objects.get(pk=field.pk)
    assert (row.mandatory, row.show_in_list) == (True, False)


def test_a_label_of_exactly_255_characters_is_accepted():
    field = custom_field_create(entity_type=EntityType.DEAL, code="LONG", type="string", label_de="ä" * 255,
                                label_en="e" * 255, xml_id="x" * 255)
    row = CustomField.objects.get(pk=field.pk)
    assert (row.label_de, row.label_en, row.xml_id) == ("ä" * 255, "e" * 255, "x" * 255)


@pytest.mark.parametrize("name", ["label_de", "label_en", "xml_id"])
@pytest.mark.parametrize("text", ["Gr\x00öße", "\x00", "Size\x00"])
def test_a_label_with_a_nul_character_is_refused(admin_user, name, text):
    err = refusal(lambda: custom_field_create(actor=admin_user, entity_type=EntityType.DEAL, code="SIZE",
                                              type="string", **{name: text}))
    assert (err.code, err.message, err.field) == (
        ErrorCode.VALIDATION, f"{name} must be a text of at most 255 characters", name)
    assert not CustomField.objects.exists()


# --- custom fields: enumeration items ------------------------------------------------------------


def _items(field: CustomField) -> list[tuple]:
    return list(CustomFieldItem.objects.filter(field=field).order_by("sort", "id")
                .values_list("value", "sort", "is_default", "xml_id"))


@pytest.mark.parametrize(("items", "message"), [
    (["S", 5], "items[1] must be a text or an object with 'value'"),
    ([None], "items[0] must be a text or an object with 'value'"),
    (["S", "M", ["L"]], "items[2] must be a text or an object with 'value'"),
    (["x" * 256], "items[0]: a value of at most 255 characters is required"),
    (["S", {"value": " " * 3}], "items[1]: a value of at most 255 characters is required"),
    ([{"value": "S", "is_default": "maybe"}], "items must be true or false"),
    ([{"value": "S", "is_default": 2}], "items must be true or false"),
])
def test_bad_enumeration_items_are_refused_naming_items(admin_user, items, message):
    err = refusal(lambda: custom_field_create(actor=admin_user, entity_type=EntityType.DEAL, code="SIZE",
                                              type="enumeration", items=items))
    assert (err.code, err.message, err.field) == (ErrorCode.VALIDATION, message, "items")
    assert not CustomField.objects.exists()
    assert not CustomFieldItem.objects.exists()


def test_an_item_value_of_exactly_255_characters_is_accepted():
    field = custom_field_create(entity_type=EntityType.DEAL, code="SIZE", type="enumeration", items=["v" * 255])
    assert _items(field) == [("v" * 255, 10, False, "")]


def test_an_items_xml_id_is_cut_to_255_characters():
    field = custom_field_create(entity_type=EntityType.DEAL, code="SIZE", type="enumeration",
                                items=[{"value": "S", "xml_id": "x" * 300, "is_default": "1"}])
    assert _items(field) == [("S", 10, True, "x" * 255)]


# --- records that held a deleted item or field -----------------------------------------------------


@pytest.fixture
def hidden_size() -> CustomField:
    """An enumeration on deals that the list's filter does not offer."""
    return custom_field_create(entity_type=EntityType.DEAL, code="SIZE", type="enumeration", show_filter=False,
                               items=["S", "M"])


def test_deleting_an_item_of_a_field_not_offered_as_filter_clears_it_on_the_records(admin_user, hidden_size):
    small, medium = CustomFieldItem.objects.filter(field=hidden_size).order_by("sort")
    holder = deal_create(actor=admin_user, data={"title": "Shirt", "uf_crm_size": small.pk})
    other = deal_create(actor=admin_user, data={"title": "Coat", "uf_crm_size": medium.pk})
    custom_field_update(field=hidden_size, data={"items": [{"id": small.pk, "delete": True}]})
    assert Deal.objects.get(pk=holder.pk).uf is None
    assert Deal.objects.get(pk=other.pk).uf == {"uf_crm_size": medium.pk}
    assert _items(hidden_size) == [("M", 20, False, "")]


def _queries_to_delete_an_item(admin_user, holders: int) -> int:
    field = custom_field_create(entity_type=EntityType.DEAL, code=f"SIZE{holders}", type="enumeration",
                                items=["S", "M"])
    small = CustomFieldItem.objects.get(field=field, value="S")
    for n in range(holders):
        deal_create(actor=admin_user, data={"title": f"Shirt {n}", f"uf_crm_size{holders}": small.pk})
    with CaptureQueriesContext(connection) as queries:
        custom_field_update(field=field, data={"items": [{"id": small.pk, "delete": True}]})
    assert not Deal.objects.filter(uf__has_key=f"uf_crm_size{holders}").exists()
    return len(queries)


def test_deleting_an_item_costs_as_many_queries_for_many_holders_as_for_one(admin_user):
    assert _queries_to_delete_an_item(admin_user, 4) == _queries_to_delete_an_item(admin_user, 1)


def test_deleting_a_field_removes_its_values_from_every_record(admin_user):
    field = custom_field_create(entity_type=EntityType.DEAL, code="WEIGHT", type="integer")
    custom_field_create(entity_type=EntityType.DEAL, code="COLOUR", type="string")
    only = deal_create(actor=admin_user, data={"title": "Crate", "uf_crm_weight": 12})
    both = deal_create(actor=admin_user, data={"title": "Box", "uf_crm_weight": 3, "uf_crm_colour": "red"})
    without = deal_create(actor=admin_user, data={"title": "Bag", "uf_crm_colour": "blue"})
    custom_field_delete(field=field, actor=admin_user)
    assert Deal.objects.get(pk=only.pk).uf is None
    assert Deal.objects.get(pk=both.pk).uf == {"uf_crm_colour": "red"}
    assert Deal.objects.get(pk=without.pk).uf == {"uf_crm_colour": "blue"}
    assert not CustomField.objects.filter(code="UF_CRM_WEIGHT").exists()


# --- PostgreSQL: defining a field in a transaction that wrote records -------------------------------


@pytest.mark.postgres
def test_a_field_can_be_defined_and_deleted_right_after_records_were_written_in_the_same_transaction(admin_user):
    deal = deal_create(actor=admin_user, data={"title": "Crate"})
    field = custom_field_create(actor=admin_user, entity_type=EntityType.DEAL, code="WEIGHT", type="integer")
    deal_create(actor=admin_user, data={"title": "Box", "uf_crm_weight": 3})
    custom_field_delete(field=field, actor=admin_user)
    assert Deal.objects.get(pk=deal.pk).title == "Crate"
    assert not CustomField.objects.exists()


@pytest.mark.postgres
@pytest.mark.parametrize("step", ["create", "delete"])
def test_foreign_key_checks_stay_deferred_for_the_rest_of_the_callers_transaction(admin_user, step):
    field = custom_field_create(entity_type=EntityType.DEAL, code="SIZE", type="enumeration", items=["S"])
    if step == "delete":
        custom_field_delete(field=custom_field_create(entity_type=EntityType.DEAL, code="GONE", type="string"))
    else:
        custom_field_create(entity_type=EntityType.DEAL, code="MORE", type="string")
    # A row whose reference is put right later in the same transaction: checked at commit, not at once.
    with transaction.atomic():
        item = CustomFieldItem.objects.create(field_id=field.pk + 10_000, value="L", sort=30)
        CustomFieldItem.objects.filter(pk=item.pk).update(field_id=field.pk)
    assert _items(field) == [("S", 10, False, ""), ("L", 30, False, "")]


# --- faults these tests found (fixed) ---------------------------------------------------------------


@pytest.mark.parametrize("marker", [{"delete": True}, {"value": "XL", "delete": True}])
def test_an_item_marked_delete_without_an_id_is_refused_and_adds_no_item(marker):
    field = custom_field_create(entity_type=EntityType.DEAL, code="SIZE", type="enumeration", items=["S"])
    err = refusal(lambda: custom_field_update(field=field, data={"items": [marker]}))
    assert (err.code, err.message, err.field) == (
        ErrorCode.VALIDATION, "items[0]: delete needs the id of the item to delete", "items")
    assert _items(field) == [("S", 10, False, "")]


def test_deleting_an_item_clears_it_even_when_another_items_label_is_its_id(admin_user):
    field = custom_field_create(entity_type=EntityType.DEAL, code="SIZE", type="enumeration", items=["A", "B"])
    first, second = CustomFieldItem.objects.filter(field=field).order_by("sort")
    holder = deal_create(actor=admin_user, data={"title": "Shirt", "uf_crm_size": second.pk})
    custom_field_update(field=field, data={"items": [{"id": first.pk, "value": str(second.pk)}]})
    custom_field_update(field=field, data={"items": [{"id": second.pk, "delete": True}]})
    assert Deal.objects.get(pk=holder.pk).uf is None


def test_a_value_naming_an_items_id_stores_that_item_even_when_another_is_labelled_so(admin_user):
    field = custom_field_create(entity_type=EntityType.DEAL, code="SIZE", type="enumeration", items=["A", "B"])
    first, second = CustomFieldItem.objects.filter(field=field).order_by("sort")
    custom_field_update(field=field, data={"items": [{"id": first.pk, "value": str(second.pk)}]})
    by_id = deal_create(actor=admin_user, data={"title": "Shirt", "uf_crm_size": second.pk})
    by_label = deal_create(actor=admin_user, data={"title": "Skirt", "uf_crm_size": "B"})
    assert Deal.objects.get(pk=by_id.pk).uf == {"uf_crm_size": second.pk}
    assert Deal.objects.get(pk=by_label.pk).uf == {"uf_crm_size": second.pk}
