"""CRM record services called directly: what the API, the UI and the facade all rely on."""

from __future__ import annotations

import pytest

from kontor.core.errors import ErrorCode, KontorError
from kontor.crm.enums import EntityType, TimelineKind
from kontor.crm.models import Activity, ActivityBinding, Communication, Deal, Lead, Pipeline, TimelineEntry
from kontor.crm.services import (
    activity_create,
    contact_create,
    contact_delete,
    deal_create,
    deal_move_stage,
    deal_update,
    lead_create,
    lead_update,
)

pytestmark = pytest.mark.django_db


def _timeline(entity_type, pk) -> list[str]:
    return list(TimelineEntry.objects.filter(entity_type=entity_type, entity_id=pk).order_by("id")
                .values_list("kind", flat=True))


def test_lead_create_writes_phones_emails_and_timeline(admin_user):
    lead = lead_create(actor=admin_user, convert_in_simple_mode=False,
                       data={"title": "T", "phones": ["030 1234567"], "emails": ["A@B.de"]})
    comms = Communication.objects.filter(entity_type=EntityType.LEAD, entity_id=lead.pk)
    assert sorted(comms.values_list("normalized", flat=True)) == ["+49301234567", "a@b.de"]
    assert _timeline(EntityType.LEAD, lead.pk) == [TimelineKind.CREATED]


def test_same_phone_twice_on_one_record_is_one_phone(admin_user):
    contact = contact_create(actor=admin_user, data={"name": "X", "phones": ["030 1234567", "+49 30 1234567"]})
    assert Communication.objects.filter(entity_type=EntityType.CONTACT, entity_id=contact.pk).count() == 1


def test_lead_update_status_change_is_on_the_timeline(admin_user):
    lead = lead_create(actor=admin_user, convert_in_simple_mode=False, data={"title": "T"})
    lead_update(lead=lead, actor=admin_user, data={"status_id": "IN_PROCESS", "comments": "called"})
    assert _timeline(EntityType.LEAD, lead.pk) == [TimelineKind.CREATED, TimelineKind.STATUS_CHANGED,
                                                   TimelineKind.UPDATED]


def test_lead_update_without_changes_writes_no_timeline(admin_user):
    lead = lead_create(actor=admin_user, convert_in_simple_mode=False, data={"title": "T"})
    lead_update(lead=lead, actor=admin_user, data={"title": "T"})
    assert _timeline(EntityType.LEAD, lead.pk) == [TimelineKind.CREATED]


def test_converted_lead_is_read_only(admin_user):
    lead = lead_create(actor=admin_user, convert_in_simple_mode=False, data={"title": "T"})
    Lead.objects.filter(pk=lead.pk).update(status_id="CONVERTED")
    with pytest.raises(KontorError) as err:
        lead_update(lead=lead, actor=admin_user, data={"title": "new"})
    assert err.value.code == ErrorCode.READ_ONLY


def test_deal_move_stage_to_other_pipeline_follows(admin_user):
    deal = deal_create(actor=admin_user, data={"title": "D"})
    other = Pipeline.objects.create(name="Other")
    from kontor.crm.services.pipelines import stages_create_default

    stages_create_default(pipeline=other)
    won = other.stages.get(code="WON")
    deal_move_stage(deal=deal, stage=won, actor=admin_user)
    deal.refresh_from_db()
    assert (deal.pipeline_id, deal.stage_id, deal.closed) == (other.pk, won.pk, True)
    assert deal.closed_at is not None
    assert TimelineKind.STAGE_CHANGED in _timeline(EntityType.DEAL, deal.pk)


def test_deal_contacts_primary_first(admin_user):
    a = contact_create(actor=admin_user, data={"name": "A"})
    b = contact_create(actor=admin_user, data={"name": "B"})
    deal = deal_create(actor=admin_user, data={"title": "D", "contact_ids": [a.pk, b.pk]})
    assert deal.contact_id == a.pk
    deal_update(deal=deal, actor=admin_user, data={"contact_ids": [b.pk]})
    deal.refresh_from_db()
    assert deal.contact_id == b.pk
    assert list(deal.deal_contacts.values_list("contact_id", flat=True)) == [b.pk]


def test_second_deal_of_a_customer_is_a_repeat_deal(admin_user):
    contact = contact_create(actor=admin_user, data={"name": "A"})
    first = deal_create(actor=admin_user, data={"title": "1", "contact_ids": [contact.pk]})
    second = deal_create(actor=admin_user, data={"title": "2", "contact_ids": [contact.pk]})
    assert (first.is_return_customer, second.is_return_customer) == (False, True)


def test_deleting_a_contact_keeps_shared_activities_and_unlinks_deals(admin_user):
    contact = contact_create(actor=admin_user, data={"name": "A"})
    deal = deal_create(actor=admin_user, data={"title": "D", "contact_ids": [contact.pk]})
    shared = activity_create(actor=admin_user, data={"subject": "both", "bindings": [
        {"entity": "contact", "id": contact.pk}, {"entity": "deal", "id": deal.pk}]})
    only = activity_create(actor=admin_user, data={"subject": "only", "bindings": [
        {"entity": "contact", "id": contact.pk}]})
    contact_delete(contact=contact, actor=admin_user)
    assert not Activity.objects.filter(pk=only.pk).exists()
    shared.refresh_from_db()
    assert (shared.owner_type, shared.owner_id) == (EntityType.DEAL, deal.pk)
    assert list(ActivityBinding.objects.filter(activity=shared).values_list("entity_type", flat=True)) == [
        EntityType.DEAL]
    assert Deal.objects.get(pk=deal.pk).contact_id is None


def test_activity_create_rolls_back_on_bad_binding(admin_user):
    deal = deal_create(actor=admin_user, data={"title": "D"})
    with pytest.raises(KontorError):
        activity_create(actor=admin_user, data={"subject": "x", "bindings": [
            {"entity": "deal", "id": deal.pk}, {"entity": "lead", "id": 999999}]})
    assert not Activity.objects.exists()


def test_company_title_that_grows_when_case_folded_is_stored(admin_user):
    from kontor.crm.services import company_create

    company = company_create(actor=admin_user, data={"title": "ß" * 255})
    company.refresh_from_db()
    assert company.title == "ß" * 255
    assert company.title_normalized == "s" * 255


def test_lead_company_title_that_grows_when_case_folded_is_stored(admin_user):
    lead = lead_create(actor=admin_user, convert_in_simple_mode=False, data={"company_title": "ß" * 255})
    assert Lead.objects.get(pk=lead.pk).company_title == "ß" * 255
