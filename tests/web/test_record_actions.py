"""Deleting records, bulk actions, the duplicate warning and conversion linking in the web UI
(issue 12 part B): the record services do the work, so events, timeline and cascades are the API's."""

from __future__ import annotations

import pytest

from kontor.crm import services
from kontor.crm.enums import CrmMode, EntityType, Semantic, TimelineKind
from kontor.crm.models import Activity, Communication, Company, Contact, Deal, Lead, Stage, TimelineEntry


@pytest.fixture
def events(published):
    return published(lambda event: f"{event.name}:{event.record_id}")


# --- delete --------------------------------------------------------------------------------------


def test_admin_deletes_a_deal_after_confirming(admin_client, sample, events):
    deal, activity = sample["deal"], sample["activity"]
    page = admin_client.get(f"/deals/{deal.pk}/").content.decode()
    assert f'href="/deals/{deal.pk}/delete/"' in page
    confirm = admin_client.get(f"/deals/{deal.pk}/delete/").content.decode()
    assert "Website-Relaunch" in confirm and "löschen?" in confirm
    assert Deal.objects.filter(pk=deal.pk).exists()  # asking changes nothing
    response = admin_client.post(f"/deals/{deal.pk}/delete/")
    assert response.status_code == 302 and response["Location"] == "/deals/"
    assert not Deal.objects.filter(pk=deal.pk).exists()
    assert not Activity.objects.filter(pk=activity.pk).exists()  # bound only to the deal: goes with it
    assert f"deal.deleted:{deal.pk}" in events and f"activity.deleted:{activity.pk}" in events
    assert "wurde gelöscht" in admin_client.get("/deals/?view=list").content.decode()


@pytest.mark.parametrize("kind", ["leads", "contacts", "companies"])
def test_responsible_manager_may_delete_others_get_403(kind, manager_client, manager_user, admin_user, client,
                                                       seeded):
    create = {"leads": lambda d: services.lead_create(actor=admin_user, data=d, convert_in_simple_mode=False),
              "contacts": lambda d: services.contact_create(actor=admin_user, data=d),
              "companies": lambda d: services.company_create(actor=admin_user, data=d)}[kind]
    field = {"leads": "title", "contacts": "name", "companies": "title"}[kind]
    mine = create({field: "Meins", "assigned_id": manager_user.pk, "phones": ["030 1111111"]})
    theirs = create({field: "Fremd", "assigned_id": admin_user.pk})
    assert manager_client.get(f"/{kind}/{theirs.pk}/delete/").status_code == 403
    assert manager_client.post(f"/{kind}/{theirs.pk}/delete/").status_code == 403
    assert 'data-testid="delete-record"' not in manager_client.get(f"/{kind}/{theirs.pk}/").content.decode()
    anonymous = client.post(f"/{kind}/{mine.pk}/delete/")
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]
    assert manager_client.post(f"/{kind}/{mine.pk}/delete/").status_code == 302
    model = type(mine)
    assert not model.objects.filter(pk=mine.pk).exists() and model.objects.filter(pk=theirs.pk).exists()
    assert not Communication.objects.filter(entity_id=mine.pk, value="030 1111111").exists()


def test_unknown_kind_or_record_is_404(admin_client, seeded):
    assert admin_client.get("/pipelines/1/delete/").status_code == 404
    assert admin_client.post("/deals/999999/delete/").status_code == 404


# --- bulk actions --------------------------------------------------------------------------------


def _deals(admin_user, n: int) -> list[Deal]:
    return [services.deal_create(actor=admin_user, data={"title": f"Auftrag {i}"}) for i in range(n)]


def test_list_has_selection_and_bulk_bar(admin_client, admin_user, seeded):
    deals = _deals(admin_user, 2)
    page = admin_client.get("/deals/?view=list").content.decode()
    assert 'id="bulk-form"' in page and f'name="ids" value="{deals[0].pk}" form="bulk-form"' in page
    assert "In Phase verschieben" in page and "Zuweisen an" in page


