"""Issue 12 part B's done-when flow in Chromium, on a desktop in German and on a phone in English: a
new admin adds a colleague who then logs in, renames and reorders stages, deletes a record and
switches the CRM mode after seeing the preview."""

from __future__ import annotations

import os

import pytest

from kontor.crm import services
from kontor.crm.enums import CrmMode
from kontor.crm.models import Contact, Deal, Lead, Pipeline

from .conftest import login, set_mode
from .test_browser import ADMIN, no_horizontal_scroll, start_worker

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1366, "height": 800}
PHONE = {"width": 390, "height": 844}
SHOTS = os.environ.get("KONTOR_SHOTS_DIR", "")

TEXT = {
    "de": {"settings": "Einstellungen", "invite": "Benutzer einladen", "invited": "wurde eingeladen",
           "set": "Passwort festlegen", "done": "Ihr Passwort ist festgelegt", "deals": "Aufträge",
           "save": "Speichern", "delete": "Löschen", "deleted": "wurde gelöscht", "mode": "CRM-Modus",
           "preview": "3 Leads werden zu Aufträgen in „Anfragen“", "switched": "CRM-Modus umgeschaltet"},
    "en": {"settings": "Settings", "invite": "Invite a user", "invited": "was invited",
           "set": "Set your password", "done": "Your password is set", "deals": "Deals",
           "save": "Save", "delete": "Delete", "deleted": "was deleted", "mode": "CRM mode",
           "preview": "3 leads will become deals in “Anfragen”", "switched": "CRM mode switched"},
}


def shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def open_settings(page, t) -> None:
    page.click(".gear summary")
    page.click("[data-testid=settings-link]")
    page.get_by_role("heading", name=t["settings"], exact=True).wait_for()


