"""Where Bitrix24 is lenient and strictness would lose data: junk phones and e-mails, display-format
dates, numbers without ``+``; and where it is strict: currencies, error texts with its field names."""

from __future__ import annotations

import pytest

from kontor.crm.models import Activity, Communication, Contact, Deal, Lead


def _error(response, status: int = 400) -> str:
    assert response.status_code == status, response.content
    return response.json()["error_description"]


# --- junk phones and e-mails are stored as typed -----------------------------------------------------


def test_web_form_lead_with_a_junk_phone_is_stored_as_typed(bx, classic_mode):
    lead_id = bx.ok("crm.lead.add", {"fields": {
        "TITLE": "Web form", "PHONE": [{"VALUE": "call me after 5pm", "VALUE_TYPE": "WORK"},
                                       {"VALUE": "+49 30 1234567", "VALUE_TYPE": "MOBILE"}],
        "EMAIL": [{"VALUE": "anna at example dot org"}]}})
    lead = bx.ok("crm.lead.get", {"id": lead_id})
    assert [p["VALUE"] for p in lead["PHONE"]] == ["call me after 5pm", "+49 30 1234567"]
    assert lead["EMAIL"][0]["VALUE"] == "anna at example dot org"
    junk = Communication.objects.get(value="call me after 5pm")
    assert junk.normalized == ""  # never a duplicate key
    # A second record with the same junk is no duplicate of the first; the real number still is.
    bx.ok("crm.contact.add", {"fields": {"NAME": "Other", "PHONE": [{"VALUE": "call me after 5pm"}]}})
    assert bx.ok("crm.duplicate.findbycomm", {"type": "PHONE", "values": ["call me after 5pm"]}) == []
    assert bx.ok("crm.duplicate.findbycomm", {"type": "PHONE", "values": ["030 1234567"]}) == {"LEAD": [lead_id]}
    for empty in ("", " "):  # an empty search key never finds the values stored without one
        response = bx.post("crm.contact.list", {"filter": {"PHONE": empty}})
        assert response.status_code == 400 or response.json()["result"] == []


def test_junk_values_survive_an_update_and_can_be_replaced(bx, classic_mode):
    contact_id = bx.ok("crm.contact.add", {"fields": {"NAME": "A", "EMAIL": [{"VALUE": "a@@b"}]}})
    bx.ok("crm.contact.update", {"id": contact_id, "fields": {"NAME": "B", "PHONE": [{"VALUE": "ask reception"}]}})
    contact = bx.ok("crm.contact.get", {"id": contact_id})
    assert contact["EMAIL"][0]["VALUE"] == "a@@b" and contact["PHONE"][0]["VALUE"] == "ask reception"
    row = contact["EMAIL"][0]["ID"]
    bx.ok("crm.contact.update", {"id": contact_id, "fields": {"EMAIL": [{"ID": row, "VALUE": "a@b.de"}]}})
    assert Communication.objects.get(pk=row).normalized == "a@b.de"


def test_native_api_stays_strict(admin_api, classic_mode):
    response = admin_api.post("/api/v1/contacts", {"name": "Strict", "phones": ["call me after 5pm"]})
    assert response.status_code in (400, 422)
    assert not Contact.objects.exists()


# --- dates in the portal's display format -------------------------------------------------------------


