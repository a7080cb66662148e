"""The real PyPI clients, unchanged, against a live Kontor.

- fast-bitrix24: ``get_all`` past 50 rows, ``call`` with a list of items, ``call_batch`` with
  ``$result`` references (http);
- bitrix24-rest: ``callMethod`` GET paging (http);
- b24pysdk over https with a throwaway trustme certificate: ``as_list()``, ``as_list_fast()``,
  batch, and its error classes.
"""

from __future__ import annotations

import logging
from decimal import Decimal

import pytest
import trustme

from kontor.bitrix.services import webhook_create, webhook_path
from kontor.crm.models import CrmSettings, Deal, Lead, Pipeline

from .live import start_tls_server, stop_tls_server

pytestmark = pytest.mark.django_db(transaction=True)


def _classic() -> None:
    settings = CrmSettings.load()
    settings.mode = "classic"
    settings.save()


def _leads(n: int, prefix: str = "Lead") -> None:
    Lead.objects.bulk_create([Lead(title=f"{prefix} {i:03d}", status_id="NEW") for i in range(n)])


def _deals(n: int) -> None:
    pipeline = Pipeline.objects.get(is_default=True)
    stage = pipeline.stages.get(code="NEW")
    Deal.objects.bulk_create([Deal(title=f"Deal {i:03d}", pipeline=pipeline, stage=stage,
                                   opportunity=Decimal(i)) for i in range(n)])


@pytest.fixture
def hook_url(live_server, seeded, admin_user) -> str:
    webhook, raw = webhook_create(user=admin_user)
    return live_server.url + webhook_path(webhook, raw)


@pytest.fixture(autouse=True)
def _quiet_clients():
    logging.getLogger("fast_bitrix24").setLevel(logging.WARNING)


# --- fast-bitrix24 -------------------------------------------------------------------------------


def test_fast_bitrix24_get_all_pages_past_50(hook_url):
    from fast_bitrix24 import Bitrix

    _classic()
    _leads(123)
    bx = Bitrix(hook_url, verbose=False)
    rows = bx.get_all("crm.lead.list", {"select": ["ID", "TITLE"], "filter": {"%TITLE": "Lead"}})
    assert len(rows) == 123
    assert {r["TITLE"] for r in rows} == {f"Lead {i:03d}" for i in range(123)}
    assert all(isinstance(r["ID"], str) for r in rows)


def test_fast_bitrix24_call_with_list_of_items_and_multifields(hook_url):
    from fast_bitrix24 import Bitrix

    _classic()
    bx = Bitrix(hook_url, verbose=False)
    items = [{"fields": {"TITLE": f"x+y {i}", "OPENED": True,
                         "PHONE": [{"VALUE": f"+49 30 123456{i}", "VALUE_TYPE": "WORK"}]}} for i in range(3)]
    ids = bx.call("crm.lead.add", items)
    assert len(ids) == 3 and all(isinstance(i, int) for i in ids)
    lead = bx.call("crm.lead.get", {"ID": ids[1]}, raw=True)["result"]  # raw: one direct POST
    assert lead["TITLE"] == "x+y 1"  # '+' survives the double encoding of batch commands
    assert lead["PHONE"][0]["VALUE"] == "+49 30 1234561"
    assert lead["PHONE"][0]["VALUE_TYPE"] == "WORK"


def test_fast_bitrix24_call_batch_with_result_references(hook_url):
    from fast_bitrix24 import Bitrix

    _classic()
    bx = Bitrix(hook_url, verbose=False)
    result = bx.call_batch({
        "halt": 0,
        "cmd": {
            "company": "crm.company.add?fields[TITLE]=ACME GmbH",
            "contact": "crm.contact.add?fields[NAME]=Ada&fields[COMPANY_ID]=$result[company]",
            "deal": "crm.deal.add?fields[TITLE]=Order&fields[CONTACT_ID]=$result[contact]"
                    "&fields[COMPANY_ID]=$result[company]",
            "read": "crm.deal.get?id=$result[deal]",
        },
    })
    assert result["read"]["COMPANY_ID"] == str(result["company"])
    assert result["read"]["CONTACT_ID"] == str(result["contact"])
    assert Deal.objects.get(pk=result["deal"]).contact_id == result["contact"]


def test_fast_bitrix24_deal_list_by_filter(hook_url):
    from fast_bitrix24 import Bitrix

    _deals(75)
    bx = Bitrix(hook_url, verbose=False)
    rows = bx.get_all("crm.deal.list", {"filter": {"CATEGORY_ID": 0, ">=OPPORTUNITY": 10},
                                        "select": ["ID", "OPPORTUNITY", "STAGE_ID"]})
    assert len(rows) == 65
    assert {r["STAGE_ID"] for r in rows} == {"NEW"}


