"""The timeline is written by a subscriber of the domain events: the same entries whichever path
(native API, Bitrix24 facade, services) made the change, committed with the change, and the web UI
shows changed fields by their labels with old → new values."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.db import transaction
from django.test import Client

from kontor.bitrix.services import webhook_create, webhook_path
from kontor.crm import services
from kontor.crm.enums import EntityType, TimelineKind
from kontor.crm.models import Company, Contact, Stage, TimelineEntry
from kontor.crm.services.custom_fields import custom_field_create

pytestmark = pytest.mark.django_db

DEAL, LEAD = EntityType.DEAL, EntityType.LEAD


@pytest.fixture
def classic(db):
    from kontor.crm.models import CrmSettings

    settings = CrmSettings.load()
    settings.mode = "classic"  # leads stay leads (simple mode converts them at once)
    settings.save()


def entries(entity_type, pk) -> list[tuple[str, dict, int | None]]:
    return list(TimelineEntry.objects.filter(entity_type=entity_type, entity_id=pk).order_by("id")
                .values_list("kind", "data", "actor_id"))


def facade(user):
    hook, raw = webhook_create(user=user, name="timeline tests")
    client, base = Client(), webhook_path(hook, raw)

    def call(method, params):
        res = client.post(base + method, data=json.dumps(params), content_type="application/json")
        assert res.status_code == 200, res.content
        return res.json()["result"]

    return call


def test_an_update_names_fields_with_labels_and_old_and_new_values(admin_user):
    deal = services.deal_create(actor=admin_user, data={"title": "Relaunch", "opportunity": Decimal("10000")})
    services.deal_update(deal=deal, actor=admin_user, data={"opportunity": "12500", "title": "Relaunch 2"})
    assert entries(DEAL, deal.pk) == [
        ("created", {"title": "Relaunch", "stage": "NEW"}, admin_user.pk),
        ("updated", {"changes": [
            {"field": "title", "label_de": "Name", "label_en": "Name", "old": "Relaunch", "new": "Relaunch 2"},
            {"field": "opportunity", "label_de": "Betrag", "label_en": "Amount", "old": "10000.00",
             "new": "12500.00", "old_currency": "EUR", "new_currency": "EUR"}]}, admin_user.pk),
    ]


def test_the_api_and_the_facade_write_the_same_entries(admin_user, admin_api):
    call = facade(admin_user)
    by_api = admin_api.post("/api/v1/deals", {"title": "Halle", "opportunity": "10000"}).json()["id"]
    by_facade = call("crm.deal.add", {"fields": {"TITLE": "Halle", "OPPORTUNITY": 10000}})
    won = Stage.objects.get(pipeline__is_default=True, code="WON")
    admin_api.patch(f"/api/v1/deals/{by_api}", {"opportunity": "12500", "comments": "Zusage per Telefon"})
    call("crm.deal.update", {"id": by_facade, "fields": {"OPPORTUNITY": 12500, "COMMENTS": "Zusage per Telefon"}})
    admin_api.patch(f"/api/v1/deals/{by_api}", {"stage_id": won.pk})
    call("crm.deal.update", {"id": by_facade, "fields": {"STAGE_ID": "WON"}})

    assert entries(DEAL, by_api) == entries(DEAL, by_facade)
    kinds = [kind for kind, _data, _actor in entries(DEAL, by_api)]
    assert kinds == ["created", "updated", "stage_changed"]  # the stage has its own entry, not "updated"
    stage = entries(DEAL, by_api)[2][1]
    assert (stage["from"], stage["to"], stage["to_name"]) == ("NEW", "WON", won.name)


def test_a_lead_status_change_and_its_other_fields(admin_user, classic):
    lead = services.lead_create(actor=admin_user, data={"title": "Anfrage", "status_id": "NEW"})
    services.lead_update(lead=lead, actor=admin_user, data={"status_id": "IN_PROCESS", "phones": ["+49 30 123456"]})
    assert entries(LEAD, lead.pk)[1:] == [
        ("status_changed", {"from": "NEW", "to": "IN_PROCESS", "from_name": "Unbearbeitet",
                            "to_name": "In Bearbeitung"}, admin_user.pk),
        ("updated", {"changes": [{"field": "phones", "label_de": "Telefon", "label_en": "Phone", "old": [],
                                  "new": ["+49 30 123456"]}]}, admin_user.pk),
    ]
    services.lead_update(lead=lead, actor=admin_user, data={"title": "Anfrage"})  # no change, no entry
    assert len(entries(LEAD, lead.pk)) == 3


def test_custom_fields_are_named_by_their_label(admin_user):
    custom_field_create(entity_type=EntityType.DEAL, code="UF_CRM_SHOP", type="string", label_de="Shop-Bestellung",
                        label_en="Shop order")
    deal = services.deal_create(actor=admin_user, data={"title": "Shop"})
    services.deal_update(deal=deal, actor=admin_user, data={"uf_crm_shop": "A-17"})
    assert entries(DEAL, deal.pk)[-1][1] == {"changes": [
        {"field": "uf_crm_shop", "label_de": "Shop-Bestellung", "label_en": "Shop order", "old": None,
         "new": "A-17"}]}


def test_an_entry_commits_or_rolls_back_with_its_change(admin_user):
    deal = services.deal_create(actor=admin_user, data={"title": "Bleibt"})
    with pytest.raises(RuntimeError), transaction.atomic():
        services.deal_update(deal=deal, actor=admin_user, data={"title": "Geht verloren"})
        raise RuntimeError("the caller's transaction fails")
    assert [kind for kind, _d, _a in entries(DEAL, deal.pk)] == ["created"]


def test_a_conversion_writes_converted_and_created_from_lead(admin_user, classic):
    from kontor.modes.services import lead_convert

    company = Company.objects.create(title="Bestand AG", title_normalized="bestand ag")
    lead = services.lead_create(actor=admin_user, data={"title": "Auftrag", "name": "Eva", "last_name": "Roth"})
    lead = lead_convert(lead=lead, actor=admin_user, deal={}, contact="create", company={"id": company.pk})
    contact = Contact.objects.get(lead=lead)
    assert [kind for kind, _d, _a in entries(LEAD, lead.pk)] == ["created", "converted"]
    assert entries(LEAD, lead.pk)[1][1] == {"deal_id": lead.deal_id, "contact_id": contact.pk,
                                            "company_id": company.pk}
    made_from = {"lead_id": lead.pk, "title": "Auftrag"}
    assert [k for k, _d, _a in entries(DEAL, lead.deal_id)] == ["created", "created_from_lead"]
    assert entries(EntityType.CONTACT, contact.pk) == [("created", {}, admin_user.pk),
                                                      ("created_from_lead", made_from, admin_user.pk)]
    assert entries(EntityType.COMPANY, company.pk) == []  # chosen, not made by the conversion


@pytest.mark.parametrize(("language", "line"), [
    ("de", "Betrag: 10.000,00 EUR → 12.500,00 EUR; Kommentar: — → Zusage"),
    ("en", "Amount: 10,000.00 EUR → 12,500.00 EUR; Comment: — → Zusage"),
])
def test_the_detail_page_shows_labels_and_values(admin_user, language, line):
    deal = services.deal_create(actor=admin_user, data={"title": "Halle", "opportunity": Decimal("10000")})
    services.deal_update(deal=deal, actor=admin_user, data={"opportunity": "12500", "comments": "Zusage"})
    won = Stage.objects.get(pipeline__is_default=True, code="WON")
    services.deal_move_stage(deal=deal, stage=won, actor=admin_user)
    client = Client()
    client.force_login(admin_user)
    client.post("/i18n/setlang/", {"language": language, "next": "/"})
    page = client.get(f"/deals/{deal.pk}/").content.decode()
    timeline = page.split('class="timeline"')[1].split("</ol>")[0]
    assert line in timeline
    assert f"→ {won.name}" in timeline
    assert TimelineKind.UPDATED.value not in timeline  # no column names or kinds


def test_activities_show_on_every_record_they_are_bound_to(admin_user, admin_api):
    deal = services.deal_create(actor=admin_user, data={"title": "Messe"})
    contact = services.contact_create(actor=admin_user, data={"name": "Ada"})
    created = admin_api.post("/api/v1/activities", {
        "type": "call", "subject": "Rückruf", "bindings": [{"entity": "deal", "id": deal.pk},
                                                          {"entity": "contact", "id": contact.pk}]})
    assert created.status_code == 201, created.content
    activity_id = created.json()["id"]
    for entity_type, pk in ((EntityType.DEAL, deal.pk), (EntityType.CONTACT, contact.pk)):
        added = TimelineEntry.objects.get(entity_type=entity_type, entity_id=pk, kind=TimelineKind.ACTIVITY_ADDED)
        assert added.data == {"activity_id": activity_id, "subject": "Rückruf", "type": "call"}
        assert added.actor_id == admin_user.pk
    admin_api.patch(f"/api/v1/activities/{activity_id}", {"completed": True})
    admin_api.patch(f"/api/v1/activities/{activity_id}", {"subject": "Rückruf erledigt"})  # not completed again
    done = TimelineEntry.objects.filter(kind=TimelineKind.ACTIVITY_COMPLETED).order_by("entity_type")
    assert [(e.entity_type, e.entity_id, e.data) for e in done] == [
        (EntityType.DEAL, deal.pk, {"activity_id": activity_id, "subject": "Rückruf"}),
        (EntityType.CONTACT, contact.pk, {"activity_id": activity_id, "subject": "Rückruf"}),
    ]
