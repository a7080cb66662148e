"""Manual conversion ``POST /api/v1/leads/{id}/convert`` and simple-mode lead auto-conversion."""

from __future__ import annotations

from kontor.crm.enums import CrmMode
from kontor.crm.models import Activity, ActivityBinding, Company, Contact, Deal, TimelineEntry

from .conftest import make_lead, set_mode


def convert(api, lead_id, **body):
    return api.post(f"/api/v1/leads/{lead_id}/convert", body)


def test_convert_into_deal_contact_and_company(admin_api, classic):
    lead = make_lead(admin_api, activities=2, title="Anfrage Dach", name="Eva", last_name="Roth",
                     company_title="Roth KG", phones=["030 5555555"], opportunity=500, source="WEB",
                     comments="ruft zurück")
    r = convert(admin_api, lead["id"], deal={"pipeline_id": None, "stage_id": None}, contact="create",
                company="create", keep_open_activities=True)
    assert r.status_code == 200, r.content
    out = r.json()
    assert out["status_id"] == "CONVERTED" and out["converted_at"]
    deal = admin_api.get(f"/api/v1/deals/{out['deal_id']}").json()
    assert deal["title"] == "Anfrage Dach" and deal["opportunity"] == "500.00" and deal["source"] == "WEB"
    assert deal["comments"] == "ruft zurück" and deal["lead_id"] == lead["id"]
    assert deal["contact_id"] == out["contact_id"] and deal["company_id"] == out["company_id"]
    contact = admin_api.get(f"/api/v1/contacts/{out['contact_id']}").json()
    assert contact["last_name"] == "Roth" and contact["phones"][0]["normalized"] == "+49305555555"
    assert contact["company_id"] == out["company_id"]
    assert Company.objects.get(pk=out["company_id"]).title == "Roth KG"
    acts = admin_api.get("/api/v1/activities", entity="deal", entity_id=out["deal_id"]).json()["items"]
    assert len(acts) == 2 and sorted(a["completed"] for a in acts) == [False, True]
    assert ActivityBinding.objects.filter(entity_type=3, entity_id=out["contact_id"]).count() == 2
    assert TimelineEntry.objects.filter(entity_type=1, entity_id=lead["id"], kind="converted").exists()


def test_convert_completes_open_activities_when_asked(admin_api, classic):
    lead = make_lead(admin_api, activities=3, open_activities=2, name="Kai")
    r = convert(admin_api, lead["id"], deal={}, contact="create", company="none", keep_open_activities=False)
    assert r.status_code == 200, r.content
    assert Activity.objects.filter(completed=False).count() == 0
    assert Activity.objects.filter(owner_type=2, owner_id=r.json()["deal_id"]).count() == 3


def test_convert_to_existing_contact_and_company_without_deal(admin_api, classic):
    contact = admin_api.post("/api/v1/contacts", {"name": "Ute"}).json()
    company = admin_api.post("/api/v1/companies", {"title": "Ute AG"}).json()
    lead = make_lead(admin_api, name="Ute")
    r = convert(admin_api, lead["id"], deal=None, contact={"id": contact["id"]}, company={"id": company["id"]})
    assert r.status_code == 200, r.content
    out = r.json()
    assert out["deal_id"] is None and out["contact_id"] == contact["id"] and out["company_id"] == company["id"]
    assert Contact.objects.count() == 1 and Deal.objects.count() == 0


def test_convert_to_a_chosen_stage(admin_api, classic):
    pipeline = admin_api.post("/api/v1/pipelines", {"name": "Projekte"}).json()
    stage = Deal._meta.get_field("stage").related_model.objects.filter(pipeline_id=pipeline["id"]).order_by("sort")[2]
    lead = make_lead(admin_api, name="Tom")
    r = convert(admin_api, lead["id"], deal={"stage_id": stage.pk}, contact="none")
    assert r.status_code == 200, r.content
    deal = admin_api.get(f"/api/v1/deals/{r.json()['deal_id']}").json()
    assert deal["stage_id"] == stage.pk and deal["pipeline_id"] == pipeline["id"]


def test_converted_lead_is_read_only_and_not_converted_twice(admin_api, classic):
    lead = make_lead(admin_api, name="Ida")
    assert convert(admin_api, lead["id"], deal={}, contact="create").status_code == 200
    again = convert(admin_api, lead["id"], deal={}, contact="create")
    assert again.status_code == 409 and again.json()["code"] == "already_converted"
    patch = admin_api.patch(f"/api/v1/leads/{lead['id']}", {"title": "neu"})
    assert patch.status_code == 409 and patch.json()["code"] == "read_only"
    assert Deal.objects.count() == 1


def test_junk_lead_cannot_be_converted(admin_api, classic):
    lead = make_lead(admin_api, name="Spam", status_id="JUNK")
    r = convert(admin_api, lead["id"], deal={}, contact="create")
    assert r.status_code == 409 and r.json()["code"] == "conflict"
    assert Deal.objects.count() == 0


def test_bad_conversion_requests(admin_api, classic):
    lead = make_lead(admin_api, name="Q")
    assert convert(admin_api, lead["id"], deal=None, contact="none", company="none").status_code == 422
    assert convert(admin_api, lead["id"], deal={}, contact={"id": 999999}).status_code == 422
    assert convert(admin_api, lead["id"], deal={}, contact="maybe").status_code == 422
    assert convert(admin_api, lead["id"], deal={"stage_id": 999999}).status_code == 422
    assert convert(admin_api, 999999, deal={}).status_code == 404
    assert Deal.objects.count() == 0 and Contact.objects.count() == 0


def test_lead_created_in_simple_mode_is_converted_at_once(admin_api, db):
    set_mode(CrmMode.SIMPLE, create_company=True)
    existing = admin_api.post("/api/v1/contacts", {"name": "Old", "emails": ["old@x.de"]}).json()
    r = admin_api.post("/api/v1/leads", {"title": "API lead", "name": "Old", "emails": ["OLD@x.de"],
                                         "company_title": "Firma X"})
    assert r.status_code == 201, r.content
    lead = r.json()
    assert lead["status_id"] == "CONVERTED"
    assert lead["contact_id"] == existing["id"]
    assert lead["deal_id"] and lead["company_id"]
    deal = admin_api.get(f"/api/v1/deals/{lead['deal_id']}").json()
    assert deal["lead_id"] == lead["id"] and deal["company_id"] == lead["company_id"]
    r = admin_api.post("/api/v1/leads", {"title": "Neu ohne Namen"})
    lead = r.json()
    assert lead["status_id"] == "CONVERTED"
    assert admin_api.get(f"/api/v1/contacts/{lead['contact_id']}").json()["name"] == "Neu ohne Namen"
    assert lead["company_id"] is None


def test_lead_created_in_classic_mode_stays_a_lead(admin_api, classic):
    lead = make_lead(admin_api, name="Z")
    assert lead["status_id"] == "NEW" and lead["deal_id"] is None


def test_convert_needs_credentials(anon_api, manager_api, classic):
    lead = make_lead(manager_api, name="M")
    assert anon_api.post(f"/api/v1/leads/{lead['id']}/convert", {}).status_code == 401
    assert convert(manager_api, lead["id"], deal={}, contact="create").status_code == 200
