"""Product rows in a real browser: add a row on the products page, see it on the deal's page with the new
total, on a desktop and on a phone, in German and English (screenshots under var/test-screenshots/)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kontor.crm import services

from .conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(__file__).resolve().parents[2] / "var" / "test-screenshots" / "product-rows"  # ignored by git


@pytest.mark.parametrize("locale, viewport, total", [
    ("de-DE", {"width": 1366, "height": 800}, "2.501,00 EUR"),
    ("en-US", {"width": 390, "height": 844}, "2,501.00 EUR"),
])
def test_add_a_product_row_and_see_the_total(new_page, live, admin_user, locale, viewport, total):
    admin_user.set_password("pw-123456789")
    admin_user.save()
    deal = services.deal_create(actor=admin_user, data={"title": "Schulung Vertrieb"})
    page = new_page(locale=locale, viewport=viewport)
    login(page, admin_user.username, "pw-123456789")
    page.goto(f"/deals/{deal.pk}/")
    page.click("[data-testid=edit-products]")
    page.fill("input[name=row-0-name]", "Workshop")
    page.fill("input[name=row-0-price]", "1.250,50" if locale == "de-DE" else "1,250.50")
    page.fill("input[name=row-0-quantity]", "2")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"edit-{locale}-{viewport['width']}.png"), full_page=True)
    page.click("form[data-testid=product-rows-form] button[type=submit]")
    page.wait_for_url(f"**/deals/{deal.pk}/")
    assert page.locator("[data-testid=product-total]").inner_text().strip() == total
    assert "Workshop" in page.locator("[data-testid=product-rows]").inner_text()
    page.screenshot(path=str(SHOTS / f"deal-{locale}-{viewport['width']}.png"), full_page=True)
    # Nothing sticks out sideways on a phone: the table scrolls inside its box.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