def test_bulk_move_stage_and_assign(admin_client, admin_user, manager_user, seeded, events):
    deals = _deals(admin_user, 3)
    won = Stage.objects.get(pipeline__is_default=True, code="WON")
    response = admin_client.post("/deals/bulk/", {"action": "stage", "stage_id": won.pk,
                                                  "ids": [deals[0].pk, deals[1].pk], "next": "/deals/?view=list"})
    assert response.status_code == 302 and response["Location"] == "/deals/?view=list"
    moved = Deal.objects.filter(stage=won)
    assert set(moved.values_list("pk", flat=True)) == {deals[0].pk, deals[1].pk}
    assert all(d.closed for d in moved)
    assert TimelineEntry.objects.filter(entity_type=EntityType.DEAL, kind=TimelineKind.STAGE_CHANGED).count() == 2
    assert f"deal.stage_changed:{deals[0].pk}" in events
    admin_client.post("/deals/bulk/", {"action": "assign", "assigned_id": manager_user.pk,
                                       "ids": [d.pk for d in deals]})
    assert Deal.objects.filter(assigned=manager_user).count() == 3


def test_bulk_change_is_one_transaction(admin_client, admin_user, seeded):
    deals = _deals(admin_user, 2)
    before = list(Deal.objects.order_by("id").values_list("stage_id", flat=True))
    page = admin_client.post("/deals/bulk/", {"action": "stage", "stage_id": "", "ids": [d.pk for d in deals]},
                             follow=True).content.decode()
    assert "Wählen Sie eine Phase." in page
    assert list(Deal.objects.order_by("id").values_list("stage_id", flat=True)) == before
    page = admin_client.post("/deals/bulk/", {"action": "explode", "ids": [deals[0].pk]}, follow=True)
    assert "Unbekannte Aktion: explode" in page.content.decode()
    assert admin_client.post("/deals/bulk/", {"action": "stage", "ids": ["x"]}, follow=True).status_code == 200


def test_bulk_lead_status(admin_client, admin_user, classic):
    leads = [services.lead_create(actor=admin_user, data={"title": f"L{i}"}) for i in range(2)]
    admin_client.post("/leads/bulk/", {"action": "status", "status_id": "IN_PROCESS", "ids": [x.pk for x in leads]})
    assert set(Lead.objects.values_list("status_id", flat=True)) == {"IN_PROCESS"}
    admin_client.post("/leads/bulk/", {"action": "status", "status_id": "CONVERTED", "ids": [leads[0].pk]})
    assert Lead.objects.get(pk=leads[0].pk).status_id == "IN_PROCESS"  # converting is not a bulk status


def test_bulk_delete_asks_first_and_checks_every_record(manager_client, manager_user, admin_user, seeded):
    mine = services.deal_create(actor=admin_user, data={"title": "Meins", "assigned_id": manager_user.pk})
    theirs = services.deal_create(actor=admin_user, data={"title": "Fremd", "assigned_id": admin_user.pk})
    assert manager_client.post("/deals/bulk/", {"action": "delete", "ids": [mine.pk, theirs.pk],
                                                "confirm": "1"}).status_code == 403
    assert Deal.objects.count() == 2
    confirm = manager_client.post("/deals/bulk/", {"action": "delete", "ids": [mine.pk]})
    assert confirm.status_code == 200 and "1 Datensatz löschen?" in confirm.content.decode()
    assert Deal.objects.count() == 2
    manager_client.post("/deals/bulk/", {"action": "delete", "ids": [mine.pk], "confirm": "1"})
    assert list(Deal.objects.values_list("pk", flat=True)) == [theirs.pk]


# --- duplicates ----------------------------------------------------------------------------------


def test_live_check_finds_a_phone_typed_another_way(admin_client, admin_user, seeded):
    contact = services.contact_create(actor=admin_user, data={"name": "Petra", "last_name": "Pohl",
                                                              "phones": ["+49 171 2345678"]})
    html = admin_client.get("/duplicates/contacts/", {"phones": "0171 2345678"}).content.decode()
    assert "Mögliche Dubletten" in html and "Petra Pohl" in html and f"/contacts/{contact.pk}/" in html
    assert "gleiche Telefonnummer" in html
    assert admin_client.get("/duplicates/contacts/", {"phones": "0171 9999999"}).content.decode().strip() == ""
    assert admin_client.get("/duplicates/nope/").status_code == 404