@pytest.mark.parametrize("viewport,lang", [(DESKTOP, "de"), (PHONE, "en")], ids=["desktop-de", "phone-en"])
def test_admin_first_day_in_the_browser(new_page, live, admin_user, viewport, lang):
    t = TEXT[lang]
    name = f"{'phone' if viewport is PHONE else 'desktop'}-{lang}"
    page = new_page(viewport=viewport, locale="de-DE" if lang == "de" else "en-US")
    if lang == "en":
        page.context.add_cookies([{"name": "django_language", "value": "en", "url": live.url}])
    login(page, *ADMIN)

    # 1. a colleague: invite, the colleague sets a password and logs in
    open_settings(page, t)
    shot(page, f"settings-index-{name}")
    assert no_horizontal_scroll(page)
    page.click("[data-testid=settings-users]")
    page.click("[data-testid=invite-user]")
    page.get_by_role("heading", name=t["invite"]).wait_for()
    page.fill("#id_username", "jana")
    page.fill("#id_first_name", "Jana")
    page.fill("#id_last_name", "Berg")
    page.fill("#id_email", "jana@example.com")
    page.click("button[type=submit]:has-text('" + ("Einladen" if lang == "de" else "Invite") + "')")
    page.get_by_text(t["invited"]).wait_for()
    link = page.input_value("[data-testid=password-link]")
    shot(page, f"user-invited-{name}")
    colleague = new_page(viewport=viewport, locale="de-DE" if lang == "de" else "en-US")
    if lang == "en":
        colleague.context.add_cookies([{"name": "django_language", "value": "en", "url": live.url}])
    colleague.goto(link)
    colleague.get_by_role("heading", name=t["set"]).wait_for()
    colleague.fill("#id_new_password1", "Sommer-Regen-42")
    colleague.fill("#id_new_password2", "Sommer-Regen-42")
    colleague.click("button[type=submit] >> nth=0")
    colleague.get_by_text(t["done"]).wait_for()
    login(colleague, "jana", "Sommer-Regen-42")
    colleague.get_by_role("heading", name=t["deals"], exact=True).wait_for()

    # 2. rename and reorder stages
    pipeline = Pipeline.objects.get(is_default=True)
    page.goto(f"/settings/pipelines/{pipeline.pk}/")
    page.click("[data-testid=edit-stage-PREPAYMENT_INVOICE]")
    page.fill("#id_name", "Anzahlung")
    page.click(f"button:has-text('{t['save']}')")
    page.locator("[data-testid=stage-PREPAYMENT_INVOICE]", has_text="Anzahlung").wait_for()
    before = list(pipeline.stages.order_by("sort", "id").values_list("code", flat=True))
    assert before[:3] == ["NEW", "PREPARATION", "PREPAYMENT_INVOICE"]
    if viewport is DESKTOP:  # drag the third stage above the first
        page.locator("[data-testid=stage-PREPAYMENT_INVOICE] .drag-handle").drag_to(
            page.locator("[data-testid=stage-NEW]"), target_position={"x": 20, "y": 3})
        page.locator("[data-testid=stage-list][data-saved=yes]").wait_for()
        expected = ["PREPAYMENT_INVOICE", "NEW", "PREPARATION"]
    else:  # the phone's buttons: one step up
        page.click("[data-testid=stage-PREPAYMENT_INVOICE] button[value=up]")
        page.get_by_text("Order saved.").wait_for()
        expected = ["NEW", "PREPAYMENT_INVOICE", "PREPARATION"]
    assert list(pipeline.stages.order_by("sort", "id").values_list("code", flat=True))[:3] == expected
    page.reload()
    codes = page.locator("[data-testid=stage-list] > li").evaluate_all(
        "items => items.map(li => li.dataset.testid.replace('stage-', ''))")
    assert codes[:3] == expected
    shot(page, f"stages-{name}")
    assert no_horizontal_scroll(page)

    # 3. delete a record
    contact = services.contact_create(actor=admin_user, data={"name": "Doppelt", "last_name": "Eintrag"})
    page.goto(f"/contacts/{contact.pk}/")
    page.click("[data-testid=delete-record]")
    shot(page, f"delete-confirm-{name}")
    page.click("[data-testid=confirm-delete]")
    page.get_by_text(t["deleted"]).wait_for()
    assert not Contact.objects.filter(pk=contact.pk).exists()

    # 3b. the duplicate warning while typing a new contact (phone typed another way)
    services.contact_create(actor=admin_user, data={"name": "Petra", "last_name": "Pohl",
                                                    "phones": ["+49 171 2345678"]})
    page.goto("/contacts/new/")
    page.fill("#id_name", "Petra")
    page.locator("[name=phones]").first.fill("0171 2345678")
    page.locator("[name=phones]").first.blur()
    page.locator("[data-testid=duplicate]", has_text="Petra Pohl").wait_for()
    shot(page, f"duplicate-warning-{name}")
    # 3c. bulk action on the deal list: select two deals, move them to another stage
    deals = [services.deal_create(actor=admin_user, data={"title": f"Zaun {i}", "opportunity": "1200"})
             for i in range(3)]
    page.goto("/deals/?view=list")
    page.check(f"input[name=ids][value='{deals[0].pk}']")
    page.check(f"input[name=ids][value='{deals[1].pk}']")
    page.select_option("#bulk-action", "stage")
    won = pipeline.stages.get(code="WON")
    page.select_option("#bulk-stage", str(won.pk))
    assert page.inner_text("[data-bulk-count] strong") == "2"
    shot(page, f"deal-list-bulk-{name}")
    page.click("[data-testid=bulk-apply]")
    page.get_by_text("2 Aufträge wurden verschoben." if lang == "de" else "2 deals were moved.").wait_for()
    assert set(Deal.objects.filter(stage=won).values_list("pk", flat=True)) == {deals[0].pk, deals[1].pk}

    # 4. switch the CRM mode after the preview
    set_mode(CrmMode.CLASSIC)
    for i in range(3):
        services.lead_create(actor=admin_user, data={"title": f"Anfrage {i}", "name": f"K{i}"})
    page.goto("/settings/crm-mode/")
    page.select_option("#id_pipeline", "new")
    page.fill("#id_new_pipeline_name", "Anfragen")
    page.click("#wizard-continue")
    preview = page.locator("[data-testid=switch-preview]")
    preview.wait_for()
    assert t["preview"] in preview.inner_text()
    shot(page, f"switch-preview-{name}")
    assert Lead.objects.filter(status__semantic="process").count() == 3  # nothing changed yet
    page.click("#switch-confirm")
    page.locator("#switch-progress").wait_for()
    from kontor.modes.models import ModeSwitch

    switch = ModeSwitch.objects.order_by("-id").first()
    assert switch.status == "queued"  # the background worker converts the leads
    worker = start_worker()
    try:
        page.locator("#switch-progress[data-status='done']").wait_for(timeout=120_000)
        assert worker.wait(timeout=60) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
    assert page.locator("#switch-heading").inner_text() == t["switched"]
    assert "3" in page.inner_text("[data-testid=switch-result]")
    shot(page, f"switch-result-{name}")
    assert Deal.objects.filter(pipeline__name="Anfragen").count() == 3
