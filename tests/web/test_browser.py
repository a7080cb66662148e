"""The web UI in a real Chromium (Playwright, sync API) against the live server.

Each test logs in, clicks through the pages as a user would and checks what the page shows and what
the database holds. The CRM-mode switch goes through the task queue: the wizard queues it and a real
``kontor db_worker`` process runs it while the page shows the progress.
"""

from __future__ import annotations

import os
import subprocess
import sys
from decimal import Decimal

import pytest

from kontor.crm import services
from kontor.crm.enums import CrmMode
from kontor.crm.models import Activity, Contact, Deal, Lead, Stage

from .conftest import login, set_mode

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ADMIN = ("admin_test", "admin-pass-123")
MANAGER = ("manager_test", "manager-pass-123")


def nav_texts(page) -> list[str]:
    return [t.strip() for t in page.locator("nav.mainnav a").all_inner_texts()]


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def test_login_and_navigation(page, admin_user):
    page.goto("/deals/")
    assert "/login/" in page.url
    page.fill("#id_username", "admin_test")
    page.fill("#id_password", "wrong")
    page.click("button[type=submit] >> nth=0")
    page.get_by_text("Der Benutzername oder das Passwort ist falsch.").wait_for()
    login(page, *ADMIN)
    assert nav_texts(page) == ["Aufträge", "Kontakte", "Unternehmen", "Aktivitäten"]
    assert page.locator("h1").inner_text() == "Aufträge"
    page.click(".user-menu summary")
    page.click("text=Abmelden")
    page.wait_for_url("**/login/")


def test_lists_details_and_edits(page, admin_user, sample):
    login(page, *ADMIN)
    deal, contact, company = sample["deal"], sample["contact"], sample["company"]

    # deal: kanban card → detail → edit
    page.click(f"[data-testid=deal-{deal.pk}] a")
    page.get_by_role("heading", name="Website-Relaunch").wait_for()
    assert "Angebot besprechen" in page.inner_text("#activities")
    page.click("text=Bearbeiten")
    page.fill("#id_title", "Website-Relaunch 2.0")
    page.fill("#id_opportunity", "15000")
    page.click("button:has-text('Speichern')")
    page.get_by_role("heading", name="Website-Relaunch 2.0").wait_for()
    deal.refresh_from_db()
    assert deal.opportunity == Decimal("15000.00")
    # the deal's activity: complete it; add another
    page.click("#activities button:has-text('Abschließen')")
    page.get_by_text("Aktivität abgeschlossen.").wait_for()
    assert Activity.objects.get(pk=sample["activity"].pk).completed
    page.click("#activities summary:has-text('Aktivität hinzufügen')")
    page.select_option("#id_type", "meeting")
    page.fill("#id_subject", "Workshop vor Ort")
    page.click("#activities form button:has-text('Aktivität hinzufügen')")
    page.locator(".activity-list strong", has_text="Workshop vor Ort").wait_for()
    # deals as a list, with search
    page.goto("/deals/?view=list&q=Relaunch")
    assert page.locator("table tbody tr").count() == 1

    # contact: list → search → detail → edit
    page.click("nav.mainnav >> text=Kontakte")
    page.fill("#f-q", "anna@mueller.example")
    page.click("button:has-text('Filtern')")
    page.click("table >> text=Anna Schmidt")
    page.get_by_role("heading", name="Anna Schmidt").wait_for()
    assert page.locator(f"a[href='/deals/{deal.pk}/']").count() >= 1
    page.click("text=Bearbeiten")
    page.fill("#id_post", "Geschäftsführerin")
    page.fill("#id_phones", "not a number")
    page.click("button:has-text('Speichern')")
    page.get_by_text("Geben Sie eine gültige Telefonnummer ein.").wait_for()
    page.fill("#id_phones", "030 7654321")
    page.click("button:has-text('Speichern')")
    page.get_by_text("Änderungen gespeichert.").wait_for()
    contact.refresh_from_db()
    assert contact.post == "Geschäftsführerin"

    # company: list → detail (linked contact and deal) → edit
    page.click("nav.mainnav >> text=Unternehmen")
    page.click("table >> text=Müller GmbH")
    page.get_by_role("heading", name="Müller GmbH").wait_for()
    assert page.locator(f"a[href='/contacts/{contact.pk}/']").count() >= 1
    page.click("a:has-text('Bearbeiten')")
    page.select_option("#id_industry", "MANUFACTURING")
    page.click("button:has-text('Speichern')")
    page.locator("dd", has_text="Produktion").wait_for()  # the directory entry's name, not its code

    # a new contact linked to the company through the picker
    page.goto("/contacts/new/")
    page.fill("#id_name", "Bernd")
    page.fill("#id_last_name", "Kraus")
    page.fill("#id_company_id_search", "Müller")
    page.click(".lookup-pick:has-text('Müller GmbH')")
    page.click("button:has-text('Speichern')")
    page.get_by_role("heading", name="Bernd Kraus").wait_for()
    assert Contact.objects.get(last_name="Kraus").company_id == company.pk

    # activities list
    page.click("nav.mainnav >> text=Aktivitäten")
    page.locator("td", has_text="Workshop vor Ort").wait_for()
    page.click("tr:has-text('Workshop vor Ort') button:has-text('Abschließen')")
    page.get_by_text("Aktivität abgeschlossen.").wait_for()
    assert Activity.objects.get(subject="Workshop vor Ort").completed


