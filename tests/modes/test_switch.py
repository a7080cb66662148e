"""The classic ↔ simple switch through ``/api/v1/crm-mode``, with the conversion job run in-process."""

from __future__ import annotations

import pytest

from kontor.crm.enums import CrmMode
from kontor.crm.models import (
    Activity,
    ActivityBinding,
    AuditLog,
    Company,
    Contact,
    CrmSettings,
    Deal,
    Lead,
    Pipeline,
    TimelineEntry,
)
from kontor.modes import jobs
from kontor.modes.jobs import switch_run

from .conftest import make_lead

SWITCH = "/api/v1/crm-mode/switch"


def start(api, **body):
    body.setdefault("mode", "simple")
    return api.post(SWITCH, body)


def leads_in_classic(api, n=4, **extra):
    """``n`` in-progress leads (every second with a company title) plus one junk and one converted."""
    leads = [make_lead(api, activities=2, title=f"L{i}", name=f"Kunde{i}", emails=[f"k{i}@x.de"],
                       company_title=f"Firma {i % 2}" if i % 2 else "", opportunity=10 * i, **extra)
             for i in range(n)]
    junk = make_lead(api, activities=1, title="Junk", name="J", status_id="JUNK")
    done = make_lead(api, title="Done", name="D")
    api.post(f"/api/v1/leads/{done['id']}/convert", {"deal": None, "contact": "create"})
    return leads, junk, done


def test_only_admins_switch(manager_api, anon_api, classic):
    assert start(manager_api).status_code == 403
    assert manager_api.get("/api/v1/crm-mode").status_code == 403
    assert anon_api.get("/api/v1/crm-mode").status_code == 401
    assert start(anon_api).status_code == 401
    assert CrmSettings.load().mode == CrmMode.CLASSIC


def test_simple_to_classic_at_once(admin_api, simple):
    r = start(admin_api, mode="classic")
    assert r.status_code == 200 and r.json()["status"] == "done" and r.json()["to_mode"] == "classic"
    state = admin_api.get("/api/v1/crm-mode").json()
    assert state["mode"] == "classic" and state["active_switch"] is None
    assert AuditLog.objects.filter(action="crm_mode_switched").count() == 1
    again = start(admin_api, mode="classic")
    assert again.status_code == 409 and again.json()["code"] == "wrong_mode"


def test_classic_to_simple_without_leads_at_once(admin_api, classic):
    make_lead(admin_api, name="J", status_id="JUNK")
    r = start(admin_api)
    assert r.status_code == 200
    assert r.json()["status"] == "done" and r.json()["total"] == 0 and r.json()["finished_at"]
    assert CrmSettings.load().mode == CrmMode.SIMPLE


def test_switch_converts_in_progress_leads(admin_api, classic):
    leads, junk, done = leads_in_classic(admin_api, 4)
    r = start(admin_api, new_pipeline_name="Aus Leads", create_contacts=True, create_companies=True,
              keep_open_activities=True)
    assert r.status_code == 202, r.content
    sw = r.json()
    assert sw["status"] == "queued" and sw["total"] == 4 and sw["converted"] == 0
    # The mode flips at once; the wizard's pipeline and company choice become the simple-mode settings.
    state = admin_api.get("/api/v1/crm-mode").json()
    assert state["mode"] == "simple" and state["active_switch"]["id"] == sw["id"]
    pipeline = Pipeline.objects.get(name="Aus Leads")
    assert state["simple_mode"]["pipeline_id"] == pipeline.pk and state["simple_mode"]["create_company"] is True
    assert pipeline.stages.count() == 8

    switch_run(sw["id"])
    final = admin_api.get(f"/api/v1/crm-mode/switches/{sw['id']}").json()
    assert final["status"] == "done" and final["converted"] == 4 and final["failed"] == 0 and final["total"] == 4
    assert admin_api.get("/api/v1/crm-mode").json()["active_switch"] is None
    for lead in leads:
        got = admin_api.get(f"/api/v1/leads/{lead['id']}").json()
        assert got["status_id"] == "CONVERTED" and got["deal_id"] and got["contact_id"]
        deal = admin_api.get(f"/api/v1/deals/{got['deal_id']}").json()
        assert deal["pipeline_id"] == pipeline.pk and deal["lead_id"] == lead["id"]
        assert deal["title"] == lead["title"] and deal["opportunity"] == lead["opportunity"]
        assert deal["contact_id"] == got["contact_id"] and deal["contact_ids"] == [got["contact_id"]]
        assert (got["company_id"] is not None) == bool(lead["company_title"])
        assert deal["company_id"] == got["company_id"]
        contact = admin_api.get(f"/api/v1/contacts/{got['contact_id']}").json()
        assert contact["name"] == lead["name"] and contact["emails"][0]["value"] == lead["emails"][0]["value"]
        acts = Activity.objects.filter(bindings__entity_type=2, bindings__entity_id=got["deal_id"])
        assert acts.count() == 2 and acts.filter(completed=False).count() == 1
        assert ActivityBinding.objects.filter(entity_type=3, entity_id=got["contact_id"]).count() == 2
        assert TimelineEntry.objects.filter(entity_type=1, entity_id=lead["id"], kind="converted").exists()
        assert TimelineEntry.objects.filter(entity_type=2, entity_id=got["deal_id"]).exists()
    # Leads 1 and 3 share the company title "Firma 1": one company.
    assert Company.objects.filter(title="Firma 1").count() == 1
    assert admin_api.get(f"/api/v1/leads/{junk['id']}").json()["status_id"] == "JUNK"
    assert Activity.objects.filter(bindings__entity_type=1, bindings__entity_id=junk["id"]).count() == 1
    assert Deal.objects.filter(lead_id=done["id"]).count() == 0
    audit = AuditLog.objects.get(action="crm_mode_switched")
    assert audit.actor_id == admin_api.user.pk
    assert audit.data["options"]["keep_open_activities"] is True and audit.data["converted"] == 4
    assert audit.data["status"] == "done"


