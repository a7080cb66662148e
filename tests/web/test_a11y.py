"""Accessibility in a real Chromium (issue 12): axe-core on every main page, and the keyboard.

axe-core (npm, copied into the static build by ``make static``) is injected into each page with
Playwright and run with the WCAG 2.0/2.1 A and AA rules. Every violation fails the test, and so does
every *incomplete* colour-contrast result: axe marks text "incomplete" when it cannot compute the
contrast (text over an image, a gradient, overlapping boxes), and such text is exactly what went
invisible before (white on white in the pickers and menus).

The pages are visited in German and English, on a desktop (1366×800) and a phone (390×844), light,
and in dark mode (desktop, German), with the user menu, the ⚙ menu and a contact picker open.
One browser, one data set; each configuration is one context that visits all pages.
"""

from __future__ import annotations

import contextlib
import json
import os
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from kontor.crm import services
from kontor.crm.enums import CrmMode
from kontor.crm.models import Stage
from kontor.web.models import WebForm

from .conftest import login, set_mode

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
AXE_PATHS = (ROOT / "src" / "kontor" / "web" / "build" / "vendor" / "axe.min.js",
             ROOT / "node_modules" / "axe-core" / "axe.min.js")

DESKTOP = {"width": 1366, "height": 800}
PHONE = {"width": 390, "height": 844}

#: (name, locale, viewport, color scheme)
CONFIGS_ALL = [
    ("de-desktop", "de-DE", DESKTOP, "light"),
    ("en-desktop", "en-US", DESKTOP, "light"),
    ("de-phone", "de-DE", PHONE, "light"),
    ("en-phone", "en-US", PHONE, "light"),
    ("de-desktop-dark", "de-DE", DESKTOP, "dark"),
    ("en-phone-dark", "en-US", PHONE, "dark"),
]

CONFIGS = [c for c in CONFIGS_ALL if os.environ.get("KONTOR_A11Y_ONLY", "") in ("", c[0])]

#: The pages visited in dark mode (every page type; the light runs visit all pages).
DARK_SAMPLE = ("/deals/", "/leads/?view=kanban", "/contacts/", "/activities/", "/search/", "/settings/custom-fields/",
               "/no-such-page/")

AXE_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
               "resultTypes": ["violations", "incomplete"]}


def axe_source() -> str:
    for path in AXE_PATHS:
        if path.exists():
            return str(path)
    pytest.fail("axe-core is missing: run `make static` (npm ci installs it, the build copies it)")


#: Measures what axe leaves "incomplete": the element's text colour (and its placeholder's, for an
#: empty field) against the colour actually behind it — the background colours of the element and its
#: ancestors composited until one is opaque. A form control's background *image* is Pico's arrow or
#: icon, not what is behind the text, so only colours count. Returns the lowest ratio and the colours.
MEASURE_JS = """el => {
  const parse = c => { const m = c.match(/rgba?\\(([^)]+)\\)/); if (!m) return null;
    const p = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number); return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; };
  const over = (top, bottom) => [0, 1, 2].map(i => top[i] * top[3] + bottom[i] * (1 - top[3])).concat([1]);
  const layers = [];
  for (let node = el; node; node = node.parentElement) {
    const bg = parse(getComputedStyle(node).backgroundColor);
    if (bg && bg[3] > 0) { layers.push(bg); if (bg[3] >= 1) break; }
  }
  let back = [255, 255, 255, 1];
  if (!layers.length || layers[layers.length - 1][3] < 1) {
    const root = parse(getComputedStyle(document.documentElement).backgroundColor);
    if (root && root[3] > 0) back = over(root, back);
  }
  for (const layer of layers.reverse()) back = over(layer, back);
  const lum = c => { const v = c.slice(0, 3).map(x => { x /= 255;
      return x <= 0.03928 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4); });
    return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2]; };
  const ratio = (a, b) => { const [l1, l2] = [lum(a), lum(b)].sort((x, y) => y - x);
    return (l1 + 0.05) / (l2 + 0.05); };
  const style = getComputedStyle(el);
  const colours = [style.color];
  if ((el.tagName === 'INPUT' || el.tagName === 'TEXTAREA') && !el.value && el.placeholder)
    colours.push(getComputedStyle(el, '::placeholder').color);
  let worst = 99, worstColour = '';
  for (const c of colours) { const fg = parse(c); if (!fg) continue; const r = ratio(over(fg, back), back);
    if (r < worst) { worst = r; worstColour = c; } }
  const size = parseFloat(style.fontSize), bold = parseInt(style.fontWeight, 10) >= 700;
  const large = size >= 24 || (bold && size >= 18.66);
  return {ratio: worst, needed: large ? 3 : 4.5, fg: worstColour,
          bg: 'rgb(' + back.slice(0, 3).map(Math.round).join(',') + ')'};
}"""


