"""Fixtures of the web UI tests: logged-in clients, sample records, and a real Chromium.

The browser tests drive Debian's Chromium through Playwright's sync API against pytest-django's
``live_server``. Without Chromium they are skipped with a message, except under CI
(``KONTOR_CI=1``), where a missing browser is a failure.
"""

from __future__ import annotations

import importlib
from decimal import Decimal

import pytest
from django.apps import apps as django_apps
from django.test import Client

from kontor.crm import services
from kontor.crm.enums import CrmMode
from kontor.crm.models import CrmSettings, Pipeline

# The session's one Chromium (fixture ``browser``) lives in tests/conftest.py: a second Playwright
# instance in the same thread fails ("Sync API inside the asyncio loop").

def ensure_seed() -> None:
    """The rows a new installation gets from the seed migration (a transactional test's flush
    removes them)."""
    if not Pipeline.objects.exists():
        seed = importlib.import_module("kontor.crm.migrations.0002_seed_defaults").seed
        seed(django_apps, None)


def set_mode(mode: str) -> None:
    settings = CrmSettings.load()
    settings.mode = mode
    settings.save(update_fields=["mode"])


@pytest.fixture
def seeded(db):
    ensure_seed()


@pytest.fixture
def admin_client(admin_user, seeded) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


@pytest.fixture
def manager_client(manager_user, seeded) -> Client:
    client = Client()
    client.force_login(manager_user)
    return client


@pytest.fixture
def classic(seeded):
    set_mode(CrmMode.CLASSIC)


@pytest.fixture
def sample(admin_user, seeded):
    """A company with a contact, a deal for them, and an open activity on the deal."""
    company = services.company_create(actor=admin_user, data={"title": "Müller GmbH", "phones": ["+49 30 1234567"]})
    contact = services.contact_create(actor=admin_user, data={
        "name": "Anna", "last_name": "Schmidt", "company_id": company.pk, "emails": ["anna@mueller.example"],
        "phones": ["030 7654321"]})
    deal = services.deal_create(actor=admin_user, data={
        "title": "Website-Relaunch", "opportunity": Decimal("12500"), "contact_id": contact.pk,
        "company_id": company.pk})
    activity = services.activity_create(actor=admin_user, data={
        "type": "call", "subject": "Angebot besprechen", "bindings": [{"entity": "deal", "id": deal.pk}]})
    return {"company": company, "contact": contact, "deal": deal, "activity": activity}


# --- the browser ---------------------------------------------------------------------------------


@pytest.fixture
def live(live_server, transactional_db):
    """The live server with a freshly seeded database (a transactional test starts empty)."""
    ensure_seed()
    return live_server


def _new_page(browser, live, *, locale: str = "de-DE", viewport=None, device_scale_factor: float = 1):
    context = browser.new_context(locale=locale, viewport=viewport or {"width": 1280, "height": 800},
                                  base_url=live.url, device_scale_factor=device_scale_factor)
    context.set_default_timeout(15_000)
    return context, context.new_page()


@pytest.fixture
def page(browser, live):
    context, page = _new_page(browser, live)
    yield page
    context.close()


@pytest.fixture
def new_page(browser, live):
    contexts = []

    def make(**kwargs):
        context, page = _new_page(browser, live, **kwargs)
        contexts.append(context)
        return page

    yield make
    for context in contexts:
        context.close()


def login(page, username: str, password: str) -> None:
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit] >> nth=0")
    page.wait_for_selector("nav.mainnav")


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Users are created per test; a cheap hasher keeps that from dominating the run time."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
