"""The CRM-mode reads (``kontor.modes.selectors``): behaviour the mutation run found untested."""

from __future__ import annotations

from kontor.modes.selectors import switch_preview


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
