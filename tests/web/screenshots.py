"""``make screenshots``: the README's pictures, taken with the browser setup of the tests.

Not collected by ``pytest`` (the file name does not start with ``test_``); run explicitly:
``pytest tests/web/screenshots.py``. Writes docs/screenshots/{kanban-desktop,wizard-progress,phone}.png
and, per language (de, en) and device (desktop, phone), the deal form and detail page with custom
fields and the custom fields settings pages.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from kontor.crm import services
from kontor.crm.enums import CrmMode
from kontor.crm.models import Stage

from .conftest import login, set_mode

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

COMPANIES = ["Müller Maschinenbau GmbH", "Schneider & Söhne KG", "Bäckerei Fischer", "Weber Logistik AG",
             "Hoffmann IT-Service", "Becker Architekten", "Klein Elektrotechnik", "Wolf Medien GmbH"]
PEOPLE = [("Anna", "Schmidt"), ("Jonas", "Schneider"), ("Lea", "Fischer"), ("Paul", "Weber"), ("Mia", "Hoffmann"),
          ("Felix", "Becker"), ("Emma", "Klein"), ("Lukas", "Wolf")]
DEALS = [("Website-Relaunch", 12500, "NEW"), ("Wartungsvertrag 2027", 4800, "NEW"), ("Server-Migration", 23000, "NEW"),
         ("Schulung Vertriebsteam", 3200, "PREPARATION"), ("Lagerverwaltung", 18900, "PREPARATION"),
         ("Onlineshop", 9400, "PREPAYMENT_INVOICE"), ("Bürogebäude Planung", 56000, "EXECUTING"),
         ("Netzwerk-Ausbau", 7600, "EXECUTING"), ("Imagefilm", 11000, "FINAL_INVOICE"),
         ("Telefonanlage", 2900, "WON"), ("Jahreslizenz CRM", 6000, "WON")]


def _demo(admin_user) -> None:
    contacts = []
    for (first, last), title in zip(PEOPLE, COMPANIES, strict=True):
        company = services.company_create(actor=admin_user, data={"title": title})
        contacts.append(services.contact_create(actor=admin_user, data={
            "name": first, "last_name": last, "company_id": company.pk,
            "emails": [f"{first.lower()}.{last.lower()}@example.de"], "phones": [f"+49 171 234567{len(contacts)}"]}))
    from datetime import timedelta

    from django.utils import timezone

    for i, (title, amount, code) in enumerate(DEALS):
        contact = contacts[i % len(contacts)]
        stage = Stage.objects.get(pipeline__is_default=True, code=code)
        deal = services.deal_create(actor=admin_user, data={
            "title": title, "opportunity": Decimal(amount), "stage_id": stage.pk, "contact_id": contact.pk,
            "company_id": contact.company_id,
            "currency": "USD" if title in ("Server-Migration", "Imagefilm") else "EUR"})
        if i % 3 != 2:  # the next activity on the card; some overdue
            services.activity_create(actor=admin_user, data={
                "type": "call" if i % 2 else "meeting", "subject": ("Angebot nachfassen", "Termin vor Ort")[i % 2],
                "deadline": timezone.now() + timedelta(days=(i % 4) - 1, hours=2),
                "bindings": [{"entity": "deal", "id": deal.pk}]})


def test_screenshots(new_page, admin_user):
    OUT.mkdir(parents=True, exist_ok=True)
    _demo(admin_user)
    desktop = new_page(viewport={"width": 1366, "height": 800})
    login(desktop, "admin_test", "admin-pass-123")
    desktop.goto("/deals/")
    desktop.screenshot(path=str(OUT / "kanban-desktop.png"))

    phone = new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2)
    login(phone, "admin_test", "admin-pass-123")
    phone.goto("/deals/")
    phone.screenshot(path=str(OUT / "phone.png"))

    # The wizard, stopped half-way: a switch with 1,200 leads of which 540 are converted.
    set_mode(CrmMode.CLASSIC)
    for i in range(3):
        services.lead_create(actor=admin_user, data={"title": f"Anfrage {i}", "name": "Kunde", "last_name": str(i)})
    from kontor.modes.models import ModeSwitch
    from kontor.modes.services import crm_mode_switch

    switch = crm_mode_switch(actor=admin_user, mode=CrmMode.SIMPLE)
    ModeSwitch.objects.filter(pk=switch.pk).update(status="running", total=1200, converted=540, failed=0)
    desktop.goto(f"/settings/crm-mode/switches/{switch.pk}/")
    desktop.set_viewport_size({"width": 1100, "height": 520})
    desktop.screenshot(path=str(OUT / "wizard-progress.png"))
    ModeSwitch.objects.filter(pk=switch.pk).update(status="failed")


def _custom_fields(admin_user, deal) -> None:
    from kontor.crm.enums import EntityType
    from kontor.crm.services.custom_fields import custom_field_create

    def make(code, type_, de, en, **kw):
        return custom_field_create(actor=admin_user, entity_type=EntityType.DEAL, code=code, type=type_,
                                   label_de=de, label_en=en, **kw)

    make("shop_order", "string", "Shop-Bestellung", "Shop order", mandatory=True, sort=10)
    channel = make("channel", "enumeration", "Vertriebskanal", "Sales channel", items=["Online-Shop", "Telefon",
                                                                                        "Messe"], sort=20)
    make("budget", "money", "Budget des Kunden", "Customer budget", sort=30)
    make("delivery", "date", "Liefertermine", "Delivery dates", multiple=True, sort=40)
    make("framework", "boolean", "Rahmenvertrag", "Framework agreement", sort=50)
    make("partner", "crm", "Vermittelnder Partner", "Referring partner", settings={"entity": "company"}, sort=60)
    custom_field_create(actor=admin_user, entity_type=EntityType.LEAD, code="campaign_code", type="string",
                        label_de="Kampagnencode", label_en="Campaign code")
    services.deal_update(deal=deal, actor=admin_user, data={
        "uf_crm_shop_order": "A-1001", "uf_crm_channel": channel.items.get(value="Telefon").pk,
        "uf_crm_budget": "12500.50|EUR", "uf_crm_delivery": ["2026-03-01", "2026-03-15"],
        "uf_crm_framework": True, "uf_crm_partner": deal.company_id})


@pytest.mark.parametrize("language", ["de", "en"])
def test_custom_field_screenshots(new_page, admin_user, language):
    """The deal form with custom fields and the settings page, on a desktop and a phone."""
    OUT.mkdir(parents=True, exist_ok=True)
    _demo(admin_user)
    from kontor.crm.models import Deal

    deal = Deal.objects.get(title="Website-Relaunch")
    _custom_fields(admin_user, deal)
    for device, viewport, scale in (("desktop", {"width": 1366, "height": 800}, 1),
                                    ("phone", {"width": 390, "height": 844}, 2)):
        page = new_page(viewport=viewport, device_scale_factor=scale,
                        locale="de-DE" if language == "de" else "en-US")
        login(page, "admin_test", "admin-pass-123")
        if language == "en":
            page.click(".user-menu summary")
            page.click("button[name=language][value=en]")
            page.wait_for_load_state()
        page.goto(f"/deals/{deal.pk}/edit/")
        page.locator("fieldset[data-group=custom]").scroll_into_view_if_needed()
        page.screenshot(path=str(OUT / f"deal-form-custom-fields-{language}-{device}.png"), full_page=True)
        page.goto(f"/deals/{deal.pk}/")
        page.screenshot(path=str(OUT / f"deal-detail-custom-fields-{language}-{device}.png"), full_page=True)
        page.goto("/settings/custom-fields/")
        page.screenshot(path=str(OUT / f"custom-fields-{language}-{device}.png"), full_page=True)
        page.goto("/settings/custom-fields/new/?entity=deal")
        page.select_option("#id_type", "enumeration")
        page.screenshot(path=str(OUT / f"custom-field-new-{language}-{device}.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


@pytest.mark.parametrize("language", ["de", "en"])
def test_issue12_screenshots(new_page, admin_user, language):
    """Issue 12: the kanban with per-currency sums, drop zones and card details; lists on a phone;
    open menus and a picker; the header search; an error page; dark mode."""
    OUT.mkdir(parents=True, exist_ok=True)
    _demo(admin_user)
    from kontor.crm.models import Deal

    deal = Deal.objects.get(title="Website-Relaunch")
    locale = "de-DE" if language == "de" else "en-US"
    for device, viewport, scale in (("desktop", {"width": 1366, "height": 800}, 1),
                                    ("phone", {"width": 390, "height": 844}, 2)):
        for scheme in ("light", "dark"):
            page = new_page(viewport=viewport, device_scale_factor=scale, locale=locale)
            page.emulate_media(color_scheme=scheme)
            login(page, "admin_test", "admin-pass-123")
            suffix = f"{language}-{device}" + ("-dark" if scheme == "dark" else "")
            page.goto("/deals/?view=kanban")
            page.screenshot(path=str(OUT / f"kanban-{suffix}.png"))
            assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
            if scheme == "dark" and device == "phone":
                page.goto(f"/deals/{deal.pk}/")
                page.screenshot(path=str(OUT / f"deal-detail-{suffix}.png"), full_page=True)
                continue
            if scheme == "dark":
                continue
            page.click(".user-menu > summary")
            page.screenshot(path=str(OUT / f"user-menu-{suffix}.png"))
            page.keyboard.press("Escape")
            page.goto("/deals/?view=list")
            page.screenshot(path=str(OUT / f"deal-list-{suffix}.png"), full_page=True)
            page.goto("/activities/")
            page.screenshot(path=str(OUT / f"activities-{suffix}.png"), full_page=True)
            page.goto(f"/deals/{deal.pk}/edit/")
            page.fill("#id_company_id_search", "Mü")
            page.locator("#id_company_id_results [role=option]").first.wait_for()
            page.keyboard.press("ArrowDown")
            page.locator("#id_company_id_search").scroll_into_view_if_needed()
            page.wait_for_timeout(400)  # Pico's 0.2 s colour transition of the selected option
            page.screenshot(path=str(OUT / f"picker-{suffix}.png"))
            page.goto("/search/?q=" + ("0171 2345671" if language == "de" else "Weber"))
            page.screenshot(path=str(OUT / f"search-{suffix}.png"), full_page=True)
            page.goto("/deals/999999/")
            page.screenshot(path=str(OUT / f"error-404-{suffix}.png"))
