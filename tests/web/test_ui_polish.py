"""Leftovers of issues 12 and 17 in the web UI: counts with thousands separators on every page that
shows one, the mode-switch preview's new contacts counted per person, product forms with the ISO
4217 select and amounts in the user's language, activity times and communications, and "New …"
buttons only for users who may add."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kontor.crm import services
from kontor.crm.enums import Semantic
from kontor.crm.models import Lead, LeadStatus
from kontor.modes.selectors import switch_preview
from kontor.products.models import Product

pytestmark = pytest.mark.django_db

MODE_FORM = {"mode": "simple", "pipeline": "new", "new_pipeline_name": "Anfragen", "create_contacts": "on",
             "create_companies": "on", "keep_open_activities": "on"}


# --- counts --------------------------------------------------------------------------------------


@pytest.fixture
def many_leads(classic):
    """1,234 leads in progress, written in one statement (counts, not leads, are under test)."""
    status = LeadStatus.objects.filter(semantic=Semantic.PROCESS).order_by("sort").first()
    Lead.objects.bulk_create([Lead(title=f"Anfrage {i}", status=status) for i in range(1234)])
    return status


def test_counts_have_thousands_separators_in_german(admin_client, many_leads):
    preview = admin_client.post("/settings/crm-mode/preview/", MODE_FORM).content.decode()
    assert "<strong>1.234</strong> Leads werden zu Aufträgen" in preview
    assert "etwa <strong>1.234</strong> neue" in preview
    wizard = admin_client.get("/settings/crm-mode/").content.decode()
    assert "<strong>1.234</strong> Leads in Arbeit" in wizard
    statuses = admin_client.get("/settings/lead-statuses/").content.decode()
    assert "1.234 Leads" in statuses
    assert "1234" not in preview + wizard + statuses


def test_counts_have_thousands_separators_in_english(admin_client, many_leads):
    admin_client.cookies["django_language"] = "en"
    statuses = admin_client.get("/settings/lead-statuses/").content.decode()
    assert "1,234 leads" in statuses


# --- mode-switch preview: new contacts per person ------------------------------------------------


def test_two_leads_of_one_new_person_make_one_new_contact(admin_user, classic):
    services.lead_create(actor=admin_user, data={"title": "A", "name": "Nina", "emails": ["nina@example.com"]})
    services.lead_create(actor=admin_user, data={"title": "B", "name": "Nina", "emails": ["NINA@example.com"]})
    services.lead_create(actor=admin_user, data={"title": "C", "name": "Olaf", "emails": ["olaf@example.com"]})
    services.lead_create(actor=admin_user, data={"title": "D", "name": "Paul"})
    preview = switch_preview()
    assert preview["leads"] == 4
    assert (preview["contacts_matched"], preview["contacts_new"]) == (0, 3)


def test_leads_matching_an_existing_contact_are_not_new(admin_user, classic):
    services.contact_create(actor=admin_user, data={"name": "Alt", "emails": ["alt@example.com"]})
    services.lead_create(actor=admin_user, data={"title": "A", "name": "Alt", "emails": ["alt@example.com"]})
    services.lead_create(actor=admin_user, data={"title": "B", "name": "Alt", "emails": ["alt@example.com"]})
    preview = switch_preview()
    assert (preview["contacts_matched"], preview["contacts_new"]) == (2, 0)


# --- product forms: the ISO 4217 select, amounts in the user's language --------------------------


def _rows_form(rows: list[dict[str, str]], **extra: str) -> dict[str, str]:
    data = {"rows": str(len(rows)), **extra}
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"row-{i}-{key}"] = value
    return data


ROW = {"product_id": "", "name": "Schulung", "price": "1.250,50", "quantity": "2", "discount": "", "tax": ""}


def test_product_rows_pick_the_records_currency_from_the_iso_list(admin_client, sample):
    deal = sample["deal"]
    page = admin_client.get(f"/deals/{deal.pk}/products/").content.decode()
    assert '<select id="rows-currency" name="currency">' in page
    assert '<option value="EUR" selected>EUR – Euro</option>' in page and "CHF – Schweizer Franken" in page
    r = admin_client.post(f"/deals/{deal.pk}/products/", _rows_form([ROW], currency="CHF"))
    assert r.status_code == 302
    deal.refresh_from_db()
    assert (deal.currency, deal.opportunity) == ("CHF", Decimal("2501.00"))
    assert "2.501,00 CHF" in admin_client.get(f"/deals/{deal.pk}/").content.decode()


def test_product_rows_refuse_a_currency_that_is_no_iso_code_and_change_nothing(admin_client, sample):
    deal = sample["deal"]
    r = admin_client.post(f"/deals/{deal.pk}/products/", _rows_form([ROW], currency="Euro"))
    assert r.status_code == 400 and "EURO ist kein Währungscode" in r.content.decode()
    # A bad amount after a good currency: neither is saved (one transaction).
    r = admin_client.post(f"/deals/{deal.pk}/products/", _rows_form([{**ROW, "price": "1250.50"}], currency="USD"))
    assert r.status_code == 400 and "12.500,50" in r.content.decode()
    deal.refresh_from_db()
    assert (deal.currency, deal.opportunity) == ("EUR", Decimal("12500.00")) and not deal.product_rows.exists()


def test_catalogue_uses_the_iso_select_and_german_amounts(admin_client, seeded):
    page = admin_client.get("/products/").content.decode()
    assert '<select id="p-currency" name="currency">' in page and "CHF – Schweizer Franken" in page
    r = admin_client.post("/products/", {"name": "Wartung", "price": "1.234,50", "currency": "chf", "tax": "7,7"})
    assert r.status_code == 302
    assert Product.objects.filter(name="Wartung", price=Decimal("1234.50"), currency="CHF",
                                  tax_rate=Decimal("7.70")).exists()
    bad = admin_client.post("/products/", {"name": "Lizenz", "price": "1.200,00", "currency": "Euro"})
    assert bad.status_code == 400 and not Product.objects.filter(name="Lizenz").exists()
    bad = admin_client.post("/products/", {"name": "Lizenz", "price": "1200.00", "currency": "EUR"})
    assert bad.status_code == 400 and "12.500,50" in bad.content.decode()


# --- activity: start, end and who it is with ----------------------------------------------------


def test_activity_page_and_form_show_and_edit_times_and_communications(admin_client, admin_user, sample):
    from kontor.crm.models import Activity

    contact = sample["contact"]
    activity = services.activity_create(actor=admin_user, data={
        "type": "meeting", "subject": "Workshop", "bindings": [{"entity": "deal", "id": sample["deal"].pk}],
        "start_time": "2026-12-03T09:00:00+01:00", "end_time": "2026-12-03T11:30:00+01:00",
        "communications": [{"type": "EMAIL", "value": "anna@mueller.example", "entity_type": 3,
                            "entity_id": contact.pk}]})
    page = admin_client.get(f"/activities/{activity.pk}/").content.decode()
    assert "03.12.2026 09:00 – 11:30" in page
    assert '<a href="mailto:anna@mueller.example">anna@mueller.example</a>' in page
    assert f'href="/contacts/{contact.pk}/"' in page and "Kontaktdaten" in page

    form = admin_client.get(f"/activities/{activity.pk}/edit/").content.decode()
    assert 'name="start_time" value="2026-12-03T09:00"' in form and 'name="end_time" value="2026-12-03T11:30"' in form
    assert "anna@mueller.example</textarea>" in form

    post = {"type": "meeting", "subject": "Workshop", "deadline": "2026-12-03T09:00",
            "start_time": "2026-12-03T10:00", "end_time": "2026-12-03T12:00",
            "communications": "anna@mueller.example\n0171 2345678\n", "description": "",
            "responsible_id": str(admin_user.pk)}
    assert admin_client.post(f"/activities/{activity.pk}/edit/", post).status_code == 302
    activity = Activity.objects.get(pk=activity.pk)
    assert (activity.start_time.isoformat(), activity.end_time.isoformat()) == (
        "2026-12-03T09:00:00+00:00", "2026-12-03T11:00:00+00:00")
    assert activity.communications == [  # the kept line keeps its contact
        {"type": "EMAIL", "value": "anna@mueller.example", "entity_type": 3, "entity_id": contact.pk},
        {"type": "PHONE", "value": "0171 2345678", "entity_type": None, "entity_id": None}]

    bad = admin_client.post(f"/activities/{activity.pk}/edit/", {**post, "end_time": "2026-12-03T08:00"})
    assert bad.status_code == 422 and "Das Ende liegt vor dem Beginn." in bad.content.decode()


# --- "New …" only with the right to add ----------------------------------------------------------


NEW_BUTTONS = {  # page → the "New …" links it shows to someone who may add
    "/deals/?view=list": ["/deals/new/"],
    "/contacts/": ["/contacts/new/"],
    "/companies/": ["/companies/new/"],
    "/activities/": ["/activities/new/"],
}


def test_new_buttons_only_for_roles_that_may_add(admin_user, manager_user, sample):
    from django.test import Client

    from kontor.accounts.roles import role_create, user_set_access

    readers = {kind: {"read": "all", "add": "none", "edit": "own", "delete": "none", "export": "none"}
               for kind in ("lead", "deal", "contact", "company", "activity")}
    role = role_create(actor=None, name="Nur lesen", permissions=readers)
    user_set_access(actor=None, user=manager_user, access_role_id=role.pk)
    reader = Client()
    reader.force_login(manager_user)
    admin = Client()
    admin.force_login(admin_user)
    company, contact = sample["company"], sample["contact"]
    pages = {**NEW_BUTTONS,
             f"/companies/{company.pk}/": ["/contacts/new/?company_id=", "/deals/new/?company_id=",
                                           "/activities/new/?entity=company"],
             f"/contacts/{contact.pk}/": ["/deals/new/?contact_id=", "/activities/new/?entity=contact"]}
    for path, links in pages.items():
        shown = admin.get(path).content.decode()
        hidden = reader.get(path)
        assert hidden.status_code == 200, path
        for link in links:
            assert link in shown, (path, link)
            assert link not in hidden.content.decode(), (path, link)
    assert 'class="add-activity"' not in reader.get(f"/contacts/{contact.pk}/").content.decode()


def test_new_pages_refuse_roles_that_may_not_add(manager_user, sample):
    from django.test import Client

    from kontor.accounts.roles import role_create, user_set_access

    rights = {kind: {"read": "all", "add": "none", "edit": "own", "delete": "none", "export": "none"}
              for kind in ("lead", "deal", "contact", "company", "activity")}
    rights["contact"]["add"] = "own"
    role = role_create(actor=None, name="Nur Kontakte anlegen", permissions=rights)
    user_set_access(actor=None, user=manager_user, access_role_id=role.pk)
    client = Client()
    client.force_login(manager_user)
    for path in ("/deals/new/", "/companies/new/", "/activities/new/", "/leads/new/"):
        response = client.get(path)
        assert response.status_code == 403, path
        assert 'data-status="403"' in response.content.decode(), path  # the app's 403 page
    assert client.post("/deals/new/", {"title": "Heimlich"}).status_code == 403
    assert client.get("/contacts/new/").status_code == 200