def axe_problems(page, where: str) -> list[str]:
    """The WCAG problems axe finds on the page as it is now (menus open or not), as readable lines."""
    # colours in the middle of a CSS transition (a menu that just opened) are not what a reader sees
    page.wait_for_function("document.getAnimations().every(a => a.playState !== 'running')")
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=axe_source())
    result = page.evaluate("options => axe.run(document, options)", AXE_OPTIONS)
    problems = []
    for rule in result["violations"]:
        for node in rule["nodes"]:
            problems.append(f"{where}: {rule['id']} ({rule['impact']}): {node['target']} — "
                            f"{node.get('failureSummary', '')[:300]}")
    for rule in result["incomplete"]:
        if rule["id"] != "color-contrast":
            continue
        for node in rule["nodes"]:
            # axe could not decide: measure it here; a text whose contrast cannot be shown is a failure
            target = node["target"][0] if len(node["target"]) == 1 else None
            element = page.query_selector(target) if isinstance(target, str) else None
            if element is None:
                reasons = "; ".join(check.get("message", "") for check in node.get("any", []))
                problems.append(f"{where}: color-contrast could not be verified: {node['target']} — {reasons[:300]}")
                continue
            measured = element.evaluate(MEASURE_JS)
            if measured["ratio"] < measured["needed"]:
                problems.append(f"{where}: color-contrast (measured) {measured['ratio']:.2f} < {measured['needed']}: "
                                f"{node['target']} ({measured['fg']} on {measured['bg']})")
    return problems


@pytest.fixture
def data(admin_user, live):
    """Enough of everything that every page has content: classic mode (leads), a deal with contact,
    company, activities (one overdue), custom fields, a web form, an import."""
    set_mode(CrmMode.CLASSIC)
    company = services.company_create(actor=admin_user, data={"title": "Müller Maschinenbau GmbH",
                                                              "phones": ["+49 30 1234567"]})
    contact = services.contact_create(actor=admin_user, data={
        "name": "Anna", "last_name": "Schmidt", "company_id": company.pk, "emails": ["anna@mueller.example"],
        "phones": ["+49 171 2345678"]})
    stages = list(Stage.objects.filter(pipeline__is_default=True).order_by("sort"))
    deal = None
    for i, stage in enumerate(stages):
        made = services.deal_create(actor=admin_user, data={
            "title": f"Auftrag {stage.name}", "opportunity": Decimal(12500 + i * 1000),
            "currency": "USD" if i % 3 == 2 else "EUR", "stage_id": stage.pk, "contact_id": contact.pk,
            "company_id": company.pk})
        deal = deal or made
    services.activity_create(actor=admin_user, data={
        "type": "call", "subject": "Rückruf", "deadline": timezone.now() - timedelta(days=1),
        "bindings": [{"entity": "deal", "id": deal.pk}]})
    services.activity_create(actor=admin_user, data={
        "type": "meeting", "subject": "Termin vor Ort", "deadline": timezone.now() + timedelta(days=2),
        "bindings": [{"entity": "contact", "id": contact.pk}]})
    lead = services.lead_create(actor=admin_user, data={"title": "Anfrage Website", "name": "Paul",
                                                        "last_name": "Weber", "opportunity": "900"})
    WebForm.objects.create(name="Kontakt", slug="kontakt", heading="Schreiben Sie uns", is_active=True)
    return {"deal": deal, "contact": contact, "company": company, "lead": lead}


def _pages(data) -> list[str]:
    deal, contact, company, lead = data["deal"], data["contact"], data["company"], data["lead"]
    pages = [
        "/deals/?view=kanban", "/deals/?view=list", f"/deals/{deal.pk}/", f"/deals/{deal.pk}/edit/", "/deals/new/",
        "/leads/?view=kanban", "/leads/?view=list", f"/leads/{lead.pk}/", f"/leads/{lead.pk}/edit/",
        f"/leads/{lead.pk}/convert/",
        "/contacts/", f"/contacts/{contact.pk}/", f"/contacts/{contact.pk}/edit/",
        "/companies/", f"/companies/{company.pk}/", f"/companies/{company.pk}/edit/",
        "/activities/", "/import/", "/search/?q=M%C3%BCller", "/search/?q=0171+2345678",
        "/settings/crm-mode/", "/settings/simple-mode/", "/settings/forms/", "/settings/custom-fields/",
        "/settings/webhooks/", "/settings/outgoing-webhooks/", "/account/password/",
        "/no-such-page/",
    ]
    # the settings screens of issue 12 part B, where they exist already
    from django.urls import NoReverseMatch, reverse

    for name in ("settings_index", "user_list", "user_new", "account_language", "pipeline_list", "lead_status_list",
                 "source_list", "directory_list"):
        with contextlib.suppress(NoReverseMatch):
            pages.append(reverse(f"web:{name}"))
    return pages


