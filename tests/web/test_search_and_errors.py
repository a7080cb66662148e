"""The header's global search (issue 12) and the web UI's error pages."""

from __future__ import annotations

from decimal import Decimal
from unittest import mock

import pytest
from django.test import Client

from kontor.crm import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def records(admin_user, seeded):
    company = services.company_create(actor=admin_user, data={"title": "Müller Maschinenbau GmbH",
                                                              "emails": ["info@mueller-maschinen.example"]})
    contact = services.contact_create(actor=admin_user, data={
        "name": "Jonas", "last_name": "Schneider", "phones": ["+49 171 2345678"], "company_id": company.pk})
    other = services.contact_create(actor=admin_user, data={"name": "Lea", "last_name": "Fischer",
                                                            "phones": ["+49 30 1111111"]})
    deal = services.deal_create(actor=admin_user, data={"title": "Maschinenwartung Müller", "contact_id": contact.pk,
                                                        "opportunity": Decimal("4800")})
    return {"company": company, "contact": contact, "other": other, "deal": deal}


def _group(html: str, kind: str) -> str:
    start = html.index(f'data-kind="{kind}"')
    return html[start:html.index("</section>", start)]


@pytest.mark.parametrize("typed", ["0171 2345678", "0171/234 56 78", "+49 171 2345678", "+491712345678",
                                   "0049 171 2345678", "(0171) 2345678"])
def test_a_phone_number_typed_any_way_finds_the_contact(admin_client, records, typed):
    html = admin_client.get("/search/", {"q": typed}).content.decode()
    contacts = _group(html, "contacts")
    assert "Jonas Schneider" in contacts and "(1)" in contacts
    assert "Lea Fischer" not in html
    assert f'href="/contacts/{records["contact"].pk}/"' in contacts


def test_results_are_grouped_by_kind_with_counts(admin_client, records):
    html = admin_client.get("/search/", {"q": "Müller"}).content.decode()
    assert "Müller Maschinenbau GmbH" in _group(html, "companies") and "(1)" in _group(html, "companies")
    assert "Maschinenwartung Müller" in _group(html, "deals")
    assert "4.800,00 EUR" in _group(html, "deals")
    assert "(0)" in _group(html, "contacts")
    assert "2 Treffer für „Müller“" in html
    by_mail = admin_client.get("/search/", {"q": "info@mueller-maschinen.example"}).content.decode()
    assert "Müller Maschinenbau GmbH" in _group(by_mail, "companies")
    empty = admin_client.get("/search/").content.decode()
    assert 'id="global-search"' in empty and "data-kind" not in empty


def test_search_needs_a_login(client, records):
    response = client.get("/search/", {"q": "Müller"})
    assert response.status_code == 302 and "/login/" in response["Location"]


# --- error pages ---------------------------------------------------------------------------------------


def test_404_has_the_layout_a_translation_and_a_way_back(admin_client):
    response = admin_client.get("/deals/999999/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Seite nicht gefunden" in html and 'href="/"' in html and "Zurück zur Startseite" in html
    assert 'class="topbar"' in html and "kontor.css" in html  # the app's layout, with its navigation
    admin_client.cookies["django_language"] = "en"
    html = admin_client.get("/no-such-page/").content.decode()
    assert "Page not found" in html and "Back to the start page" in html


def test_403_page(manager_client):
    response = manager_client.get("/settings/crm-mode/")
    assert response.status_code == 403
    html = response.content.decode()
    assert "Zugriff verweigert" in html and "Zurück zur Startseite" in html


def test_500_page_shows_an_error_id(admin_user, seeded):
    client = Client(raise_request_exception=False)
    client.force_login(admin_user)
    with mock.patch("kontor.web.views.search.search_groups", side_effect=RuntimeError("boom")):
        response = client.get("/search/", {"q": "x"})
    assert response.status_code == 500
    html = response.content.decode()
    assert "Etwas ist schiefgelaufen" in html and "Fehlernummer:" in html and 'href="/"' in html


def test_400_page_for_a_foreign_host(client, seeded):
    response = client.get("/login/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert "Ungültige Anfrage" in response.content.decode()


def test_api_and_facade_errors_stay_json(admin_client, admin_user):
    response = admin_client.get("/api/v1/no-such-endpoint")
    assert response.status_code == 404 and response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == "not_found"
    response = Client().get("/rest/1/nonsense/crm.deal.list.json")
    assert response.status_code >= 400 and response["Content-Type"].startswith("application/json")


def test_csrf_failure_page(admin_user, seeded):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    response = client.post("/deals/new/", {"title": "x"})
    assert response.status_code == 403
    html = response.content.decode()
    assert "Das Formular ist abgelaufen" in html and "Zurück zur Startseite" in html and "kontor.css" in html
