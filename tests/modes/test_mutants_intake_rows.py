"""The rows one simple-mode inquiry writes, field by field (``kontor.modes.intake.simple_intake``
writes them with its own INSERTs, past the services' defaults): the surviving mutants of the full
``kontor.modes`` run (docs/mutation.md) left out a column or wrote ``None`` and no test noticed."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from kontor.crm.enums import CommType, EntityType, Semantic, TimelineKind
from kontor.crm.models import (
    Communication,
    Company,
    Contact,
    ContactCompany,
    CrmSettings,
    Deal,
    DealContact,
    Source,
    TimelineEntry,
)
from kontor.crm.services import stage_create
from kontor.crm.services.pipelines import pipeline_create
from kontor.notifications.models import Notification

URL = "/api/v1/inquiries"


def _fresh(moment) -> bool:
    return moment is not None and timezone.now() - timedelta(minutes=1) < moment <= timezone.now()


def test_a_new_customers_contact_and_deal_carry_source_responsible_and_dates(
        admin_api, admin_user, manager_user, simple, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):  # notifications are written after commit
        r = admin_api.post(URL, {"name": "Anna", "last_name": "Muster", "source": "WEB",
                                 "assigned_id": manager_user.pk,
                                 "phones": [{"value": "0171 1234567", "type": "MOBILE"}],
                                 "emails": [{"value": "anna@example.de", "type": "HOME"}]})
    assert r.status_code == 201, r.content
    contact = Contact.objects.get(pk=r.json()["contact_id"])
    deal = Deal.objects.get(pk=r.json()["deal_id"])
    for record in (contact, deal):
        assert (record.source_id, record.assigned_id, record.created_by_id) == ("WEB", manager_user.pk,
                                                                               admin_user.pk)
        assert _fresh(record.created_at) and _fresh(record.updated_at)
    assert deal.begindate == timezone.localdate()
    assert (deal.closed, deal.closed_at, deal.closedate) == (False, None, None)
    assert sorted(Communication.objects.filter(entity_type=EntityType.CONTACT, entity_id=contact.pk)
                  .values_list("type", "value_type")) == [(CommType.EMAIL, "HOME"), (CommType.PHONE, "MOBILE")]
    # who took it in, on the contact's timeline; the responsible manager is told about both records
    created = TimelineEntry.objects.get(entity_type=EntityType.CONTACT, entity_id=contact.pk, kind=TimelineKind.CREATED)
    assert created.actor_id == admin_user.pk
    assert sorted(Notification.objects.filter(user=manager_user).values_list("entity", "record_id")) == [
        ("contact", contact.pk), ("deal", deal.pk)]


def test_the_new_contact_is_the_companys_primary_contact(admin_api, simple):
    CrmSettings.objects.filter(pk=1).update(create_company=True)
    body = admin_api.post(URL, {"name": "Bert", "company_title": "Baum AG", "emails": ["bert@baum.de"]}).json()
    company = Company.objects.get(title="Baum AG")
    assert body["company_id"] == company.pk
    assert list(ContactCompany.objects.filter(contact_id=body["contact_id"])
                .values_list("company_id", "sort", "is_primary")) == [(company.pk, 10, True)]


def test_a_new_contact_of_a_company_with_deals_is_a_return_customer(admin_api, simple):
    CrmSettings.objects.filter(pk=1).update(create_company=True)
    first = admin_api.post(URL, {"name": "Bert", "company_title": "Baum AG", "emails": ["bert@baum.de"]}).json()
    second = admin_api.post(URL, {"name": "Clara", "company_title": "Baum AG", "emails": ["clara@baum.de"]}).json()
    assert second["company_id"] == first["company_id"] and second["contact_matched"] is False
    assert Deal.objects.get(pk=first["deal_id"]).is_return_customer is False
    assert Deal.objects.get(pk=second["deal_id"]).is_return_customer is True


def test_deals_of_other_customers_make_nobody_a_return_customer(admin_api, simple):
    admin_api.post(URL, {"name": "Ohne Firma", "emails": ["ohne@example.de"]})  # a deal without company
    CrmSettings.objects.filter(pk=1).update(create_company=True)
    new = admin_api.post(URL, {"name": "Dora", "company_title": "Neu GmbH", "emails": ["dora@neu.de"]}).json()
    alone = admin_api.post(URL, {"name": "Emil", "emails": ["emil@example.de"]}).json()
    assert Deal.objects.get(pk=new["deal_id"]).is_return_customer is False
    assert Deal.objects.get(pk=alone["deal_id"]).is_return_customer is False


def test_a_pipeline_whose_only_stage_is_final_closes_the_deal_at_once(admin_api, admin_user, simple):
    done = pipeline_create(actor=admin_user, name="Nur Abschluss", default_stages=False)
    stage_create(pipeline=done, data={"code": "WON", "name": "Gewonnen", "semantic": Semantic.SUCCESS})
    CrmSettings.objects.filter(pk=1).update(simple_pipeline=done)
    r = admin_api.post(URL, {"name": "Anna", "emails": ["anna@example.de"]})
    assert r.status_code == 201, r.content
    deal = Deal.objects.get(pk=r.json()["deal_id"])
    assert deal.stage.code == "WON" and deal.closed is True
    assert _fresh(deal.closed_at) and deal.closedate == timezone.localdate()


def test_the_deal_starts_with_its_customer_as_primary_contact_and_says_where_it_started(admin_api, simple):
    body = admin_api.post(URL, {"name": "Cleo", "title": "Dachrinne", "emails": ["cleo@example.de"]}).json()
    deal = Deal.objects.get(pk=body["deal_id"])
    # the first of the deal's contacts (Bitrix24's crm.deal.contact.items.get shows SORT 10, then 20, …)
    assert list(DealContact.objects.filter(deal=deal).values_list("contact_id", "sort", "is_primary")) == [
        (body["contact_id"], 10, True)]
    created = TimelineEntry.objects.get(entity_type=EntityType.DEAL, entity_id=deal.pk, kind=TimelineKind.CREATED)
    assert created.data == {"title": "Dachrinne", "stage": deal.stage.code}


def test_an_empty_source_is_no_source(admin_api, simple):
    for empty in ("", None):
        r = admin_api.post(URL, {"name": "Dora", "source": empty, "emails": [f"dora{empty}@example.de"]})
        assert r.status_code == 201, r.content
        assert Deal.objects.get(pk=r.json()["deal_id"]).source_id is None


def test_an_unknown_source_is_refused_naming_the_known_ones(admin_api, simple):
    known = ", ".join(sorted(Source.objects.values_list("code", flat=True)))
    r = admin_api.post(URL, {"name": "Emil", "source": "fax", "emails": ["emil@example.de"]})
    assert r.status_code == 422
    assert (r.json()["field"], r.json()["detail"]) == ("source", f"source: unknown source 'fax' (one of {known})")
    assert not Deal.objects.exists() and not Contact.objects.exists()