def _open_menus_and_picker(page, where: str, data) -> list[str]:
    """The user menu, the ⚙ menu and a picker with results, each checked while open."""
    problems = []
    page.goto("/deals/?view=kanban")
    page.click(".user-menu > summary")
    page.locator(".user-menu ul").wait_for(state="visible")
    problems += axe_problems(page, f"{where} /deals/ user menu open")
    page.keyboard.press("Escape")
    page.click(".gear > summary")
    page.locator(".gear ul").wait_for(state="visible")
    problems += axe_problems(page, f"{where} /deals/ ⚙ menu open")
    page.keyboard.press("Escape")
    page.goto(f"/deals/{data['deal'].pk}/edit/")
    picker = page.locator("[data-lookup-text]").first
    picker.fill("Schm")
    page.locator("[role=option]").first.wait_for(state="visible")
    problems += axe_problems(page, f"{where} deal form, picker open")
    return problems


def test_every_page_meets_wcag_aa(browser, live, data, admin_user):
    problems: list[str] = []
    pages = _pages(data)
    for name, locale, viewport, scheme in CONFIGS:
        context = browser.new_context(locale=locale, viewport=viewport, color_scheme=scheme, base_url=live.url,
                                      bypass_csp=True)  # axe is injected as an inline script
        context.set_default_timeout(15_000)
        page = context.new_page()
        page.goto("/login/")
        problems += axe_problems(page, f"{name} /login/")
        page.goto("/forms/kontakt/")
        problems += axe_problems(page, f"{name} /forms/kontakt/")
        login(page, "admin_test", "admin-pass-123")
        language = locale[:2]
        # dark mode changes colours only: a sample of the page types (board, list, record, form, search)
        shown = [p for p in pages if scheme == "light" or p.startswith(DARK_SAMPLE)]
        for path in shown:
            page.goto(path)
            page.wait_for_load_state("domcontentloaded")
            assert page.evaluate("document.documentElement.lang") == language, path
            problems += axe_problems(page, f"{name} {path}")
            if not page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth"):
                problems.append(f"{name} {path}: the page is wider than the screen (cut off at the right)")
        problems += _open_menus_and_picker(page, name, data)
        context.close()
    assert not problems, f"{len(problems)} accessibility problems:\n" + "\n".join(problems[:60])


def test_axe_catches_invisible_text(browser, live):
    """The check itself: white text on a white box is reported (so a passing run means something)."""
    context = browser.new_context(base_url=live.url, bypass_csp=True)
    page = context.new_page()
    page.goto("/login/")
    page.evaluate("""() => {
        const p = document.createElement('p');
        p.textContent = 'Abmelden';
        p.style.cssText = 'color:#fff;background:#fff';
        document.querySelector('main').append(p);
    }""")
    problems = axe_problems(page, "test")
    context.close()
    assert any("color-contrast" in p for p in problems), json.dumps(problems)


# --- the keyboard ------------------------------------------------------------------------------------


def _open(page, selector: str) -> bool:
    return page.evaluate(f"document.querySelector('{selector}').open")


def test_menus_close_on_escape_and_outside_click_one_at_a_time(page, data):
    page.set_viewport_size(DESKTOP)
    login(page, "admin_test", "admin-pass-123")
    page.goto("/deals/?view=kanban")
    page.click(".user-menu > summary")
    assert _open(page, ".user-menu")
    # the entries can be seen: the page's text colour on the menu's background, not white on white
    for name in ("Deutsch", "English", "Abmelden"):
        entry = page.locator(".user-menu ul").get_by_text(name, exact=True)
        assert entry.is_visible()
        measured = entry.evaluate(MEASURE_JS)
        assert measured["ratio"] >= 4.5, (name, measured)
    page.keyboard.press("Escape")
    assert not _open(page, ".user-menu")
    assert page.evaluate("document.activeElement.matches('.user-menu > summary')")  # focus back on the button

    page.click(".gear > summary")
    page.click(".user-menu > summary")  # opening the user menu closes the ⚙ menu
    assert _open(page, ".user-menu") and not _open(page, ".gear")
    page.keyboard.press("Escape")
    assert not _open(page, ".user-menu")
    page.click(".gear > summary")
    page.keyboard.press("Escape")
    assert not _open(page, ".gear")

    page.click(".gear > summary")
    box = page.locator("h1").bounding_box()
    page.mouse.click(box["x"] + 5, box["y"] + 5)  # a click outside closes it
    assert not _open(page, ".gear")

    # keyboard only: Enter on the focused summary opens, Esc closes
    page.focus(".user-menu > summary")
    page.keyboard.press("Enter")
    assert _open(page, ".user-menu")
    page.keyboard.press("Escape")
    assert not _open(page, ".user-menu")


