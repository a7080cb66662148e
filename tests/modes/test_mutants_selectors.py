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