def test_create_contact_needs_create_anyway_for_a_duplicate(admin_client, admin_user, seeded):
    services.contact_create(actor=admin_user, data={"name": "Petra", "emails": ["petra@example.com"]})
    data = {"name": "Petra", "last_name": "P.", "emails": "PETRA@example.com", "assigned_id": str(admin_user.pk)}
    response = admin_client.post("/contacts/new/", data)
    assert response.status_code == 200 and Contact.objects.count() == 1
    page = response.content.decode()
    assert "Mögliche Dubletten" in page and "Trotzdem anlegen" in page and 'name="create_anyway"' in page
    response = admin_client.post("/contacts/new/", {**data, "create_anyway": "1"})
    assert response.status_code == 302 and Contact.objects.count() == 2


def test_company_title_and_lead_links(admin_client, admin_user, classic):
    company = services.company_create(actor=admin_user, data={"title": "Müller  Maschinenbau GmbH"})
    contact = services.contact_create(actor=admin_user, data={"name": "Jo", "phones": ["+49 30 5550000"]})
    page = admin_client.post("/companies/new/", {"title": "müller maschinenbau gmbh",
                                                 "assigned_id": str(admin_user.pk)}).content.decode()
    assert "gleicher Unternehmensname" in page and Company.objects.count() == 1
    html = admin_client.get("/duplicates/leads/", {"phones": "030 5550000",
                                                    "company_title": "MÜLLER Maschinenbau GmbH"}).content.decode()
    assert f'data-dup-link="contact_id" data-id="{contact.pk}"' in html
    assert f'data-dup-link="company_id" data-id="{company.pk}"' in html
    # Linking in the form fills contact_id/company_id: the lead is created with them, no new warning needed.
    response = admin_client.post("/leads/new/", {"title": "Anfrage", "phones": "030 5550000",
                                                 "contact_id": contact.pk, "company_id": company.pk,
                                                 "assigned_id": str(admin_user.pk), "currency": "EUR",
                                                 "create_anyway": "1"})
    assert response.status_code == 302
    lead = Lead.objects.get(title="Anfrage")
    assert (lead.contact_id, lead.company_id) == (contact.pk, company.pk)


# --- conversion linking existing records ---------------------------------------------------------


def test_conversion_offers_matching_customers_and_links_a_picked_one(admin_client, admin_user, classic):
    known = services.contact_create(actor=admin_user, data={"name": "Kurt", "emails": ["kurt@example.com"]})
    other = services.company_create(actor=admin_user, data={"title": "Andere AG"})
    lead = services.lead_create(actor=admin_user, data={"title": "Kurt fragt", "name": "Kurt",
                                                        "emails": ["Kurt@Example.com"], "company_title": "Neu GmbH"})
    page = admin_client.get(f"/leads/{lead.pk}/convert/").content.decode()
    assert f'<option value="{known.pk}" selected>' in page and "gleiche E-Mail" in page
    assert "Ein anderes vorhandenes Unternehmen verknüpfen" in page and 'id="id_company_pick_search"' in page
    missing = admin_client.post(f"/leads/{lead.pk}/convert/", {"create_deal": "on", "contact": str(known.pk),
                                                               "company": "pick"})
    assert missing.status_code == 200 and "Suchen und wählen Sie" in missing.content.decode()
    response = admin_client.post(f"/leads/{lead.pk}/convert/", {
        "create_deal": "on", "contact": str(known.pk), "company": "pick", "company_pick": str(other.pk),
        "keep_open_activities": "on"})
    assert response.status_code == 302
    lead.refresh_from_db()
    assert (lead.contact_id, lead.company_id) == (known.pk, other.pk)
    assert Contact.objects.count() == 1 and Company.objects.count() == 1
    assert lead.deal.contact_id == known.pk and lead.status.semantic == Semantic.SUCCESS


def test_conversion_creates_new_when_asked(admin_client, admin_user, classic):
    lead = services.lead_create(actor=admin_user, data={"title": "Neu", "name": "Nina"})
    admin_client.post(f"/leads/{lead.pk}/convert/", {"create_deal": "on", "contact": "create", "company": "none"})
    lead.refresh_from_db()
    assert lead.contact is not None and lead.contact.name == "Nina" and lead.company_id is None
    assert Deal.objects.count() == 1 and CrmMode.CLASSIC