def test_lead_pages_and_conversion_in_classic_mode(page, admin_user):
    set_mode(CrmMode.CLASSIC)
    lead = services.lead_create(actor=admin_user, data={"title": "Anfrage Kaffeemaschinen", "name": "Jana",
                                                        "last_name": "Vogel", "company_title": "Vogel KG",
                                                        "phones": ["+49 89 111222"]})
    login(page, *ADMIN)
    assert nav_texts(page)[0] == "Leads"
    page.click("nav.mainnav >> text=Leads")
    # the board by status: drag the lead from "Unbearbeitet" to "In Bearbeitung"
    drag(page, f"[data-testid=lead-{lead.pk}]", "[data-testid=column-IN_PROCESS]")
    page.locator(f"[data-testid=lead-{lead.pk}][data-saved='IN_PROCESS']").wait_for()
    lead.refresh_from_db()
    assert lead.status_id == "IN_PROCESS"
    page.click(f"[data-testid=lead-{lead.pk}] a")
    page.get_by_role("heading", name="Anfrage Kaffeemaschinen").wait_for()
    page.click("a:has-text('Bearbeiten')")
    page.fill("#id_opportunity", "900")
    page.click("button:has-text('Speichern')")
    page.get_by_text("Änderungen gespeichert.").wait_for()
    page.click("a:has-text('Konvertieren')")
    page.click("button:has-text('Konvertieren')")
    page.get_by_text("Der Lead wurde konvertiert.").wait_for()
    lead.refresh_from_db()
    assert lead.deal_id and lead.contact_id
    assert f"/deals/{lead.deal_id}/" in page.url


def test_drag_deal_to_another_stage(page, admin_user, sample):
    deal = sample["deal"]
    target = Stage.objects.get(pipeline=deal.pipeline, code="EXECUTING")
    login(page, *ADMIN)
    drag(page, f"[data-testid=deal-{deal.pk}]", f"[data-testid=column-{target.pk}]")
    page.locator(f"#stats-deal-{target.pk} .count[data-count='1']").wait_for()
    page.locator(f"[data-testid=deal-{deal.pk}][data-saved='{target.pk}']").wait_for()
    deal.refresh_from_db()
    assert deal.stage_id == target.pk
    page.reload()
    assert page.locator(f"[data-testid=column-{target.pk}] [data-testid=deal-{deal.pk}]").count() == 1


def drag(page, card_selector: str, column_selector: str) -> None:
    """Drag a kanban card into a column with the mouse, in small steps (Sortable follows the pointer)."""
    box = page.locator(card_selector).bounding_box()
    dest = page.locator(column_selector).bounding_box()
    x0, y0 = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    x1, y1 = dest["x"] + 40, dest["y"] + 30
    page.mouse.move(x0, y0)
    page.mouse.down()
    for step in range(1, 11):
        page.mouse.move(x0 + (x1 - x0) * step / 10, y0 + (y1 - y0) * step / 10)
    page.mouse.up()


def _make_leads(admin_user, n: int) -> None:
    for i in range(n):
        lead = services.lead_create(actor=admin_user, data={
            "title": f"Anfrage {i}", "name": f"Kunde{i}", "last_name": "Test",
            "company_title": f"Firma {i}" if i % 2 else "", "emails": [f"kunde{i}@example.org"],
            "opportunity": 100 + i})
        services.activity_create(actor=admin_user, data={"type": "call", "subject": f"Rückruf {i}",
                                                         "bindings": [{"entity": "lead", "id": lead.pk}]})


