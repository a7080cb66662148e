"""Inquiry intake, conversion and simple-mode settings: behaviour the mutation run of
``kontor.modes.services`` found untested."""

from __future__ import annotations

from kontor.crm.models import Contact

URL = "/api/v1/inquiries"


def test_a_contact_without_a_name_is_named_after_the_inquiry_title(admin_api, simple):
    r = admin_api.post(URL, {"title": "Rückruf Dach", "company_title": "Dach AG", "emails": ["dach@example.de"]})
    assert r.status_code == 201, r.content
    assert Contact.objects.get(pk=r.json()["contact_id"]).name == "Rückruf Dach"


def test_without_a_title_the_company_then_the_phone_names_the_contact(admin_api, simple):
    by_company = admin_api.post(URL, {"company_title": "Dach AG", "emails": ["dach@example.de"]}).json()
    assert Contact.objects.get(pk=by_company["contact_id"]).name == "Dach AG"
    by_phone = admin_api.post(URL, {"phones": ["+49 30 555"], "emails": ["x@example.de"]}).json()
    assert Contact.objects.get(pk=by_phone["contact_id"]).name == "+49 30 555"
    with_last_name = admin_api.post(URL, {"title": "T", "last_name": "Muster"}).json()
    assert Contact.objects.get(pk=with_last_name["contact_id"]).name == ""
