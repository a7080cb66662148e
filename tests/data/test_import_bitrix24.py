"""``kontor import_bitrix24``: a second Kontor, filled by ``kontor demo`` and served by gunicorn on its
own SQLite file, is the source portal (Kontor's facade speaks Bitrix24's REST API); the test database
is the target. Checked: records and their links, custom fields with list items, pipelines and stages,
users as inactive accounts, product rows, activities with their times, comments, the CRM mode, the
dry run, and that a second run changes nothing while a change at the source is carried over."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from io import StringIO

import pytest
import requests
from django.core.management import call_command

from kontor.crm.models import Activity, Company, Contact, Deal, Lead, Pipeline, TimelineEntry
from kontor.data.bitrix24 import SourcePortal, php_query
from kontor.data.models import BitrixImportMap

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _kontor(env: dict, *args: str) -> str:
    return subprocess.run([sys.executable, "-m", "kontor", *args], env=env, capture_output=True, text=True,
                          timeout=300, check=True).stdout


class Source:
    """The source portal: its webhook URL and a small caller."""

    def __init__(self, url: str) -> None:
        self.url = url

    def __call__(self, method: str, params: dict | None = None):
        answer = requests.post(self.url + method + ".json", json=params or {}, timeout=30)
        assert answer.status_code == 200, answer.text
        return answer.json()["result"]


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("portal")
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp / 'portal.sqlite3'}", "KONTOR_VAR_DIR": str(tmp),
           "KONTOR_LOG_LEVEL": "WARNING"}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    _kontor(env, "migrate", "--noinput", "-v", "0")
    _kontor(env, "demo", "--seed", "7")
    path = _kontor(env, "create_webhook", "migrator", "--admin").strip().splitlines()[-1]
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "kontor", "serve", "--bind", f"127.0.0.1:{port}",
                               "--workers", "1", "--no-worker"], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                requests.get(base + "/healthz", timeout=1)
                break
            except requests.exceptions.RequestException:
                time.sleep(0.1)
        portal = Source(base + path)
        # What the demo does not have: custom fields with values, products with rows, a comment, an
        # activity with its own start and end and the caller's number.
        portal("crm.deal.userfield.add", {"fields": {"FIELD_NAME": "UF_CRM_REGION", "USER_TYPE_ID": "enumeration",
                                                     "EDIT_FORM_LABEL": "Region",
                                                     "LIST": [{"VALUE": "Nord"}, {"VALUE": "Süd"}]}})
        portal("crm.contact.userfield.add", {"fields": {"FIELD_NAME": "UF_CRM_KDNR", "USER_TYPE_ID": "string",
                                                        "EDIT_FORM_LABEL": "Kundennummer"}})
        region = portal("crm.deal.userfield.list", {"filter": {"FIELD_NAME": "UF_CRM_REGION"}})[0]
        sued = next(i["ID"] for i in region["LIST"] if i["VALUE"] == "Süd")
        deal = portal("crm.deal.list", {"filter": {"!CATEGORY_ID": 0}, "order": {"ID": "ASC"}})[0]
        contact = portal("crm.contact.list", {"order": {"ID": "ASC"}})[0]
        portal("crm.deal.update", {"id": deal["ID"], "fields": {"UF_CRM_REGION": sued}})
        portal("crm.contact.update", {"id": contact["ID"], "fields": {"UF_CRM_KDNR": "K-4711"}})
        product = portal("crm.product.add", {"fields": {"NAME": "Wartung", "PRICE": 120, "CURRENCY_ID": "EUR"}})
        portal("crm.deal.productrows.set", {"id": deal["ID"], "rows": [
            {"PRODUCT_ID": product, "PRICE": 120, "QUANTITY": 3},
            {"PRODUCT_NAME": "Anfahrt", "PRICE": 45.5, "QUANTITY": 1}]})
        lead = portal("crm.lead.add", {"fields": {"TITLE": "Angebot Wartungsvertrag", "NAME": "Lena"}})
        portal("crm.lead.productrows.set", {"id": lead, "rows": [
            {"PRODUCT_ID": product, "PRICE": 110, "QUANTITY": 12, "MEASURE_NAME": "Monat"}]})
        portal("crm.timeline.comment.add", {"fields": {"ENTITY_TYPE": "deal", "ENTITY_ID": deal["ID"],
                                                       "COMMENT": "Kunde ruft zurück"}})
        portal("crm.activity.add", {"fields": {
            "OWNER_TYPE_ID": 3, "OWNER_ID": contact["ID"], "TYPE_ID": 2, "SUBJECT": "Rückruf", "DIRECTION": 1,
            "START_TIME": "2030-05-01T10:00:00+02:00", "END_TIME": "2030-05-01T10:05:00+02:00",
            "COMMUNICATIONS": [{"VALUE": "+4930123456", "TYPE": "PHONE", "ENTITY_TYPE_ID": 3,
                                "ENTITY_ID": contact["ID"]}]}})
        portal.deal, portal.contact, portal.lead = deal, contact, lead  # type: ignore[attr-defined]
        yield portal
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()


def _run(source: Source, *extra: str) -> str:
    out = StringIO()
    call_command("import_bitrix24", source.url, "--rate", "1000", "--burst", "1000", *extra, stdout=out)
    return out.getvalue()


def _mine(kind: str, source_id: str) -> int:
    return BitrixImportMap.objects.get(kind=kind, source_id=source_id).target_id


def _count(source: Source, method: str) -> int:
    return int(requests.post(source.url + method + ".json", json={}, timeout=30).json()["total"])


def test_copies_a_portal_and_a_second_run_changes_nothing(source, admin_user):
    dry = _run(source, "--dry-run")
    assert "dry run" in dry and Contact.objects.count() == 0 and Deal.objects.count() == 0

    first = _run(source)
    assert "0 not copied" in first, first
    for model, method in ((Company, "crm.company.list"), (Contact, "crm.contact.list"), (Lead, "crm.lead.list"),
                          (Deal, "crm.deal.list")):
        assert model.objects.count() == _count(source, method), method

    # Records keep their fields and links (found through the import's map: ids differ between the two).
    for row in source("crm.deal.list", {"select": ["ID", "TITLE", "OPPORTUNITY", "STAGE_ID", "CATEGORY_ID",
                                                   "COMPANY_ID", "ASSIGNED_BY_ID"], "start": 0}):
        mine = Deal.objects.get(pk=_mine("deal", row["ID"]))
        assert mine.title == row["TITLE"]
        if row["COMPANY_ID"]:
            company = source("crm.company.get", {"id": row["COMPANY_ID"]})
            assert mine.company.title == company["TITLE"]
        if row["CATEGORY_ID"] != "0":
            pipeline = next(c for c in source("crm.category.list", {"entityTypeId": 2})["categories"]
                            if str(c["id"]) == row["CATEGORY_ID"])
            assert mine.pipeline.name == pipeline["name"]
        assert mine.stage.code == row["STAGE_ID"].split(":")[-1]
        owner = source("user.get", {"ID": row["ASSIGNED_BY_ID"]})[0]
        assert mine.assigned.email == owner["EMAIL"]
    assert Pipeline.objects.count() == len(source("crm.category.list", {"entityTypeId": 2})["categories"])

    deal = Deal.objects.get(pk=_mine("deal", source.deal["ID"]))
    contacts = source("crm.deal.contact.items.get", {"id": source.deal["ID"]})
    assert sorted(deal.contacts.values_list("name", flat=True)) == sorted(
        source("crm.contact.get", {"id": c["CONTACT_ID"]})["NAME"] for c in contacts)
    from kontor.crm.models import CustomFieldItem

    assert CustomFieldItem.objects.get(pk=deal.uf["uf_crm_region"]).value == "Süd"
    assert Contact.objects.get(uf__uf_crm_kdnr="K-4711").name == source.contact["NAME"]
    rows = deal.product_rows.order_by("sort", "id")
    assert [(r.product_name, int(r.quantity)) for r in rows] == [("Wartung", 3), ("Anfahrt", 1)]
    assert rows[0].product.name == "Wartung"
    lead = Lead.objects.get(pk=_mine("lead", str(source.lead)))
    assert [(r.product.name, r.product_name, int(r.quantity), r.measure) for r in lead.product_rows.all()] == [
        ("Wartung", "Wartung", 12, "Monat")]
    assert lead.opportunity == 1320
    assert TimelineEntry.objects.filter(kind="comment", entity_id=deal.pk, data__text="Kunde ruft zurück").exists()

    call = Activity.objects.get(subject="Rückruf")
    assert call.start_time != call.end_time and call.communications[0]["value"] == "+4930123456"
    assert call.owner_id == Contact.objects.get(uf__uf_crm_kdnr="K-4711").pk
    assert Activity.objects.count() == _count(source, "crm.activity.list")

    # Users: the demo's managers arrive inactive, matched by e-mail on the next run.
    owner = deal.assigned
    assert owner is not None and not owner.is_active

    # The second run writes nothing; a change at the source is carried over, and nothing doubles.
    before = TimelineEntry.objects.count()
    second = _run(source)
    assert " 0 created, 0 updated" in second.splitlines()[-1], second
    assert TimelineEntry.objects.count() == before
    source("crm.contact.update", {"id": source.contact["ID"], "fields": {
        "LAST_NAME": "Umbenannt", "PHONE": [{"VALUE": "+49 40 999999", "VALUE_TYPE": "MOBILE"}]}})
    third = _run(source)
    assert "contacts: 0 created, 1 updated" in third, third
    changed = Contact.objects.get(uf__uf_crm_kdnr="K-4711")
    assert changed.last_name == "Umbenannt"
    from kontor.crm.models import Communication

    phones = Communication.objects.filter(entity_type=3, entity_id=changed.pk, type="PHONE")
    at_source = source("crm.contact.get", {"id": source.contact["ID"]})["PHONE"]  # an item without ID adds
    assert ("+49 40 999999", "MOBILE") in {(p["VALUE"], p["VALUE_TYPE"]) for p in at_source}
    assert sorted(phones.values_list("value", "value_type")) == sorted((p["VALUE"], p["VALUE_TYPE"])
                                                                       for p in at_source)
    assert Contact.objects.count() == _count(source, "crm.contact.list")


def test_webhook_url_is_checked(admin_user):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="rest/USER_ID/SECRET"):
        call_command("import_bitrix24", "https://portal.example/nothing/", stdout=StringIO())


def test_rate_limit_and_query_limit_exceeded_are_respected(monkeypatch):
    """The portal answers QUERY_LIMIT_EXCEEDED twice: the client waits and retries, then succeeds."""
    import io
    import urllib.error

    waits: list[float] = []
    answers = iter([503, 503, 200])

    class Response(io.BytesIO):
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    def fake_urlopen(request, timeout, context):
        status = next(answers)
        if status == 503:
            body = io.BytesIO(b'{"error": "QUERY_LIMIT_EXCEEDED", "error_description": "Too many requests"}')
            raise urllib.error.HTTPError(request.full_url, 503, "busy", {}, body)  # type: ignore[arg-type]
        return Response(b'{"result": 2}')

    monkeypatch.setattr("urllib.request.urlopen", fake_urlopen)
    portal = SourcePortal("https://portal.example/rest/1/secret/", rate=2, burst=1, sleep=waits.append)
    assert portal.result("crm.settings.mode.get") == 2
    assert portal.requests == 3
    assert waits[:1] == [1.0] and 2.0 in waits  # back-off doubles
    assert php_query({"filter": {">ID": 5}, "select": ["ID", "UF_*"]}) == [
        ("filter[>ID]", "5"), ("select[0]", "ID"), ("select[1]", "UF_*")]