# --- bitrix24-rest -------------------------------------------------------------------------------


def test_bitrix24_rest_get_paging(hook_url):
    from bitrix24 import Bitrix24

    _classic()
    _leads(110)
    bx = Bitrix24(hook_url)
    rows = bx.callMethod("crm.lead.list", {"select": ["ID", "TITLE"], "order": {"ID": "ASC"}})
    assert len(rows) == 110
    assert [int(r["ID"]) for r in rows] == sorted(int(r["ID"]) for r in rows)


def test_bitrix24_rest_add_and_error(hook_url):
    from bitrix24 import Bitrix24, BitrixError

    _classic()
    bx = Bitrix24(hook_url)
    lead_id = bx.callMethod("crm.lead.add", {"fields": {"TITLE": "Via GET", "NAME": "Grace"}})
    assert bx.callMethod("crm.lead.get", {"id": lead_id})["NAME"] == "Grace"
    assert bx.callMethod("crm.settings.mode.get") == 1
    with pytest.raises(BitrixError):
        bx.callMethod("crm.lead.get", {"id": 999999})


# --- b24pysdk over https -------------------------------------------------------------------------


@pytest.fixture
def b24(seeded, admin_user, tmp_path, monkeypatch):
    """A b24pysdk client talking https to an in-process TLS Kontor with a trustme certificate."""
    from b24pysdk import BitrixWebhook, Client

    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(ca_file))
    context = __import__("ssl").create_default_context(__import__("ssl").Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    thread = start_tls_server(context)
    _, raw = webhook_create(user=admin_user)
    client = Client(BitrixWebhook(domain=f"127.0.0.1:{thread.port}", webhook_token=f"{admin_user.pk}/{raw}"))
    client.domain, client.token = f"127.0.0.1:{thread.port}", f"{admin_user.pk}/{raw}"
    client.bad = Client(BitrixWebhook(domain=f"127.0.0.1:{thread.port}", webhook_token=f"{admin_user.pk}/wrong"))
    yield client
    stop_tls_server(thread)


def test_b24pysdk_as_list_pages_with_next(b24):
    _classic()
    _leads(130)
    rows = list(b24.crm.lead.list(select=["ID", "TITLE"]).as_list().result)
    assert len(rows) == 130
    assert len({r["ID"] for r in rows}) == 130


def test_b24pysdk_as_list_fast_uses_id_window_and_result_references(b24):
    _deals(180)
    rows = list(b24.crm.deal.list(select=["ID", "TITLE"], filter={"CATEGORY_ID": 0}).as_list_fast().result)
    assert len(rows) == 180
    ids = [int(r["ID"]) for r in rows]
    assert ids == sorted(ids) and len(set(ids)) == 180


def test_b24pysdk_as_list_fast_exact_multiple_of_50(b24):
    _deals(100)
    rows = list(b24.crm.deal.list(select=["ID"]).as_list_fast().result)
    assert len(rows) == 100


def test_b24pysdk_crud_and_batch(b24):
    _classic()
    lead_id = b24.crm.lead.add(fields={"TITLE": "SDK lead", "EMAIL": [{"VALUE": "Ada@Example.org",
                                                                        "VALUE_TYPE": "WORK"}]}).result
    assert isinstance(lead_id, int)
    lead = b24.crm.lead.get(bitrix_id=lead_id).result
    assert lead["TITLE"] == "SDK lead" and lead["EMAIL"][0]["VALUE"] == "Ada@Example.org"
    assert b24.crm.lead.update(bitrix_id=lead_id, fields={"TITLE": "Renamed"}).result is True
    batch = b24.call_batch({
        "mode": b24.crm.settings.mode.get(),
        "get": b24.crm.lead.get(bitrix_id=lead_id),
        "missing": b24.crm.lead.get(bitrix_id=999999),
    }).response
    assert batch.result.result["mode"] == 1
    assert batch.result.result["get"]["TITLE"] == "Renamed"
    assert "missing" in batch.result.result_error


def test_b24pysdk_error_classes(b24):
    from b24pysdk import BitrixWebhook
    from b24pysdk.errors import BitrixAPIBadRequest, BitrixAPIInvalidCredentials, BitrixAPINotFound

    with pytest.raises(BitrixAPIBadRequest):
        b24.crm.lead.get(bitrix_id=999999).call()
    with pytest.raises(BitrixAPIInvalidCredentials):
        b24.bad.crm.lead.get(bitrix_id=1).call()
    with pytest.raises(BitrixAPINotFound):
        BitrixWebhook(domain=b24.domain, webhook_token=b24.token).call_method("crm.nothing.here")


@pytest.fixture
def fresh_event_loop():
    """fast-bitrix24's sync calls run on the current event loop; a client test before may have closed it."""
    import asyncio

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    yield loop
    loop.close()


def test_fast_bitrix24_issue_10_user_field_utm_origin_address_and_switch(hook_url, admin_user, fresh_event_loop):
    """Issue 10's acceptance scenario through the real client: define UF_CRM_SHOP_ORDER, post a lead
    with it, UTM_SOURCE, ORIGIN_ID and an address, read every value back, filter by each, switch to
    simple mode and find the values on the deal."""
    from fast_bitrix24 import Bitrix

    from kontor.modes.jobs import switch_run
    from kontor.modes.services import crm_mode_switch

    _classic()
    bx = Bitrix(hook_url, verbose=False)
    field_id = bx.call("crm.lead.userfield.add", {"fields": {
        "FIELD_NAME": "SHOP_ORDER", "USER_TYPE_ID": "string", "EDIT_FORM_LABEL": {"de": "Bestellung", "en": "Order"},
    }}, raw=True)["result"]
    assert isinstance(field_id, int)
    assert bx.call("crm.lead.userfield.get", {"id": field_id}, raw=True)["result"]["FIELD_NAME"] == "UF_CRM_SHOP_ORDER"
    values = {"TITLE": "Bestellung SO-4711", "NAME": "Ada", "UF_CRM_SHOP_ORDER": "SO-4711",
              "UTM_SOURCE": "newsletter", "ORIGIN_ID": "shop-4711", "ADDRESS": "Hauptstraße 1",
              "ADDRESS_POSTAL_CODE": "10115", "ADDRESS_CITY": "Berlin", "ADDRESS_COUNTRY": "Deutschland"}
    lead_id = bx.call("crm.lead.add", {"fields": values}, raw=True)["result"]
    other = bx.call("crm.lead.add", {"fields": {"TITLE": "Other", "UF_CRM_SHOP_ORDER": "SO-1",
                                                "UTM_SOURCE": "google", "ORIGIN_ID": "shop-1"}}, raw=True)["result"]
    lead = bx.call("crm.lead.get", {"ID": lead_id}, raw=True)["result"]
    assert {k: lead[k] for k in values} == values
    for flt in ({"UF_CRM_SHOP_ORDER": "SO-4711"}, {"UTM_SOURCE": "newsletter"}, {"ORIGIN_ID": "shop-4711"},
                {"ADDRESS_CITY": "Berlin"}, {"%UF_CRM_SHOP_ORDER": "4711"}):
        rows = bx.get_all("crm.lead.list", {"filter": flt, "select": ["ID", "UF_CRM_SHOP_ORDER"]})
        assert [(int(r["ID"]), r["UF_CRM_SHOP_ORDER"]) for r in rows] == [(lead_id, "SO-4711")], flt
    assert [int(r["ID"]) for r in bx.get_all("crm.lead.list", {"filter": {"!UTM_SOURCE": "newsletter"}})] == [other]

    # Switch to simple mode (the wizard's default creates the deal's missing field): the values are on the deal.
    switch = crm_mode_switch(actor=admin_user, mode="simple")
    switch_run(switch.pk)
    deals = bx.get_all("crm.deal.list", {"filter": {"LEAD_ID": lead_id},
                                         "select": ["ID", "UF_*", "UTM_SOURCE", "ORIGIN_ID"]})
    assert len(deals) == 1
    assert deals[0]["UF_CRM_SHOP_ORDER"] == "SO-4711" and deals[0]["UTM_SOURCE"] == "newsletter"
    assert deals[0]["ORIGIN_ID"] == "shop-4711"
    found = bx.get_all("crm.deal.list", {"filter": {"UF_CRM_SHOP_ORDER": "SO-4711"}, "select": ["ID"]})
    assert [r["ID"] for r in found] == [deals[0]["ID"]]
    contact = bx.call("crm.contact.get", {"ID": Deal.objects.get(pk=deals[0]["ID"]).contact_id}, raw=True)["result"]
    assert (contact["ADDRESS"], contact["ADDRESS_CITY"]) == ("Hauptstraße 1", "Berlin")
