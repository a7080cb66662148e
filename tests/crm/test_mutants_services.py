"""Record and settings services: behaviour the surviving mutants of ``kontor.crm.services`` showed
untested (docs/mutation.md). Each test names what a user would see go wrong."""

from __future__ import annotations

import pytest

from kontor.core.errors import ErrorCode
from kontor.crm.enums import EntityType, TimelineKind
from kontor.crm.models import (
    Activity,
    Company,
    ContactCompany,
    CustomField,
    DealContact,
    Pipeline,
    Source,
    TimelineEntry,
)
from kontor.crm.services import (
    activity_create,
    contact_create,
    contact_update,
    deal_create,
    pipeline_create,
    pipeline_update,
    stage_create,
)
from kontor.crm.services.custom_fields import custom_field_create
from kontor.crm.services.directories import directory_item_create, directory_item_update
from kontor.crm.services.sources import source_update

from .conftest import refusal

pytestmark = pytest.mark.django_db


def test_the_timeline_shows_a_changed_phone_from_old_to_new(admin_user):
    contact = contact_create(actor=admin_user, data={"name": "Erika", "phones": ["030 1234567"]})
    contact_update(contact=contact, actor=admin_user, data={"phones": ["040 7654321"]})
    entry = TimelineEntry.objects.get(entity_type=EntityType.CONTACT, entity_id=contact.pk, kind=TimelineKind.UPDATED)
    change = next(c for c in entry.data["changes"] if c["field"] == "phones")
    assert (change["old"], change["new"]) == (["030 1234567"], ["040 7654321"])


def test_pipelines_sources_and_directory_entries_can_be_re_sorted(admin_user):
    pipeline = Pipeline.objects.get(is_default=True)
    pipeline_update(pipeline=pipeline, actor=admin_user, data={"sort": 7})
    assert Pipeline.objects.get(pk=pipeline.pk).sort == 7
    source = Source.objects.order_by("code").first()
    source_update(source=source, actor=admin_user, data={"sort": 3, "name": "Web form"})
    source.refresh_from_db()
    assert (source.sort, source.name) == (3, "Web form")
    item = directory_item_create(actor=admin_user, directory="INDUSTRY", data={"code": "BAKERY", "name": "Bakery"})
    directory_item_update(item=item, actor=admin_user, data={"sort": 1})
    item.refresh_from_db()
    assert item.sort == 1


def test_enumeration_items_that_are_no_list_are_refused_naming_items(admin_user):
    err = refusal(lambda: custom_field_create(actor=admin_user, entity_type=EntityType.DEAL, code="COLOUR",
                                               type="enumeration", items="red"))
    assert (err.code, err.field, err.message) == (ErrorCode.VALIDATION, "items", "items must be a list")


def test_an_activity_deadline_may_be_written_with_a_space(admin_user):
    contact = contact_create(actor=admin_user, data={"name": "Erika"})
    activity = activity_create(actor=admin_user, data={
        "subject": "Call", "deadline": "2026-03-14 09:30", "bindings": [{"entity": "contact", "id": contact.pk}]})
    activity = Activity.objects.get(pk=activity.pk)
    assert activity.deadline is not None
    assert (activity.deadline.day, activity.deadline.minute) == (14, 30)


def test_activity_communications_name_their_field_and_may_leave_the_record_empty(admin_user):
    contact = contact_create(actor=admin_user, data={"name": "Erika"})
    binding = [{"entity": "contact", "id": contact.pk}]
    err = refusal(lambda: activity_create(actor=admin_user, data={
        "subject": "Call", "bindings": binding, "communications": ["+49301234567"]}))
    assert (err.code, err.field, err.message) == (ErrorCode.VALIDATION, "communications",
                                                  "communications[0] must be an object")
    activity = activity_create(actor=admin_user, data={"subject": "Call", "bindings": binding, "communications": [
        {"type": "PHONE", "value": "+49301234567", "entity_type": "", "entity_id": ""}]})
    assert Activity.objects.get(pk=activity.pk).communications == [
        {"type": "PHONE", "value": "+49301234567", "entity_type": None, "entity_id": None}]