def test_picker_works_with_arrow_keys_and_enter(page, data, admin_user):
    services.contact_create(actor=admin_user, data={"name": "Jonas", "last_name": "Schmitz"})
    login(page, "admin_test", "admin-pass-123")
    page.goto("/deals/new/")
    page.fill("#id_title", "Über die Tastatur")
    field = page.locator("#id_company_id_search")
    field.fill("Müll")
    option = page.get_by_role("option", name="Müller Maschinenbau GmbH")
    option.wait_for(state="visible")
    assert option.evaluate(MEASURE_JS)["ratio"] >= 4.5  # readable, not white on white
    assert field.get_attribute("aria-expanded") == "true"

    contacts = page.locator("#id_contact_ids_0_search")
    contacts.fill("Schm")
    page.locator("#id_contact_ids_0_results [role=option]").nth(1).wait_for(state="visible")
    contacts.press("ArrowDown")
    contacts.press("ArrowDown")
    active = page.locator("#id_contact_ids_0_results [aria-selected=true]")
    assert active.count() == 1 and contacts.get_attribute("aria-activedescendant") == active.get_attribute("id")
    chosen = active.inner_text()
    contacts.press("Enter")  # picks the option; does not submit the form
    assert page.url.endswith("/deals/new/")
    assert contacts.input_value() == chosen
    assert contacts.get_attribute("aria-expanded") == "false"

    field.press("Escape")  # closes the list, picks nothing
    assert page.locator("#id_company_id_results [role=option]").count() == 0
    assert field.get_attribute("aria-expanded") == "false"
    field.fill("Müller")
    option.wait_for(state="visible")
    field.press("ArrowDown")
    field.press("Enter")
    assert field.input_value() == "Müller Maschinenbau GmbH"

    page.click("form button[type=submit] >> nth=-1")
    page.get_by_role("heading", name="Über die Tastatur").wait_for()
    from kontor.crm.models import Deal

    deal = Deal.objects.get(title="Über die Tastatur")
    assert deal.company.title == "Müller Maschinenbau GmbH"
    assert str(deal.contact) == chosen


def test_search_shortcut_and_phone_search(page, data):
    login(page, "admin_test", "admin-pass-123")
    page.goto("/contacts/")
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "global-search"
    page.keyboard.type("0171 2345678")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search/?q=*")
    contacts = page.locator("[data-kind=contacts]")
    assert "Anna Schmidt" in contacts.inner_text() and "(1)" in contacts.inner_text()
    page.locator("h1").click()
    page.keyboard.press("Control+k")
    assert page.evaluate("document.activeElement.id") == "global-search"


def test_drag_a_deal_onto_the_won_drop_zone(page, data):
    """Won and lost are drop zones under the board: a card dropped there moves the deal and leaves the
    board; the zone's count and per-currency sum follow."""
    from kontor.crm.models import Deal

    from .test_browser import drag

    deal = Deal.objects.get(title="Auftrag Neu")
    won = Stage.objects.filter(pipeline=deal.pipeline, semantic="success").first()
    page.set_viewport_size(DESKTOP)
    login(page, "admin_test", "admin-pass-123")
    page.goto("/deals/?view=kanban")
    before = int(page.locator(f"#stats-deal-{won.pk} .count").get_attribute("data-count"))
    drag(page, f"[data-testid=deal-{deal.pk}]", f"[data-testid=column-{won.pk}]")
    page.locator(f"#stats-deal-{won.pk} .count[data-count='{before + 1}']").wait_for()
    assert not page.locator(f"[data-testid=deal-{deal.pk}]").is_visible()
    deal.refresh_from_db()
    assert deal.stage_id == won.pk
    assert "EUR" in page.locator(f"#stats-deal-{won.pk} .sum").inner_text()