def test_display_format_dates_everywhere(bx, classic_mode):
    deal_id = bx.ok("crm.deal.add", {"fields": {"TITLE": "D", "BEGINDATE": "05.12.2026",
                                                "CLOSEDATE": "31.12.2026 10:00:00"}})
    deal = Deal.objects.get(pk=deal_id)
    assert str(deal.begindate) == "2026-12-05" and str(deal.closedate) == "2026-12-31"
    activity_id = bx.ok("crm.activity.add", {"fields": {"OWNER_TYPE_ID": 2, "OWNER_ID": deal_id, "TYPE_ID": 2,
                                                        "SUBJECT": "Call", "DEADLINE": "05.12.2026 10:00:00"}})
    got = bx.ok("crm.activity.get", {"id": activity_id})
    assert got["DEADLINE"].startswith("2026-12-05T10:00:00")
    found = bx.ok("crm.activity.list", {"filter": {">=DEADLINE": "05.12.2026 09:00:00"}})
    assert [a["ID"] for a in found] == [str(activity_id)]
    Lead.objects.create(title="Old", status_id="NEW")
    assert bx.ok("crm.lead.list", {"filter": {">DATE_CREATE": "01.01.2000 00:00:00"}})
    assert bx.ok("crm.deal.list", {"filter": {"BEGINDATE": "05.12.2026"}})[0]["ID"] == str(deal_id)
    assert "DEADLINE" in _error(bx.post("crm.activity.update", {"id": activity_id,
                                                                "fields": {"DEADLINE": "32.13.2026"}}))


# --- a PBX's number without "+" -----------------------------------------------------------------------


def test_findbycomm_reads_a_number_without_plus_as_international_too(bx, classic_mode):
    contact = bx.ok("crm.contact.add", {"fields": {"NAME": "Ivan", "PHONE": [{"VALUE": "+7 900 123-45-67"}]}})
    local = bx.ok("crm.contact.add", {"fields": {"NAME": "Berlin", "PHONE": [{"VALUE": "030 1234567"}]}})
    assert bx.ok("crm.duplicate.findbycomm", {"type": "PHONE", "values": ["79001234567"]}) == {"CONTACT": [contact]}
    assert bx.ok("crm.duplicate.findbycomm", {"type": "PHONE", "values": ["4930 1234567"]}) == {"CONTACT": [local]}
    assert bx.ok("crm.duplicate.findbycomm", {"type": "PHONE", "values": ["0301234567"]}) == {"CONTACT": [local]}
    assert [c["ID"] for c in bx.ok("crm.contact.list", {"filter": {"PHONE": "79001234567"}})] == [str(contact)]


# --- strict where Bitrix24 is strict ----------------------------------------------------------------


@pytest.mark.parametrize("code", ["XYZ", "EUX", "ABC"])
def test_currency_must_be_iso_4217(bx, classic_mode, code):
    assert "CURRENCY_ID" in _error(bx.post("crm.deal.add", {"fields": {"TITLE": "D", "CURRENCY_ID": code}}))
    assert not Deal.objects.exists()
    deal = bx.ok("crm.deal.add", {"fields": {"TITLE": "D", "CURRENCY_ID": "chf"}})
    assert bx.ok("crm.deal.get", {"id": deal})["CURRENCY_ID"] == "CHF"


def test_error_texts_name_bitrix24_fields(bx, classic_mode):
    assert _error(bx.post("crm.lead.add", {"fields": {"TITLE": "x", "ASSIGNED_BY_ID": 999}})).startswith(
        "ASSIGNED_BY_ID:")
    deal = bx.ok("crm.deal.add", {"fields": {"TITLE": "D"}})
    text = _error(bx.post("crm.activity.add", {"fields": {"OWNER_TYPE_ID": 2, "OWNER_ID": deal, "SUBJECT": "s",
                                                          "RESPONSIBLE_ID": 999}}))
    assert text.startswith("RESPONSIBLE_ID") and "responsible_id" not in text
    assert not Activity.objects.exists()


def test_an_unencoded_plus_in_an_offset_is_read_as_plus(bx, classic_mode):
    """bitrix24-rest puts values into the query unencoded: "+01:00" arrives as " 01:00"."""
    deal = bx.ok("crm.deal.add", {"fields": {"TITLE": "D"}})
    response = bx.get("crm.activity.add", f"fields[OWNER_TYPE_ID]=2&fields[OWNER_ID]={deal}&fields[SUBJECT]=Call"
                                          "&fields[TYPE_ID]=2&fields[DEADLINE]=2026-12-05T10:00:00+01:00")
    assert response.status_code == 200, response.content
    assert Activity.objects.get(pk=response.json()["result"]).deadline.isoformat() == "2026-12-05T09:00:00+00:00"