def test_a_new_pipelines_default_stages_are_sorted_from_ten_in_steps_of_ten(admin_user):
    pipeline = pipeline_create(actor=admin_user, name="Projects")
    sorts = list(pipeline.stages.order_by("sort").values_list("sort", flat=True))
    assert sorts == [10 * (i + 1) for i in range(len(sorts))]
    # A stage added without a sort lands beside the first one, not before the pipeline's start.
    added = stage_create(pipeline=pipeline, actor=admin_user, data={"name": "Briefing"})
    assert added.sort == 10 == min(sorts)


def test_custom_field_codes_and_flags_as_clients_send_them(admin_user):
    err = refusal(lambda: custom_field_create(actor=admin_user, entity_type=EntityType.LEAD, code="  ",
                                               type="string"))
    assert (err.field, err.message) == ("code", "code is required (letters, digits and _; e.g. UF_CRM_SHOP_ORDER)")
    field = custom_field_create(actor=admin_user, entity_type=EntityType.LEAD, code="vip", type="boolean",
                                mandatory="y", show_in_list=" N ", show_filter="true")
    field = CustomField.objects.get(pk=field.pk)
    assert (field.code, field.mandatory, field.show_in_list, field.show_filter) == ("UF_CRM_VIP", True, False, True)


def test_a_contacts_companies_are_replaced_not_added_to(admin_user):
    a, b = (Company.objects.create(title=t) for t in ("A GmbH", "B AG"))
    contact = contact_create(actor=admin_user, data={"name": "Erika", "company_ids": [a.pk, b.pk]})
    contact_update(contact=contact, actor=admin_user, data={"company_ids": [b.pk]})
    links = ContactCompany.objects.filter(contact=contact)
    assert list(links.values_list("company_id", "is_primary")) == [(b.pk, True)]


def test_a_binding_without_a_record_id_is_refused_naming_bindings(admin_user):
    err = refusal(lambda: activity_create(actor=admin_user, data={
        "subject": "Call", "bindings": [{"entity": "contact", "id": "x"}]}))
    assert (err.code, err.field, err.message) == (ErrorCode.VALIDATION, "bindings",
                                                  "bindings[0].id must be a record id")


def test_a_phone_with_a_nul_character_is_refused_naming_phones(admin_user):
    err = refusal(lambda: contact_create(actor=admin_user, data={"name": "Erika", "phones": ["030\x00123"]}))
    assert (err.code, err.field, err.message) == (ErrorCode.VALIDATION, "phones",
                                                  "phones[0]: must not contain NUL characters")


def test_a_deals_contacts_are_numbered_ten_twenty_the_first_primary(admin_user):
    first, second = (contact_create(actor=admin_user, data={"name": n}) for n in ("Erika", "Max"))
    deal = deal_create(actor=admin_user, data={"title": "Relaunch", "contact_ids": [second.pk, first.pk]})
    rows = DealContact.objects.filter(deal=deal).order_by("sort")
    assert list(rows.values_list("contact_id", "sort", "is_primary")) == [(second.pk, 10, True), (first.pk, 20, False)]


def test_an_activitys_direction_is_kept(admin_user):
    contact = contact_create(actor=admin_user, data={"name": "Erika"})
    activity = activity_create(actor=admin_user, data={
        "subject": "Call", "type": "call", "direction": 2, "bindings": [{"entity": "contact", "id": contact.pk}]})
    assert Activity.objects.get(pk=activity.pk).direction == 2


def test_a_deal_in_a_pipeline_without_stages_is_refused_saying_so(admin_user):
    empty = pipeline_create(actor=admin_user, name="Empty", default_stages=False)
    err = refusal(lambda: deal_create(actor=admin_user, data={"title": "Relaunch", "pipeline_id": empty.pk}))
    assert (err.code, err.field, err.message) == (ErrorCode.VALIDATION, "pipeline_id",
                                                  f"pipeline {empty.pk} has no stages")