def start_worker() -> subprocess.Popen:
    """The real background worker (``kontor db_worker --batch``) on the live server's database (the
    SQLite test database is a WAL file other processes can open): it takes the task the wizard
    queued and converts in batches of 5 with a pause, so the progress bar has steps to show."""
    from django.db import connection

    s = connection.settings_dict
    if connection.vendor == "postgresql":
        url = (f"postgresql://{s.get('USER') or ''}{':' + s['PASSWORD'] if s.get('PASSWORD') else ''}"
               f"@{s.get('HOST') or '127.0.0.1'}:{s.get('PORT') or 5432}/{s['NAME']}")
    elif connection.is_in_memory_db():
        pytest.skip("the worker process needs a database file (KONTOR_TEST_SQLITE=:memory: is set)")
    else:
        url = f"sqlite:///{s['NAME']}"
    env = {**os.environ, "DATABASE_URL": url, "KONTOR_SWITCH_BATCH_SIZE": "5", "KONTOR_SWITCH_PAUSE_SECONDS": "0.05"}
    return subprocess.Popen([sys.executable, "-m", "kontor", "db_worker", "--batch", "--no-startup-delay"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def test_wizard_classic_to_simple_with_progress(page, live, admin_user):
    from kontor.modes.models import ModeSwitch

    set_mode(CrmMode.CLASSIC)
    _make_leads(admin_user, 40)
    login(page, *ADMIN)
    page.click("nav.mainnav >> text=Leads")
    page.click(".gear summary")
    page.click("[data-testid=crm-mode-link]")
    page.get_by_role("heading", name="CRM-Modus").wait_for()
    assert "40" in page.inner_text("#switch-wizard")
    assert page.is_checked("#id_keep_open_activities")
    assert "empfohlen" in page.inner_text("#switch-wizard")
    page.select_option("#id_pipeline", "new")
    page.fill("#id_new_pipeline_name", "Aus Leads")
    page.uncheck("#id_create_companies")
    page.click("#wizard-continue")
    assert "40 Leads werden zu Aufträgen in „Aus Leads“" in page.inner_text("[data-testid=switch-preview]")
    page.click("#switch-confirm")
    page.locator("#switch-progress").wait_for()
    switch = ModeSwitch.objects.order_by("-id").first()
    assert switch is not None
    assert switch.status == "queued"  # the task waits in the queue for a worker
    worker = start_worker()
    try:
        page.locator("#switch-progress[data-status='done']").wait_for(timeout=120_000)
        assert worker.wait(timeout=60) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
    assert page.locator("#switch-bar").get_attribute("value") == "100"
    assert "40 von 40 Leads verarbeitet" in page.inner_text("#switch-progress")
    assert "Leads" not in nav_texts(page)
    page.click("text=Zu den Aufträgen")
    page.get_by_role("heading", name="Aufträge").wait_for()
    assert "Leads" not in nav_texts(page)
    assert Deal.objects.filter(pipeline__name="Aus Leads").count() == 40
    assert Lead.objects.filter(status__semantic="process").count() == 0
    assert Activity.objects.filter(completed=False, subject__startswith="Rückruf").count() == 40


def test_switch_to_classic_in_one_click(page, admin_user):
    login(page, *ADMIN)
    page.click(".gear summary")
    page.click("[data-testid=crm-mode-link]")
    page.click("#mode-classic button:has-text('Zum klassischen CRM wechseln')")
    page.get_by_role("heading", name="Leads").wait_for()
    assert nav_texts(page)[0] == "Leads"


def test_web_form_makes_a_deal_in_simple_and_a_lead_in_classic(page, new_page, admin_user):
    from kontor.web.models import WebForm

    WebForm.objects.create(name="Kontakt", slug="kontakt", heading="Schreiben Sie uns")
    visitor = new_page()

    def submit(name: str, email: str) -> None:
        visitor.goto("/forms/kontakt/")
        visitor.fill("#id_name", name)
        visitor.fill("#id_email", email)
        visitor.fill("#id_phone", "0171 2345678")
        visitor.fill("#id_company", "Beispiel AG")
        visitor.fill("#id_message", "Bitte um Rückruf")
        visitor.click("button:has-text('Senden')")
        visitor.get_by_text("Vielen Dank!").wait_for()

    submit("Paula Neu", "paula@example.org")
    contact = Contact.objects.get(last_name="Neu")
    assert Deal.objects.filter(contact=contact).count() == 1
    assert not Lead.objects.filter(last_name="Neu", deal__isnull=True).exists()

    set_mode(CrmMode.CLASSIC)
    submit("Otto Klassik", "otto@example.org")
    lead = Lead.objects.get(last_name="Klassik")
    assert lead.deal_id is None and lead.status.semantic == "process"
    login(page, *ADMIN)
    page.goto("/leads/?view=list")
    page.get_by_role("link", name="Otto Klassik").wait_for()


def test_english_and_manager_sees_no_switch(page, manager_user, sample):
    set_mode(CrmMode.CLASSIC)
    login(page, *MANAGER)
    page.click(".user-menu summary")
    page.click("button:has-text('English')")
    page.get_by_role("heading", name="Deals").wait_for()
    assert nav_texts(page) == ["Leads", "Deals", "Contacts", "Companies", "Activities"]
    page.click(".gear summary")
    assert "CRM mode: Classic CRM" in page.inner_text(".gear")
    assert page.locator("[data-testid=crm-mode-link]").count() == 0
    page.click(".gear summary")
    page.click(f"[data-testid=deal-{sample['deal'].pk}] a")
    page.locator("a:has-text('Edit')").wait_for()
    assert page.goto("/settings/crm-mode/").status == 403


def test_phone_viewport_has_no_horizontal_scroll(new_page, admin_user, sample):
    set_mode(CrmMode.CLASSIC)
    _make_leads(admin_user, 3)
    phone = new_page(viewport={"width": 390, "height": 844})
    login(phone, *ADMIN)
    for url in ("/deals/", "/deals/?view=list", "/leads/", f"/deals/{sample['deal'].pk}/", "/contacts/",
                f"/contacts/{sample['contact'].pk}/", "/companies/", "/activities/", "/settings/crm-mode/",
                f"/deals/{sample['deal'].pk}/edit/", "/settings/webhooks/", "/settings/forms/"):
        phone.goto(url)
        assert no_horizontal_scroll(phone), url
    phone.goto("/deals/")
    assert phone.locator(".gear-phone").is_visible() and not phone.locator(".gear-desktop").is_visible()
    # the board scrolls sideways inside itself
    assert phone.evaluate("(b => b.scrollWidth > b.clientWidth)(document.querySelector('.kanban'))")
    phone.click(".gear summary")
    phone.click("[data-testid=crm-mode-link]")
    phone.get_by_role("heading", name="CRM-Modus").wait_for()
    assert no_horizontal_scroll(phone)


UNLABELLED_JS = """() => [...document.querySelectorAll('main input:not([type=hidden]), main select, main textarea')]
    .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
    .map(el => el.name || el.id)"""


def test_forms_have_labels_and_keyboard_focus(page, admin_user, sample):
    from kontor.web.models import WebForm

    WebForm.objects.create(name="Kontakt", slug="kontakt")
    login(page, *ADMIN)
    for url in ("/deals/new/", f"/deals/{sample['deal'].pk}/edit/", "/contacts/new/", "/companies/new/",
                "/leads/new/", f"/deals/{sample['deal'].pk}/", "/deals/?view=list", "/settings/simple-mode/",
                "/settings/forms/", "/settings/webhooks/", "/forms/kontakt/"):
        page.goto(url)
        assert page.evaluate(UNLABELLED_JS) == [], url
    # keyboard only: tab into the form, type, submit with Enter
    page.goto("/companies/new/")
    page.focus("#id_title")
    page.keyboard.type("Tastatur GmbH")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Tastatur GmbH").wait_for()


def test_admin_defines_a_custom_field_and_a_manager_fills_it_in(new_page, admin_user, manager_user, sample):
    """Issue 10's "done when": a manager sees and edits a custom field in the browser."""
    deal = sample["deal"]
    admin = new_page()
    login(admin, *ADMIN)
    admin.click(".gear summary")
    admin.click("[data-testid=custom-fields-link]")
    admin.get_by_role("heading", name="Benutzerdefinierte Felder").wait_for()
    admin.click("[data-testid=new-field-deal]")
    admin.fill("#id_code", "shop_order")
    assert admin.locator("#id_items").is_hidden()  # list items only for lists
    admin.select_option("#id_type", "enumeration")
    admin.fill("#id_items", "Online-Shop\nTelefon")
    admin.select_option("#id_type", "string")
    admin.fill("#id_label_de", "Shop-Bestellung")
    admin.fill("#id_label_en", "Shop order")
    admin.click("button:has-text('Speichern')")
    admin.get_by_text("Benutzerdefiniertes Feld UF_CRM_SHOP_ORDER angelegt.").wait_for()
    assert admin.locator("[data-testid=field-UF_CRM_SHOP_ORDER]").inner_text().startswith("Shop-Bestellung")

    manager = new_page()
    login(manager, *MANAGER)
    manager.goto(f"/deals/{deal.pk}/")
    manager.click("text=Bearbeiten")
    manager.get_by_label("Shop-Bestellung").fill("A-1001")
    manager.click("button:has-text('Speichern')")
    manager.get_by_text("Änderungen gespeichert.").wait_for()
    assert manager.locator("dd[data-field=uf_crm_shop_order]").inner_text() == "A-1001"
    assert "Shop-Bestellung" in manager.locator("[data-testid=record-fields]").inner_text()
    assert Deal.objects.get(pk=deal.pk).uf == {"uf_crm_shop_order": "A-1001"}
    # the manager has no settings page
    assert manager.goto("/settings/custom-fields/").status == 403
