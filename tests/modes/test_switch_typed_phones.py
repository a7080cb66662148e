"""A phone or e-mail kept as typed ("nach 17 Uhr": no number in it, so its key is empty) never
matches in the switch, as it never matches in intake: such leads get contacts of their own."""

from __future__ import annotations

from kontor.crm.enums import CrmMode
from kontor.crm.models import Contact, Lead
from kontor.modes.jobs import switch_run
from kontor.modes.selectors import switch_preview

from .conftest import set_mode


def test_leads_with_unreadable_phones_get_their_own_contacts(admin_api, classic):
    set_mode(CrmMode.SIMPLE)
    admin_api.post("/api/v1/inquiries", {"name": "Xaver", "phones": ["nach 17 Uhr"]})
    xaver = Contact.objects.get(name="Xaver")
    set_mode(CrmMode.CLASSIC)
    # in classic mode an inquiry becomes a lead; its phone is kept as typed, as Bitrix24 keeps it
    leads = [admin_api.post("/api/v1/inquiries", {"title": "Rückruf", "name": name, "phones": [phone]}).json()
             for name, phone in (("Vera", "vormittags"), ("Emil", "abends"))]

    preview = switch_preview(keep_open_activities=False)
    assert (preview["contacts_matched"], preview["contacts_new"]) == (0, 2)

    r = admin_api.post("/api/v1/crm-mode/switch", {"mode": "simple"})
    assert r.status_code == 202, r.content
    switch_run(r.json()["id"])
    vera, emil = (Lead.objects.get(pk=lead["lead_id"]).contact for lead in leads)
    assert vera.name == "Vera" and emil.name == "Emil"
    assert len({vera.pk, emil.pk, xaver.pk}) == 3
