"""Settings → Roles and departments in Chromium, on a desktop and a phone, in German and English:
the matrix is usable (a changed select is saved) and the phone page does not scroll sideways."""

from __future__ import annotations

import pytest

from kontor.accounts.models import AccessRole
from kontor.accounts.roles import department_create, role_create
from web.conftest import ensure_seed, live, login, new_page  # noqa: F401  (browser fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(("locale", "viewport", "name"), [
    ("de-DE", {"width": 1366, "height": 800}, "desktop-de"),
    ("en-US", {"width": 390, "height": 844}, "phone-en"),
])
def test_role_matrix_in_the_browser(new_page, admin_user, manager_user, locale, viewport, name):  # noqa: F811
    ensure_seed()
    role = role_create(actor=None, name="Vertrieb Nord", permissions={"deal": {"read": "own", "edit": "own"}})
    department_create(actor=None, name="Nord")
    page = new_page(locale=locale, viewport=viewport)
    login(page, "admin_test", "admin-pass-123")
    page.goto("/settings/roles/")
    page.screenshot(path=f"/tmp/roles-list-{name}.png", full_page=True)
    page.goto(f"/settings/roles/{role.pk}/")
    page.select_option("select[name='deal.delete']", "own")
    page.screenshot(path=f"/tmp/roles-form-{name}.png", full_page=True)
    page.check(f"input[name=users][value='{manager_user.pk}']")
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
    page.click("[data-testid=save-role]")
    page.wait_for_url("**/settings/roles/")
    role = AccessRole.objects.get(pk=role.pk)
    assert role.permissions["deal"]["delete"] == "own" and role.users.get() == manager_user
