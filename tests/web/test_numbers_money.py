"""Numbers and money as a user reads and types them (issue 12): amounts parsed in the user's
language, counts with thousands separators, currencies from Babel's ISO 4217 list, and kanban
column totals per currency (never one mixed figure)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from kontor.core.money import (
    AmountError,
    currency_choices,
    format_amount,
    format_count,
    is_currency,
    parse_amount,
)
from kontor.crm import services
from kontor.crm.models import Deal, Stage
from kontor.web.views.kanban import deal_columns

pytestmark = pytest.mark.django_db


# --- parsing and formatting ------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "language", "expected"), [
    ("12500,50", "de", Decimal("12500.50")),
    ("12.500,50", "de", Decimal("12500.50")),
    ("12 500,50", "de", Decimal("12500.50")),
    ("1.250", "de", Decimal("1250")),
    ("0,5", "de", Decimal("0.5")),
    ("12500.50", "en", Decimal("12500.50")),
    ("12,500.50", "en", Decimal("12500.50")),
    ("1,250", "en", Decimal("1250")),
])
def test_amounts_are_read_in_the_users_language(text, language, expected):
    assert parse_amount(text, language) == expected


@pytest.mark.parametrize(("text", "language"), [
    ("12500.50", "de"),  # a German reader cannot tell 12500.50 from 1.250.050: asked again, not guessed
    ("12,500.50", "de"),
    ("12500,50", "en"),
    ("12.500,50", "en"),
    ("1.2.3", "de"),
    ("viel", "de"),
    ("12,505", "de"),  # more than two decimals for money
])
def test_ambiguous_or_invalid_amounts_are_errors(text, language):
    with pytest.raises(AmountError):
        parse_amount(text, language)


def test_counts_and_amounts_have_separators():
    assert format_count(135000, "de") == "135.000"
    assert format_count(135000, "en") == "135,000"
    assert format_amount(Decimal("12500.5"), "de") == "12.500,50"
    assert format_amount(Decimal("12500.5"), "en") == "12,500.50"


def test_currencies_come_from_the_library_with_localized_names():
    assert is_currency("eur") and is_currency("CHF") and is_currency("DEM")  # withdrawn codes stay valid
    assert not is_currency("XYZ") and not is_currency("Euro")
    german = dict(currency_choices("de"))
    english = dict(currency_choices("en"))
    assert german["EUR"] == "EUR – Euro" and german["USD"] == "USD – US-Dollar"
    assert english["GBP"] == "GBP – British Pound"
    assert [code for code, _label in currency_choices("de")[:4]] == ["EUR", "USD", "GBP", "CHF"]
    assert len(german) > 150
    assert "DEM" not in german and currency_choices("de", keep="DEM")[0][0] == "DEM"


# --- the web forms -----------------------------------------------------------------------------------


def _deal_post(deal, **extra):
    return {"title": deal.title, "stage_id": deal.stage_id, "currency": "EUR", "assigned_id": deal.assigned_id or "",
            **extra}


def test_german_amount_typed_with_comma_is_stored_exactly(admin_client, sample):
    deal = sample["deal"]
    response = admin_client.post(f"/deals/{deal.pk}/edit/", _deal_post(deal, opportunity="12500,50"))
    assert response.status_code == 302, response.content.decode()[:2000]
    deal.refresh_from_db()
    assert deal.opportunity == Decimal("12500.50")  # never 1,250,050
    page = admin_client.get(f"/deals/{deal.pk}/edit/").content.decode()
    assert 'value="12500,50"' in page and 'inputmode="decimal"' in page
    assert "12.500,50 EUR" in admin_client.get(f"/deals/{deal.pk}/").content.decode()


def test_english_amounts_and_ambiguous_ones(admin_client, sample):
    deal = sample["deal"]
    admin_client.cookies["django_language"] = "en"
    response = admin_client.post(f"/deals/{deal.pk}/edit/", _deal_post(deal, opportunity="12,500.50"))
    assert response.status_code == 302
    deal.refresh_from_db()
    assert deal.opportunity == Decimal("12500.50")
    response = admin_client.post(f"/deals/{deal.pk}/edit/", _deal_post(deal, opportunity="12500,50"))
    assert response.status_code == 200
    assert "Enter an amount such as 12,500.50" in response.content.decode()
    deal.refresh_from_db()
    assert deal.opportunity == Decimal("12500.50")


def test_ambiguous_german_amount_is_a_form_error(admin_client, sample):
    deal = sample["deal"]
    response = admin_client.post(f"/deals/{deal.pk}/edit/", _deal_post(deal, opportunity="12500.50"))
    assert response.status_code == 200
    assert "Geben Sie einen Betrag ein, etwa 12.500,50" in response.content.decode()
    deal.refresh_from_db()
    assert deal.opportunity == Decimal("12500")


def test_currency_is_picked_from_a_list(admin_client, sample):
    deal = sample["deal"]
    page = admin_client.get(f"/deals/{deal.pk}/edit/").content.decode()
    select = page[page.index('name="currency"'):]
    select = select[:select.index("</select>")]
    assert '<option value="EUR" selected>EUR – Euro</option>' in select
    assert '<option value="CHF">CHF – Schweizer Franken</option>' in select
    response = admin_client.post(f"/deals/{deal.pk}/edit/", _deal_post(deal, opportunity="1", currency="Euro"))
    assert response.status_code == 200  # not a choice: the form says so, nothing is stored
    response = admin_client.post(f"/deals/{deal.pk}/edit/", _deal_post(deal, opportunity="1", currency="CHF"))
    assert response.status_code == 302
    deal.refresh_from_db()
    assert deal.currency == "CHF"


def test_native_api_rejects_a_currency_that_is_no_iso_code(admin_api):
    response = admin_api.post("/api/v1/deals", {"title": "X", "currency": "XYZ"})
    assert response.status_code == 422
    body = response.json()
    assert "XYZ" in body["detail"] and "ISO 4217" in body["detail"]
    assert not Deal.objects.filter(title="X").exists()
    assert admin_api.post("/api/v1/deals", {"title": "Y", "currency": "chf"}).json()["currency"] == "CHF"


# --- counts and kanban totals -------------------------------------------------------------------------


def test_list_counts_have_thousands_separators(admin_client, seeded):
    from django.template import Context, Template

    template = Template("{% load kontor_web %}{{ n|num }} · {{ sums|money_sums }}")
    sums = [("EUR", Decimal("12500")), ("USD", Decimal("3000"))]
    with translation.override("de"):
        assert template.render(Context({"n": 135000, "sums": sums})) == "135.000 · 12.500,00 EUR · 3.000,00 USD"
    with translation.override("en"):
        assert template.render(Context({"n": 6001, "sums": sums})) == "6,001 · 12,500.00 EUR · 3,000.00 USD"
    page = admin_client.get("/contacts/").content.decode()
    assert "0 Datensätze" in page


def test_kanban_totals_are_per_currency(admin_client, admin_user, seeded):
    stage = Stage.objects.get(pipeline__is_default=True, code="NEW")
    for amount, currency in ((10000, "EUR"), (2500, "EUR"), (3000, "USD"), (700, "GBP")):
        services.deal_create(actor=admin_user, data={"title": f"D {amount}", "opportunity": Decimal(amount),
                                                     "currency": currency, "stage_id": stage.pk})
    html = admin_client.get("/deals/").content.decode()
    stats = html[html.index(f'id="stats-deal-{stage.pk}"'):]
    stats = stats[:stats.index("</p>")]
    assert "12.500,00 EUR · 700,00 GBP · 3.000,00 USD" in stats
    assert "16.200" not in stats  # never one mixed figure


def test_kanban_cards_show_responsible_and_next_activity_without_n_plus_one(admin_client, admin_user, seeded):
    from datetime import timedelta

    from django.utils import timezone

    stages = list(Stage.objects.filter(pipeline__is_default=True, semantic="process").order_by("sort")[:2])
    deals = []
    for i in range(6):
        deal = services.deal_create(actor=admin_user, data={"title": f"Deal {i}", "stage_id": stages[i % 2].pk})
        deals.append(deal)
    services.activity_create(actor=admin_user, data={
        "type": "call", "subject": "Rückruf alt", "deadline": timezone.now() - timedelta(days=2),
        "bindings": [{"entity": "deal", "id": deals[0].pk}]})
    services.activity_create(actor=admin_user, data={
        "type": "call", "subject": "Angebot später", "deadline": timezone.now() + timedelta(days=3),
        "bindings": [{"entity": "deal", "id": deals[1].pk}]})
    pipeline = stages[0].pipeline

    def board_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            deal_columns(pipeline, user=admin_user) if _takes_user() else deal_columns(pipeline)
        return len(queries)

    few = board_queries()
    for i in range(12):  # twice as many cards, each with an activity: no more queries
        deal = services.deal_create(actor=admin_user, data={"title": f"More {i}", "stage_id": stages[i % 2].pk})
        services.activity_create(actor=admin_user, data={"type": "task", "subject": f"Aufgabe {i}",
                                                         "bindings": [{"entity": "deal", "id": deal.pk}]})
    assert board_queries() == few

    html = admin_client.get("/deals/").content.decode()
    card = html[html.index(f'data-testid="deal-{deals[0].pk}"'):]
    card = card[:card.index("</article>")]
    assert admin_user.display_name in card
    assert "Überfällig" in card and "Rückruf alt" in card
    card = html[html.index(f'data-testid="deal-{deals[1].pk}"'):]
    card = card[:card.index("</article>")]
    assert "Angebot später" in card and "Überfällig" not in card


def _takes_user() -> bool:
    import inspect

    return "user" in inspect.signature(deal_columns).parameters


def test_won_and_lost_are_drop_zones_not_columns(admin_client, admin_user, seeded):
    won = Stage.objects.filter(pipeline__is_default=True, semantic="success").first()
    lost = Stage.objects.filter(pipeline__is_default=True, semantic="failure").first()
    services.deal_create(actor=admin_user, data={"title": "Gewonnen", "stage_id": won.pk, "opportunity": "900"})
    html = admin_client.get("/deals/").content.decode()
    zones = html[html.index('data-testid="drop-zones"'):]
    assert f'data-testid="column-{won.pk}"' in zones and f'data-testid="column-{lost.pk}"' in zones
    assert "Gewonnen" not in html  # the won deal's card is not on the board; the zone counts it
    assert "900,00 EUR" in zones