@pytest.mark.parametrize("contacts,companies,expect_contacts,expect_companies", [
    (True, True, True, True),
    (True, False, True, False),
    (False, True, False, True),
    (False, False, True, False),  # neither: contacts anyway, as Bitrix24 does
])
def test_wizard_options(admin_api, classic, contacts, companies, expect_contacts, expect_companies):
    leads, _, _ = leads_in_classic(admin_api, 2)
    before_contacts = Contact.objects.count()
    sw = start(admin_api, create_contacts=contacts, create_companies=companies, keep_open_activities=False).json()
    switch_run(sw["id"])
    assert admin_api.get(f"/api/v1/crm-mode/switches/{sw['id']}").json()["converted"] == 2
    got = [Lead.objects.get(pk=lead["id"]) for lead in leads]
    assert all(lead.deal_id for lead in got)
    assert (Contact.objects.count() - before_contacts == 2) is expect_contacts
    assert all((lead.contact_id is not None) is expect_contacts for lead in got)
    assert (got[1].company_id is not None) is expect_companies  # lead 1 has a company title
    assert got[0].company_id is None
    # keep_open_activities false: the converted leads' activities are all completed
    deal_ids = [lead.deal_id for lead in got]
    assert not Activity.objects.filter(owner_type=2, owner_id__in=deal_ids, completed=False).exists()
    assert Activity.objects.filter(owner_type=2, owner_id__in=deal_ids).count() == 4
    assert CrmSettings.load().create_company is companies


def test_switch_into_existing_pipeline_matches_customers(admin_api, classic):
    pipeline = admin_api.post("/api/v1/pipelines", {"name": "Bestand"}).json()
    known = admin_api.post("/api/v1/contacts", {"name": "Alt", "phones": ["+49 40 1234567"]}).json()
    a = make_lead(admin_api, name="Neu", phones=["040 1234567"])
    b = make_lead(admin_api, name="Zwilling", emails=["twin@x.de"])
    c = make_lead(admin_api, name="Zwilling2", emails=["TWIN@x.de"])
    sw = start(admin_api, pipeline_id=pipeline["id"]).json()
    switch_run(sw["id"])
    la, lb, lc = (Lead.objects.get(pk=x["id"]) for x in (a, b, c))
    assert la.contact_id == known["id"]
    assert lb.contact_id == lc.contact_id  # two leads of one person make one contact
    assert Deal.objects.get(pk=la.deal_id).pipeline_id == pipeline["id"]
    # A returning customer is one with an earlier deal, as manual conversion decides (deal_create):
    # "Alt" had none, the second "Zwilling" lead finds the first one's deal.
    assert Deal.objects.get(pk=la.deal_id).is_return_customer is False
    assert Deal.objects.get(pk=lb.deal_id).is_return_customer is False
    assert Deal.objects.get(pk=lc.deal_id).is_return_customer is True
    assert CrmSettings.load().simple_pipeline_id == pipeline["id"]


def test_a_customer_with_an_earlier_deal_returns(admin_api, classic):
    known = admin_api.post("/api/v1/contacts", {"name": "Alt", "phones": ["+49 40 1234567"]}).json()
    firm = admin_api.post("/api/v1/companies", {"title": "Bestand GmbH"}).json()
    admin_api.post("/api/v1/deals", {"title": "Früher", "contact_id": known["id"]})
    admin_api.post("/api/v1/deals", {"title": "Früher", "company_id": firm["id"]})
    a = make_lead(admin_api, name="Neu", phones=["040 1234567"])
    b = make_lead(admin_api, name="Firma", emails=["neu@firma.de"], company_title="bestand gmbh")
    sw = start(admin_api).json()
    switch_run(sw["id"])
    la, lb = (Lead.objects.get(pk=x["id"]) for x in (a, b))
    assert (la.contact_id, lb.company_id) == (known["id"], firm["id"])
    assert Deal.objects.get(pk=la.deal_id).is_return_customer is True
    assert Deal.objects.get(pk=lb.deal_id).is_return_customer is True


