"""Django's admin under Kontor's Content-Security-Policy, in a real Chromium: its pages (login, index,
lists with filters and actions, change and add forms with their widgets) load without a single
``securitypolicyviolation``, and their scripts run (the policy did not just block them silently)."""

from __future__ import annotations

import pytest

from kontor.accounts.roles import role_create
from web.conftest import ensure_seed, live  # noqa: F401  (the browser fixtures of the web tests)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + (e.sourceFile || ""));
});
"""


def test_admin_pages_load_without_policy_violations(browser, live, admin_user):  # noqa: F811
    ensure_seed()
    admin_user.is_superuser = admin_user.is_staff = True
    admin_user.save()
    role = role_create(actor=None, name="Sales North", permissions={"deal": {"read": "own"}})
    context = browser.new_context(base_url=live.url, locale="en-US", viewport={"width": 1366, "height": 800})
    context.add_init_script(RECORD_VIOLATIONS)
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if "Content Security Policy" in m.text else None)
    seen: list[str] = []
    page.goto("/admin/login/")
    page.fill("#id_username", admin_user.username)
    page.fill("#id_password", "admin-pass-123")
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/")
    seen += violations(page, "/admin/")
    for url in ("/admin/accounts/user/", f"/admin/accounts/user/{admin_user.pk}/change/", "/admin/accounts/user/add/",
                "/admin/accounts/accessrole/", f"/admin/accounts/accessrole/{role.pk}/change/",
                "/admin/accounts/department/add/", "/admin/auth/group/add/", "/admin/accounts/apitoken/"):
        response = page.goto(url)
        assert response is not None and response.status < 400, url
        page.wait_for_load_state("networkidle")
        seen += violations(page, url)
    # The admin's scripts ran: the list's "select all" checkbox ticks every row's box.
    page.goto("/admin/accounts/user/")
    page.locator("#action-toggle").check()
    assert page.locator("input.action-select:checked").count() >= 1
    page.screenshot(path="/tmp/admin-csp-users.png")
    assert seen == [] and console == []
    context.close()


def violations(page, url: str) -> list[str]:
    return [f"{url}: {v}" for v in page.evaluate("window.__csp || []")]
