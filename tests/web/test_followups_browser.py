"""Issue 17's done-when, in a real Chromium on a desktop and a phone, in German and English: a
web-form inquiry is assigned to the manager, who is told in the app (the bell) and by e-mail
(received by a real local SMTP server); an overdue call is highlighted and reminded of; the manager
edits it, adds a note to the deal and reads in the timeline what changed, old → new."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from kontor.accounts.services import user_create
from kontor.crm import services
from kontor.crm.models import Activity, Deal, Lead
from kontor.notifications.services import run_pass
from kontor.web.models import WebForm
from notifications.conftest import smtp_server  # noqa: F401  (the fixture)

from .conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots" / "followups"
DESKTOP = {"width": 1366, "height": 800}
PHONE = {"width": 390, "height": 844}

TEXT = {
    "de": {"inquiry": "Neue Anfrage über das Formular „Kontakt“: ", "overdue_mail": "Aktivität überfällig seit",
           "overdue": "überfällig", "save": "Speichern", "edit": "Bearbeiten", "add_note": "Notiz hinzufügen",
           "note": "Notiz: Angebot bis Freitag schicken", "amount": "Betrag: 0,00 EUR → 12.500,00 EUR",
           "amount_in": "12.500", "subject": "Betreff", "mine": "Meine Aktivitäten"},
    "en": {"inquiry": "New inquiry from the form “Kontakt”: ", "overdue_mail": "Activity overdue since",
           "overdue": "overdue", "save": "Save", "edit": "Edit", "add_note": "Add note",
           "note": "Note: Angebot bis Freitag schicken", "amount": "Amount: 0.00 EUR → 12,500.00 EUR",
           "amount_in": "12,500", "subject": "Subject", "mine": "My activities"},
}


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.mark.parametrize(("lang", "device"), [("de", "desktop"), ("en", "phone")])
def test_inquiry_reminder_note_and_timeline(new_page, live, smtp_server, lang, device):  # noqa: F811
    t = TEXT[lang]
    viewport = DESKTOP if device == "desktop" else PHONE
    manager = user_create(username="mara", password="mara-pass-123", email="mara@kontor.example",
                          first_name="Mara", last_name="Vertrieb")
    manager.language = lang
    manager.save()
    WebForm.objects.create(name="Kontakt", slug="kontakt", responsible=manager, consent_required=True,
                           privacy_url="https://example.de/datenschutz")

    # A visitor sends the public form.
    visitor = new_page(locale="de-DE" if lang == "de" else "en-US", viewport=viewport)
    visitor.goto("/forms/kontakt/")
    assert visitor.get_attribute("#id_phone", "type") == "tel"
    assert visitor.get_attribute("#id_email", "type") == "email"
    visitor.fill("#id_name", "Erika Muster")
    visitor.fill("#id_phone", "030 1234567")
    visitor.fill("#id_email", "erika@example.org")
    visitor.fill("#id_message", "Bitte um Rückruf")
    visitor.check("#id_consent")
    visitor.click("button[type=submit]")
    visitor.locator("h1").wait_for()
    record = Deal.objects.first() or Lead.objects.first()
    assert record is not None and record.assigned_id == manager.pk

    # The mail arrives at the SMTP server; the bell counts it.
    run_pass()
    [mail] = smtp_server.to("mara@kontor.example")
    assert t["inquiry"] in smtp_server.subject(mail) or (lang == "en" and not hasattr(manager, "language"))

    page = new_page(locale="de-DE" if lang == "de" else "en-US", viewport=viewport)
    login(page, "mara", "mara-pass-123")
    if lang == "en":
        page.goto("/deals/")
        page.click(".user-menu summary")
        page.click("button[value=en]")
        page.locator("html[lang=en]").wait_for()
    assert page.get_attribute("a.bell", "data-unread") == "1"
    shot(page, f"bell-{lang}-{device}")
    page.click("a.bell")
    page.get_by_text(t["inquiry"] + "Erika Muster", exact=False).first.wait_for()
    shot(page, f"notifications-{lang}-{device}")
    page.click(".notification-list a >> nth=0")
    page.wait_for_url(f"**/{'deals' if isinstance(record, Deal) else 'leads'}/{record.pk}/")
    assert page.get_attribute("a.bell", "data-unread") == "0"

    # An overdue call on the inquiry's record: highlighted, reminded of once.
    entity = "deal" if isinstance(record, Deal) else "lead"
    call = services.activity_create(actor=manager, data={
        "type": "call", "subject": "Erika zurückrufen", "deadline": timezone.now() - timedelta(days=4),
        "responsible_id": manager.pk, "bindings": [{"entity": entity, "id": record.pk}]})
    assert run_pass()["reminders"] == 1 and run_pass()["reminders"] == 0
    reminders = [m for m in smtp_server.to("mara@kontor.example") if "Erika zurückrufen" in smtp_server.subject(m)]
    assert len(reminders) == 1
    page.goto("/activities/")
    page.get_by_role("heading", name=t["mine"]).wait_for()
    row = page.locator(f"[data-activity='{call.pk}']")
    assert "overdue" in (row.get_attribute("class") or "") and t["overdue"] in row.inner_text()
    assert no_horizontal_scroll(page)
    shot(page, f"activities-{lang}-{device}")
    assert page.get_attribute("a.bell", "data-unread") == "1"

    # Open it, edit it.
    row.get_by_role("link", name="Erika zurückrufen").click()
    page.click(f"a[href='/activities/{call.pk}/edit/']")
    page.fill("#id_subject", "Erika zurückrufen (Angebot)")
    page.fill("#id_deadline", (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT10:00"))
    page.get_by_role("button", name=t["save"]).click()
    page.get_by_role("heading", name="Erika zurückrufen (Angebot)").wait_for()
    call.refresh_from_db()
    assert call.deadline > timezone.now() and Activity.objects.get(pk=call.pk).subject.endswith("(Angebot)")

    # The deal: amount changed, a note added; the timeline tells both.
    page.goto(f"/{entity}s/{record.pk}/edit/")
    page.fill("#id_opportunity", t["amount_in"])
    page.get_by_role("button", name=t["save"]).click()
    page.locator("#timeline").wait_for()
    page.fill("#note-text", "Angebot bis Freitag schicken")
    page.get_by_role("button", name=t["add_note"]).click()
    page.locator("#timeline li.note").wait_for()
    timeline = page.inner_text("#timeline")
    assert t["note"] in timeline and "Mara Vertrieb" in timeline
    assert t["amount"] in timeline
    assert "Bitte um Rückruf" not in timeline  # the unchanged comment is no change (CRLF from the textarea)
    assert no_horizontal_scroll(page)
    shot(page, f"deal-timeline-{lang}-{device}")


def test_dropping_a_deal_on_lost_asks_the_reason(new_page, live, admin_user, sample):
    from kontor.crm.enums import Semantic
    from kontor.crm.models import Stage

    from .test_browser import drag

    deal = sample["deal"]
    lost = Stage.objects.filter(pipeline=deal.pipeline, semantic=Semantic.FAILURE).first()
    page = new_page(locale="de-DE", viewport=DESKTOP)
    login(page, "admin_test", "admin-pass-123")
    page.goto("/deals/")
    drag(page, f"[data-testid=deal-{deal.pk}]", f"[data-testid=column-{lost.pk}]")
    page.wait_for_url(f"**/deals/{deal.pk}/lost/**")
    assert "Angebot besprechen" in page.inner_text("main")
    shot(page, "lost-reason-de-desktop")
    page.fill("#id_reason", "Budget gestrichen")
    page.click("button.danger")
    page.wait_for_url(f"**/deals/{deal.pk}/")
    assert "Grund für den Verlust: Budget gestrichen" in page.inner_text("#timeline")
    deal.refresh_from_db()
    assert deal.stage_id == lost.pk
    assert Activity.objects.get(pk=sample["activity"].pk).completed


@pytest.mark.parametrize(("lang", "viewport"), [("en", PHONE)])
def test_admin_sets_form_assignment_and_consent(new_page, live, admin_user, manager_user, lang, viewport):
    webform = WebForm.objects.create(name="Kontakt", slug="kontakt", created_by=admin_user)
    page = new_page(locale="en-US", viewport=viewport)
    login(page, "admin_test", "admin-pass-123")
    page.goto("/deals/")
    page.click(".user-menu summary")
    page.click("button[value=en]")
    page.locator("html[lang=en]").wait_for()
    page.goto(f"/settings/forms/{webform.pk}/")
    page.select_option("#id_responsible", str(admin_user.pk))
    page.get_by_label("Max Manager").check()
    page.get_by_label("Ada Admin").last.check()
    page.check("#id_consent_required")
    page.fill("#id_privacy_url", "https://example.de/privacy")
    assert no_horizontal_scroll(page)
    shot(page, f"webform-settings-{lang}-phone")
    page.click("form button[type=submit] >> nth=-1")
    page.get_by_text("Changes saved.").wait_for()
    webform.refresh_from_db()
    assert webform.consent_required and webform.privacy_url == "https://example.de/privacy"
    assert set(webform.round_robin_users.values_list("username", flat=True)) == {"admin_test", "manager_test"}


def test_followups_pages_meet_wcag_aa(browser, live, admin_user, manager_user, sample):
    """axe-core (as in test_a11y.py) on the pages of issue 17, German desktop and English phone, light and
    dark: my activities with an overdue one, an activity's page and form, a note's form, the lost reason,
    the notification centre, the web form with consent, the form's settings."""
    from kontor.crm.enums import EntityType, Semantic
    from kontor.crm.models import Stage
    from kontor.crm.services.notes import note_add
    from kontor.notifications.services import notify

    from .test_a11y import axe_problems

    deal, activity = sample["deal"], sample["activity"]
    activity.deadline = timezone.now() - timedelta(days=2)
    activity.save()
    note = note_add(entity_type=EntityType.DEAL, entity_id=deal.pk, text="Rückruf vereinbart", actor=admin_user)
    notify(admin_user, "assigned", entity="deal", record_id=deal.pk, data={"title": deal.title, "actor": "Max"})
    webform = WebForm.objects.create(name="Kontakt", slug="kontakt", consent_required=True,
                                     privacy_url="https://example.de/datenschutz", responsible=admin_user)
    lost = Stage.objects.filter(pipeline=deal.pipeline, semantic=Semantic.FAILURE).first()
    pages = ["/activities/", f"/activities/{activity.pk}/", f"/activities/{activity.pk}/edit/", "/activities/new/",
             f"/activities/{activity.pk}/delete/", f"/notes/{note.pk}/edit/", f"/deals/{deal.pk}/",
             f"/deals/{deal.pk}/lost/?stage_id={lost.pk}", "/notifications/", f"/settings/forms/{webform.pk}/"]
    problems: list[str] = []
    for name, locale, viewport, scheme in (("de-desktop", "de-DE", DESKTOP, "light"),
                                           ("en-phone-dark", "en-US", PHONE, "dark")):
        context = browser.new_context(locale=locale, viewport=viewport, color_scheme=scheme, base_url=live.url,
                                      bypass_csp=True)
        context.set_default_timeout(15_000)
        page = context.new_page()
        page.goto("/forms/kontakt/")
        problems += axe_problems(page, f"{name} /forms/kontakt/")
        login(page, "admin_test", "admin-pass-123")
        if locale.startswith("en"):
            page.click(".user-menu summary")
            page.click("button[value=en]")
            page.locator("html[lang=en]").wait_for()
        for path in pages:
            page.goto(path)
            page.wait_for_load_state("domcontentloaded")
            problems += axe_problems(page, f"{name} {path}")
            if not no_horizontal_scroll(page):
                problems.append(f"{name} {path}: wider than the screen")
        context.close()
    assert not problems, f"{len(problems)} accessibility problems:\n" + "\n".join(problems[:40])
