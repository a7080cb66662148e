"""batch, timeline, stage history, link and activity methods: behaviour the surviving mutants of
``kontor.bitrix.methods`` showed untested (docs/mutation.md)."""

from __future__ import annotations

import pytest

from kontor.crm.enums import EntityType, TimelineKind
from kontor.crm.models import Pipeline, TimelineEntry

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


def test_stage_history_marks_a_move_to_another_pipeline(bx, classic_mode, admin_user, service_category):
    category = service_category
    deal = bx.ok("crm.deal.add", {"fields": {"TITLE": "D"}})
    bx.ok("crm.item.update", {"entityTypeId": 2, "id": deal, "fields": {"categoryId": category,
                                                                        "stageId": f"C{category}:START"}})
    rows = bx.ok("crm.stagehistory.list", {"entityTypeId": 2, "filter": {"OWNER_ID": deal},
                                           "order": {"ID": "ASC"}})["items"]
    assert [r["TYPE_ID"] for r in rows] == [1, 5]
    assert (rows[1]["STAGE_ID"], rows[1]["CATEGORY_ID"]) == (f"C{category}:START", category)
    # the deal was created in the general pipeline (category 0), at its first stage
    assert (rows[0]["STAGE_ID"], rows[0]["CATEGORY_ID"], rows[0]["STAGE_SEMANTIC_ID"]) == ("NEW", 0, "P")


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


def test_a_batch_without_a_command_list_says_what_it_needs(bx):
    response = bx.post("batch", {"cmd": "crm.lead.list"})
    assert _error(response) == "Parameter 'cmd' must be a non-empty array of commands."
    assert response.json()["error"] == "ERROR_BATCH_EMPTY"


# --- crm.product.*, crm.item.productrow.* ----------------------------------------------------------


def test_products_filter_by_price_and_currency_and_show_their_change_time(bx):
    cheap = bx.ok("crm.product.add", {"fields": {"NAME": "Pen", "PRICE": "2.50", "CURRENCY_ID": "EUR"}})
    dear = bx.ok("crm.product.add", {"fields": {"NAME": "Desk", "PRICE": "420", "CURRENCY_ID": "USD"}})

    def ids(flt):
        return [int(p["ID"]) for p in bx.ok("crm.product.list", {"filter": flt, "order": {"ID": "ASC"}})]

    assert ids({">PRICE": 10}) == [dear] and ids({"<=PRICE": "2.5"}) == [cheap]
    assert ids({"CURRENCY_ID": "USD"}) == [dear]
    got = bx.ok("crm.product.get", {"id": cheap})
    assert got["TIMESTAMP_X"].startswith(got["DATE_CREATE"][:10])
    fields = bx.ok("crm.product.fields")
    assert fields["VAT_INCLUDED"]["type"] == "char" and fields["XML_ID"]["title"] == "External code"


@pytest.mark.parametrize("owner_id", [0, -3, "x", None])
def test_product_rows_of_no_owner_name_the_owner_id(bx, owner_id):
    response = bx.post("crm.item.productrow.list", {"filter": {"=ownerType": "D", "=ownerId": owner_id}})
    assert "ownerId is not defined or invalid." in _error(response)


# --- crm.item.update moving a deal to another pipeline -------------------------------------------


def test_moving_a_deal_to_another_pipeline_needs_the_right_to_edit_it(bx, classic_mode, admin_user,
                                                                    service_category, role_client):
    from kontor.crm.models import Deal

    category = service_category
    deal = bx.ok("crm.deal.add", {"fields": {"TITLE": "D"}})
    start = Deal.objects.get(pk=deal).pipeline_id

    _, reader = role_client({"read": "all", "add": "all", "edit": "none", "delete": "none",
                                          "export": "all"}, username="reader")
    denied = reader.post("crm.item.update", {
        "entityTypeId": 2, "id": deal, "fields": {"categoryId": category}})
    assert _error(denied) == "Access denied."
    assert Deal.objects.get(pk=deal).pipeline_id == start

    bx.ok("crm.item.update", {"entityTypeId": 2, "id": deal, "fields": {"categoryId": category}})
    assert Deal.objects.get(pk=deal).pipeline_id == Pipeline.objects.get(name="Service").pk
    moved = TimelineEntry.objects.get(entity_type=EntityType.DEAL, entity_id=deal, kind=TimelineKind.STAGE_CHANGED)
    assert moved.actor_id == admin_user.pk


