"""Converting one lead by hand: the status it ends in, where its activities go and the deal fields it
makes — behaviour the surviving mutants of ``success_status``, ``_move_activities`` and
``create_missing_target_fields`` showed untested (docs/mutation.md)."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.utils import timezone

from kontor.core.errors import ErrorCode, KontorError
from kontor.crm.enums import EntityType, Semantic
from kontor.crm.models import Activity, ActivityBinding, Contact, CustomField, Deal, Lead, LeadStatus
from kontor.crm.services import activity_create, contact_create, lead_create
from kontor.crm.services.custom_fields import custom_field_create
from kontor.modes.services import lead_convert

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead(classic, admin_user) -> Lead:
    return lead_create(actor=admin_user, data={"title": "Dach", "name": "Anna"})


def _bound(activity: Activity) -> set[tuple[int, int]]:
    return set(ActivityBinding.objects.filter(activity=activity).values_list("entity_type", "entity_id"))


def test_a_converted_lead_takes_the_first_success_status_by_sort_then_code(lead, admin_user):
    converted = LeadStatus.objects.get(code="CONVERTED")
    LeadStatus.objects.create(code="AAA_SOLD", name="Sold", sort=converted.sort + 1, semantic=Semantic.SUCCESS)
    lead_convert(lead=lead, actor=admin_user, deal={})
    assert Lead.objects.get(pk=lead.pk).status_id == "CONVERTED"
    LeadStatus.objects.filter(code="AAA_SOLD").update(sort=converted.sort)  # a tie: the code decides
    second = lead_create(actor=admin_user, data={"title": "Fenster"})
    lead_convert(lead=second, actor=admin_user, deal={})
    assert Lead.objects.get(pk=second.pk).status_id == "AAA_SOLD"


def test_without_a_success_status_a_conversion_is_refused_and_makes_nothing(lead, admin_user):
    LeadStatus.objects.filter(semantic=Semantic.SUCCESS).update(semantic=Semantic.FAILURE)
    with pytest.raises(KontorError) as err:
        lead_convert(lead=lead, actor=admin_user, deal={})
    assert (err.value.code, err.value.message) == (
        ErrorCode.CONFLICT, "no converted (success) lead status is configured")
    assert (Deal.objects.count(), Contact.objects.count(), Lead.objects.get(pk=lead.pk).status_id) == (0, 0, "NEW")


def test_the_leads_activities_move_to_the_deal_and_nothing_else_does(lead, admin_user):
    # An activity of other records first, bound twice: binding and activity ids no longer coincide.
    first = contact_create(actor=admin_user, data={"name": "Erste"})
    second = contact_create(actor=admin_user, data={"name": "Zweite"})
    other = activity_create(actor=admin_user, data={"subject": "Fremd", "bindings": [
        {"entity": "contact", "id": first.pk}, {"entity": "contact", "id": second.pk}]})
    call = activity_create(actor=admin_user, data={"subject": "Rückruf",
                                                   "bindings": [{"entity": "lead", "id": lead.pk}]})
    converted = lead_convert(lead=lead, actor=admin_user, deal={}, keep_open_activities=False)
    moved = Activity.objects.get(pk=call.pk)
    assert (moved.owner_type, moved.owner_id, moved.completed) == (EntityType.DEAL, converted.deal_id, True)
    assert _bound(moved) == {(EntityType.DEAL, converted.deal_id), (EntityType.CONTACT, converted.contact_id)}
    untouched = Activity.objects.get(pk=other.pk)
    assert (untouched.owner_type, untouched.owner_id, untouched.completed) == (EntityType.CONTACT, first.pk, False)
    assert _bound(untouched) == {(EntityType.CONTACT, first.pk), (EntityType.CONTACT, second.pk)}


def test_an_activity_already_bound_to_the_chosen_contact_is_bound_once(lead, admin_user):
    anna = contact_create(actor=admin_user, data={"name": "Anna"})
    call = activity_create(actor=admin_user, data={"subject": "Rückruf", "bindings": [
        {"entity": "lead", "id": lead.pk}, {"entity": "contact", "id": anna.pk}]})
    converted = lead_convert(lead=lead, actor=admin_user, deal={}, contact={"id": anna.pk})
    assert converted.contact_id == anna.pk
    assert sorted(ActivityBinding.objects.filter(activity=call).values_list("entity_type", "entity_id")) == sorted(
        [(EntityType.DEAL, converted.deal_id), (EntityType.CONTACT, anna.pk)])


def test_the_deal_field_a_conversion_makes_copies_the_lead_fields_definition_but_is_never_mandatory(lead, admin_user):
    source = custom_field_create(
        entity_type=EntityType.LEAD, code="SIZE", type="enumeration", label_de="Größe", label_en="Size",
        multiple=True, mandatory=False, sort=42, show_in_list=False, show_filter=False,
        settings={"display": "LIST"}, xml_id="size-ext", items=[
            {"value": "Groß", "sort": 30, "xml_id": "L"}, {"value": "Klein", "sort": 15, "is_default": True}])
    CustomField.objects.filter(pk=source.pk).update(mandatory=True)  # a mandatory lead field stays optional on deals
    converted = lead_convert(lead=lead, actor=admin_user, deal={})
    made = CustomField.objects.get(entity_type=EntityType.DEAL, code="UF_CRM_SIZE")
    assert [f.pk for f in converted.fields_created] == [made.pk]
    assert (made.type, made.label_de, made.label_en, made.multiple, made.mandatory, made.sort, made.show_in_list,
            made.show_filter, made.settings, made.xml_id) == (
        "enumeration", "Größe", "Size", True, False, 42, False, False, {"display": "LIST"}, "size-ext")
    # the items in the lead field's order (by sort), each with its sort, default flag and external id
    assert list(made.items.order_by("id").values_list("value", "sort", "is_default", "xml_id")) == [
        ("Klein", 15, True, ""), ("Groß", 30, False, "L")]


def test_a_deal_field_made_from_a_plain_lead_field_has_no_items(lead, admin_user):
    custom_field_create(entity_type=EntityType.LEAD, code="NOTE", type="string", settings={"rows": 3})
    lead_convert(lead=lead, actor=admin_user, deal={})
    made = CustomField.objects.get(entity_type=EntityType.DEAL, code="UF_CRM_NOTE")
    assert (made.type, made.settings, made.items.count()) == ("string", {"rows": 3}, 0)


def test_without_a_deal_the_leads_activities_go_to_the_contact_and_stay_on_the_lead(lead, admin_user):
    call = activity_create(actor=admin_user, data={"subject": "Rückruf",
                                                   "bindings": [{"entity": "lead", "id": lead.pk}]})
    long_ago = timezone.make_aware(datetime(2020, 1, 1, 9, 0))
    Activity.objects.update(updated_at=long_ago)
    converted = lead_convert(lead=lead, actor=admin_user, deal=None)  # open activities kept open
    moved = Activity.objects.get(pk=call.pk)
    assert (moved.owner_type, moved.owner_id, moved.completed) == (EntityType.CONTACT, converted.contact_id, False)
    assert moved.updated_at > long_ago
    assert _bound(moved) == {(EntityType.LEAD, lead.pk), (EntityType.CONTACT, converted.contact_id)}


def test_moving_activities_changes_only_those_the_lead_owns_and_marks_them_changed(lead, admin_user):
    other_lead = lead_create(actor=admin_user, data={"title": "Andere"})
    # owned by the contact and by the other lead, bound to this lead too: their owners stay
    contact = contact_create(actor=admin_user, data={"name": "Erika"})
    by_contact = activity_create(actor=admin_user, data={"subject": "Kontakt", "bindings": [
        {"entity": "contact", "id": contact.pk}, {"entity": "lead", "id": lead.pk}]})
    by_other = activity_create(actor=admin_user, data={"subject": "Andere", "bindings": [
        {"entity": "lead", "id": other_lead.pk}, {"entity": "lead", "id": lead.pk}]})
    own, done = (activity_create(actor=admin_user, data={"subject": subject, "bindings": [
        {"entity": "lead", "id": lead.pk}]}) for subject in ("Eigene", "Erledigt"))
    long_ago = timezone.make_aware(datetime(2020, 1, 1, 9, 0))
    Activity.objects.update(updated_at=long_ago)
    Activity.objects.filter(pk=done.pk).update(completed=True, completed_at=long_ago)
    converted = lead_convert(lead=lead, actor=admin_user, deal={}, keep_open_activities=False)
    rows = {a.pk: a for a in Activity.objects.all()}
    assert (rows[by_contact.pk].owner_type, rows[by_contact.pk].owner_id) == (EntityType.CONTACT, contact.pk)
    assert rows[by_contact.pk].completed and rows[by_contact.pk].updated_at > long_ago  # bound to the lead: done
    assert (rows[by_other.pk].owner_type, rows[by_other.pk].owner_id) == (EntityType.LEAD, other_lead.pk)
    assert (rows[own.pk].owner_type, rows[own.pk].owner_id) == (EntityType.DEAL, converted.deal_id)
    assert rows[own.pk].updated_at > long_ago and rows[own.pk].completed_at > long_ago
    assert rows[done.pk].completed_at == long_ago  # completed before: its completion time stays


def test_a_lead_without_a_name_lends_the_first_100_characters_of_its_title_to_the_contact(classic, admin_user):
    title = "Anfrage " + "x" * 150
    untitled = lead_create(actor=admin_user, data={"title": title})
    converted = lead_convert(lead=untitled, actor=admin_user, deal=None)
    assert Contact.objects.get(pk=converted.contact_id).name == title[:100]


def test_the_conversions_lead_updated_event_is_the_converting_users(lead, admin_user, published):
    events = published(lambda e: (e.name, e.record_id, e.actor_id))
    lead_convert(lead=lead, actor=admin_user, deal={})
    assert ("lead.updated", lead.pk, admin_user.pk) in events
    assert ("lead.converted", lead.pk, admin_user.pk) in events
