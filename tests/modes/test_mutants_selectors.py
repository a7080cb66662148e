"""The CRM-mode reads (``kontor.modes.selectors``): behaviour the mutation run found untested."""

from __future__ import annotations

from kontor.crm.enums import CommType, EntityType
from kontor.crm.models import Communication, Contact, CrmSettings, Pipeline
from kontor.modes.models import ModeSwitch
from kontor.modes.selectors import switch_preview

from .conftest import make_lead


def test_preview_without_leads_in_progress_counts_nothing(admin_api, classic):
    r = admin_api.post("/api/v1/leads", {"title": "Junk", "status_id": "JUNK"})
    assert r.status_code == 201, r.content
    preview = switch_preview(keep_open_activities=False)
    assert preview == {"leads": 0, "contacts_linked": 0, "contacts_matched": 0, "contacts_new": 0,
                       "companies_linked": 0, "companies_matched": 0, "companies_new": 0, "activities_open": 0,
                       "keep_open": False, "match": True, "make_contacts": True, "make_companies": True}


def test_preview_defaults_and_contacts_when_neither_is_chosen(admin_api, classic):
    for i in range(2):
        r = admin_api.post("/api/v1/leads", {"title": f"L{i}", "name": f"N{i}", "company_title": f"Firma {i}"})
        assert r.status_code == 201, r.content
    default = admin_api.get("/api/v1/crm-mode/switch-preview").json()
    assert (default["keep_open"], default["make_contacts"], default["make_companies"]) == (True, True, True)
    assert switch_preview()["keep_open"] is True
    # Neither contacts nor companies: contacts anyway, as the switch does (Bitrix24's rule).
    neither = switch_preview(create_contacts=False, create_companies=False)
    assert (neither["make_contacts"], neither["contacts_new"], neither["companies_new"]) == (True, 2, 0)
    only_companies = switch_preview(create_contacts=False)
    assert (only_companies["make_contacts"], only_companies["contacts_new"]) == (False, 0)
    assert only_companies["companies_new"] == 2


def _preview_leads(api):
    """Leads in progress that exercise every rule of the preview; ``api`` posts as an admin."""
    def post(url, body):
        r = api.post(url, body)
        assert r.status_code == 201, r.content
        return r.json()

    known = post("/api/v1/contacts", {"name": "Alt", "phones": ["+49 171 2345678"], "emails": ["alt@example.de"],
                                      "messengers": ["anna@example.de"], "websites": ["https://alt.example"]})
    bare = post("/api/v1/contacts", {"name": "Ohne"})
    firm = post("/api/v1/companies", {"title": "Müller GmbH"})
    post("/api/v1/leads", {"title": "linked", "contact_id": bare["id"], "emails": ["shared@example.de"]})
    post("/api/v1/leads", {"title": "linked company", "company_id": firm["id"], "name": "Fiona"})
    post("/api/v1/leads", {"title": "matched", "phones": ["0171 2345678"]})
    post("/api/v1/leads", {"title": "other phone", "phones": ["0171 9999999"]})
    post("/api/v1/leads", {"title": "email like a messenger", "emails": ["anna@example.de"]})
    post("/api/v1/leads", {"title": "same website", "websites": ["https://alt.example"]})
    post("/api/v1/leads", {"title": "shares with a linked lead", "emails": ["shared@example.de"]})
    post("/api/v1/leads", {"title": "new person", "emails": ["neu@example.de"]})
    post("/api/v1/leads", {"title": "same new person", "emails": ["NEU@example.de"], "websites": ["https://n.example"]})
    post("/api/v1/leads", {"title": "website twin", "websites": ["https://n.example"]})
    post("/api/v1/leads", {"title": "company", "company_title": "Neu AG"})
    post("/api/v1/leads", {"title": "company again", "company_title": "NEU  ag"})
    post("/api/v1/leads", {"title": "known company", "company_title": "müller gmbh"})
    # Unreadable phones (kept as typed by intake) have no key: they neither match nor make two leads one.
    post("/api/v1/inquiries", {"title": "junk 1", "phones": ["nach 17 Uhr"]})
    post("/api/v1/inquiries", {"title": "junk 2", "phones": ["vormittags"]})
    # A lead without phones or e-mails whose id a contact with a phone has too: ids of other records
    # are no phones of the lead.
    lead = post("/api/v1/leads", {"title": "same id as a contact"})
    twin = Contact.objects.filter(pk=lead["id"]).first() or Contact.objects.create(pk=lead["id"], name="Zwilling")
    Communication.objects.create(entity_type=EntityType.CONTACT, entity_id=twin.pk, type=CommType.PHONE,
                                 value="+49 30 4444444", normalized="+49304444444")
    # Open activities: only the one of a lead in progress counts (not the junk lead's, not the one of
    # the contact that shares that lead's id).
    junk = post("/api/v1/leads", {"title": "junk", "status_id": "JUNK"})
    for entity, pk in (("lead", lead["id"]), ("lead", junk["id"]), ("contact", twin.pk)):
        post("/api/v1/activities", {"type": "call", "subject": f"Rückruf {entity} {pk}",
                                    "bindings": [{"entity": entity, "id": pk}]})
    return known


def test_preview_counts_every_rule(admin_api, classic):
    _preview_leads(admin_api)
    assert switch_preview() == {
        "leads": 16,
        "contacts_linked": 1,  # "linked"
        "contacts_matched": 1,  # "matched" (the same phone typed another way)
        # the 15 leads without a contact, less "matched", less "same new person" (one new contact with
        # "new person"); a messenger, a website, an earlier linked lead's e-mail or a record with the
        # lead's id do not match
        "contacts_new": 13,
        "companies_linked": 1,  # "linked company"
        "companies_matched": 1,  # "known company"
        "companies_new": 1,  # "company" and "company again": one new company
        "activities_open": 1, "keep_open": True, "match": True, "make_contacts": True, "make_companies": True}


def test_preview_without_matching_counts_every_lead_new(admin_api, classic):
    _preview_leads(admin_api)
    CrmSettings.objects.filter(pk=1).update(match_existing_customers=False)
    preview = switch_preview()
    assert {k: v for k, v in preview.items() if k.startswith(("contacts", "companies"))} == {
        "contacts_linked": 1, "contacts_matched": 0, "contacts_new": 15,
        "companies_linked": 1, "companies_matched": 0, "companies_new": 3}
    assert preview["match"] is False


def test_crm_mode_without_any_pipeline_points_at_none(admin_api, simple):
    Pipeline.objects.all().delete()
    state = admin_api.get("/api/v1/crm-mode")
    assert state.status_code == 200, state.content
    assert state.json()["simple_mode"]["pipeline_id"] is None


def test_a_switch_shows_its_options_fields_made_and_start(admin_api, classic):
    make_lead(admin_api, name="Kunde", emails=["kunde@example.de"])
    r = admin_api.post("/api/v1/crm-mode/switch", {"mode": "simple", "create_contacts": True,
                                                   "keep_open_activities": True})
    assert r.status_code == 202, r.content
    made = [{"entity": "deal", "code": "UF_CRM_NOTE"}]
    switch = ModeSwitch.objects.get(pk=r.json()["id"])
    switch.options = {**switch.options, "fields_created": made}
    switch.save(update_fields=["options"])
    shown = admin_api.get(f"/api/v1/crm-mode/switches/{switch.pk}").json()
    assert shown["options"]["keep_open_activities"] is True and shown["options"]["create_contacts"] is True
    assert shown["fields_created"] == made
    assert shown["started_at"] and shown["started_at"].startswith(str(switch.started_at.year))
    assert (shown["converted"], shown["total"]) == (0, 1)