def test_one_switch_at_a_time(admin_api, classic):
    leads_in_classic(admin_api, 2)
    sw = start(admin_api).json()
    r = start(admin_api, mode="classic")
    assert r.status_code == 409 and r.json()["code"] == "switch_in_progress"
    switch_run(sw["id"])
    assert start(admin_api, mode="classic").status_code == 200


def test_bad_switch_requests(admin_api, classic):
    leads_in_classic(admin_api, 1)
    assert start(admin_api, mode="other").status_code == 422
    assert start(admin_api, pipeline_id=999999).status_code == 422
    assert start(admin_api, pipeline_id=1, new_pipeline_name="X").status_code == 422
    assert start(admin_api, create_contacts="ja").status_code == 422
    assert CrmSettings.load().mode == CrmMode.CLASSIC
    assert admin_api.get("/api/v1/crm-mode/switches/999999").status_code == 404


def test_intake_and_new_leads_during_a_running_switch(admin_api, classic):
    leads_in_classic(admin_api, 6)
    sw = start(admin_api).json()
    inquiry = admin_api.post("/api/v1/inquiries", {"name": "Während", "emails": ["k0@x.de"]})
    assert inquiry.status_code == 201 and inquiry.json()["mode"] == "simple" and inquiry.json()["deal_id"]
    half = switch_run(sw["id"], batch_size=2, max_batches=1)
    assert half.status == "running" and half.converted == 2
    progress = admin_api.get(f"/api/v1/crm-mode/switches/{sw['id']}").json()
    assert progress["converted"] == 2 and progress["total"] == 6
    inquiry = admin_api.post("/api/v1/inquiries", {"name": "Mitte", "emails": ["mitte@x.de"]})
    assert inquiry.status_code == 201 and inquiry.json()["deal_id"]
    lead = admin_api.post("/api/v1/leads", {"title": "API", "name": "Neu"}).json()
    assert lead["status_id"] == "CONVERTED" and lead["deal_id"]
    # Manual conversion of a lead the job owns waits for the job.
    pending = Lead.objects.filter(status_id__in=["NEW", "IN_PROCESS"]).order_by("id").first()
    r = admin_api.post(f"/api/v1/leads/{pending.pk}/convert", {"deal": {}, "contact": "create"})
    assert r.status_code == 409 and r.json()["code"] == "switch_in_progress"
    final = switch_run(sw["id"], batch_size=2)
    assert final.status == "done" and final.converted == 6 and final.total == 6
    assert Lead.objects.filter(status_id__in=["NEW", "IN_PROCESS", "PROCESSED"]).count() == 0
    assert Deal.objects.filter(lead__isnull=False).values("lead_id").distinct().count() == \
        Deal.objects.filter(lead__isnull=False).count()


def test_resumed_job_converts_each_lead_once(admin_api, classic):
    leads_in_classic(admin_api, 5)
    sw = start(admin_api).json()
    for _ in range(2):
        switch_run(sw["id"], batch_size=2, max_batches=1)
    final = switch_run(sw["id"], batch_size=2)
    assert (final.converted, final.failed, final.total) == (5, 0, 5)
    assert Deal.objects.filter(lead__isnull=False).count() == 5 + 0  # the pre-converted lead made no deal
    assert TimelineEntry.objects.filter(kind="converted", data__switch_id=sw["id"]).count() == 5


def test_a_failing_lead_is_reported_and_the_rest_go_on(admin_api, classic, monkeypatch):
    leads, _, _ = leads_in_classic(admin_api, 4)
    bad = leads[1]["id"]
    original = jobs.LeadBulkConverter.convert_range

    def flaky(self, lo, hi):
        if lo < bad <= hi:
            raise RuntimeError(f"cannot convert lead {bad}")
        return original(self, lo, hi)

    monkeypatch.setattr(jobs.LeadBulkConverter, "convert_range", flaky)
    sw = start(admin_api).json()
    switch_run(sw["id"])
    final = admin_api.get(f"/api/v1/crm-mode/switches/{sw['id']}").json()
    assert final["status"] == "done" and final["converted"] == 3 and final["failed"] == 1
    assert final["errors"] == [{"lead_id": bad, "error": f"cannot convert lead {bad}"}]
    assert Lead.objects.get(pk=bad).status_id == "NEW" and Lead.objects.get(pk=bad).deal_id is None


def test_deleted_pipeline_fails_the_switch(admin_api, classic):
    leads_in_classic(admin_api, 1)
    sw = start(admin_api, new_pipeline_name="Weg").json()
    Pipeline.objects.filter(name="Weg").delete()
    switch_run(sw["id"])
    final = admin_api.get(f"/api/v1/crm-mode/switches/{sw['id']}").json()
    assert final["status"] == "failed" and final["errors"]
    assert admin_api.get("/api/v1/crm-mode").json()["active_switch"] is None