def test_product_rows_read_with_their_owner_type_and_take_an_empty_sort(bx, classic_mode):
    deal = bx.ok("crm.deal.add", {"fields": {"TITLE": "D"}})
    assert bx.ok("crm.deal.productrows.set", {"id": deal, "rows": [
        {"PRODUCT_NAME": "Seat", "PRICE": 30, "QUANTITY": 2, "SORT": ""}]}) is True
    row = bx.ok("crm.deal.productrows.get", {"id": deal})[0]
    assert (row["PRODUCT_NAME"], row["OWNER_TYPE"], row["OWNER_ID"], row["TYPE"]) == ("Seat", "D", str(deal), 1)


# --- user fields, directories, crm.item fm --------------------------------------------------------


def test_a_crm_link_user_field_takes_bitrix24_settings_and_shows_them(bx):
    field = bx.ok("crm.deal.userfield.add", {"fields": {
        "FIELD_NAME": "PARTNER", "USER_TYPE_ID": "crm", "SETTINGS": {"LEAD": "N", "COMPANY": "Y"},
        "HELP_MESSAGE": {"de": "", "en": ""}}})
    assert bx.ok("crm.deal.userfield.get", {"id": field})["SETTINGS"] == {"entity": "company"}
    refused = bx.post("crm.deal.userfield.add", {"fields": {
        "FIELD_NAME": "OTHER", "USER_TYPE_ID": "string", "HELP_MESSAGE": {"en": "Type the order number"}}})
    assert _error(refused) == "Field 'HELP_MESSAGE' is not supported by Kontor (only '')."


def test_deal_categories_are_never_locked(bx):
    category = bx.ok("crm.dealcategory.add", {"fields": {"NAME": "Retail"}})
    assert bx.ok("crm.dealcategory.get", {"id": category})["IS_LOCKED"] == "N"
    assert {c["IS_LOCKED"] for c in bx.ok("crm.dealcategory.list")} == {"N"}


def test_sources_of_equal_sort_are_listed_by_code(bx):
    from kontor.crm.models import Source

    Source.objects.create(code="ZETA", name="Zeta", sort=1)
    Source.objects.create(code="ALPHA", name="Alpha", sort=1)
    codes = [s["STATUS_ID"] for s in bx.ok("crm.status.list", {"filter": {"ENTITY_ID": "SOURCE"}})]
    assert codes[:2] == ["ALPHA", "ZETA"]


def test_crm_item_fm_accepts_the_upper_case_type_key(bx, classic_mode):
    item = bx.ok("crm.item.add", {"entityTypeId": 3, "fields": {"name": "Erika", "fm": [
        {"TYPE_ID": "PHONE", "valueType": "WORK", "value": "030 1234567"}]}})["item"]
    phones = bx.ok("crm.contact.get", {"id": item["id"]})["PHONE"]
    assert [p["VALUE"] for p in phones] == ["030 1234567"]


def test_the_built_in_stages_are_marked_system(bx):
    stages = {s["STATUS_ID"]: s["SYSTEM"] for s in bx.ok("crm.status.list", {"filter": {"ENTITY_ID": "DEAL_STAGE"}})}
    assert (stages["NEW"], stages["WON"], stages["LOSE"], stages["PREPARATION"]) == ("Y", "Y", "Y", "N")


# --- users -------------------------------------------------------------------------------------


def test_user_current_answers_every_field_bitrix24_clients_read(bx, admin_user, manager_user):
    from kontor.bitrix.mapping import dt

    admin_user.email = "ada@example.org"
    admin_user.save(update_fields=["email"])
    me = bx.ok("user.current")
    assert me == {
        "ID": str(admin_user.pk), "XML_ID": "", "ACTIVE": True, "NAME": "Ada", "LAST_NAME": "Admin",
        "SECOND_NAME": "", "EMAIL": "ada@example.org", "LOGIN": "admin_test", "LAST_LOGIN": dt(admin_user.last_login),
        "DATE_REGISTER": dt(admin_user.date_joined), "IS_ONLINE": "N", "TIME_ZONE": "", "TIME_ZONE_OFFSET": "0",
        "PERSONAL_GENDER": "", "PERSONAL_BIRTHDAY": "", "PERSONAL_PHOTO": "", "WORK_POSITION": "",
        "UF_DEPARTMENT": [], "USER_TYPE": "employee", "ADMIN": True,
    }
    manager = next(u for u in bx.ok("user.get", {"ID": manager_user.pk}))
    assert (manager["ADMIN"], manager["ACTIVE"], manager["LOGIN"]) == (False, True, "manager_test")
    assert _error(bx.post("user.get", {"FILTER": "ID=1"})) == "Parameter 'FILTER' must be array."


def test_telephony_argument_errors_say_what_is_missing(bx):
    response = bx.post("telephony.externalcall.register", {"PHONE_NUMBER": "79001234567", "TYPE": 2})
    assert response.json()["error"] == "ERROR_ARGUMENT"
    assert _error(response) == "USER_ID or USER_PHONE_INNER should be set"
