"""The Content-Security-Policy in a real Chromium: every page works with it and none trips it.

Chromium reports each blocked script, style or handler as a ``securitypolicyviolation`` event; the
test records them on every page it opens and fails on the first one, after exercising what the
policy could break: htmx requests, Sortable's drag and drop, the auto-submitting pipeline select,
the public form in an iframe of another origin.
"""

from __future__ import annotations

import pytest

from kontor.crm.models import Stage
from kontor.web.models import WebForm

from .conftest import login
from .test_browser import ADMIN, drag

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + (e.sourceFile || ""));
});
"""


def violations(page) -> list[str]:
    return page.evaluate("window.__csp || []")


def test_pages_work_under_the_policy(page, admin_user, sample):
    page.context.add_init_script(RECORD_VIOLATIONS)
    login(page, *ADMIN)
    deal = sample["deal"]
    seen: list[str] = []
    # the kanban with htmx and Sortable: a drag saves the stage
    target = Stage.objects.get(pipeline=deal.pipeline, code="EXECUTING")
    drag(page, f"[data-testid=deal-{deal.pk}]", f"[data-testid=column-{target.pk}]")
    page.locator(f"[data-testid=deal-{deal.pk}][data-saved='{target.pk}']").wait_for()
    seen += violations(page)
    for url in ("/deals/?view=list", f"/deals/{deal.pk}/", f"/deals/{deal.pk}/edit/", "/deals/new/",
                "/contacts/", f"/contacts/{sample['contact'].pk}/", "/companies/", "/activities/",
                "/settings/webhooks/", "/settings/forms/", "/settings/custom-fields/", "/settings/crm-mode/",
                "/settings/simple-mode/"):
        page.goto(url)
        page.wait_for_load_state("networkidle")
        seen += [f"{url}: {v}" for v in violations(page)]
    # Swagger UI rendered from the static build
    page.goto("/api/docs")
    page.locator(".swagger-ui .info .title").wait_for()
    seen += violations(page)
    assert seen == []


def test_public_form_embeds_in_another_site(page, live, admin_user):
    webform = WebForm.objects.create(name="Kontakt", slug="kontakt", heading="Schreiben Sie uns", is_active=True,
                                     created_by=admin_user)
    page.context.add_init_script(RECORD_VIOLATIONS)
    # another origin (localhost instead of 127.0.0.1) frames the form
    other = live.url.replace("127.0.0.1", "localhost")
    page.route(other + "/embed-test", lambda route: route.fulfill(
        content_type="text/html", body=f'<iframe src="{live.url}/forms/{webform.slug}/?embed=1"></iframe>'))
    page.goto(other + "/embed-test")
    frame = page.frame_locator("iframe")
    frame.locator("#id_name").fill("Erika Muster")
    frame.locator("#id_email").fill("erika@example.org")
    frame.locator("button[type=submit]").click()
    frame.get_by_text("Vielen Dank!", exact=False).wait_for()
    assert violations(page.frames[1]) == []
