"""Integration flows through the real PyPI clients, unchanged, against a live Kontor (issue 14):

- a website form posts a lead whose phone field holds text ("call me after 5pm"): stored as typed;
- a PBX connector reports a call from a known number, sent without ``+``: the call activity lands on
  that contact, is finished with its duration and gets the recording link;
- an n8n-style connection check and read: ``app.info``, ``user.current``, ``crm.item.list``.

fast-bitrix24 and bitrix24-rest talk http (a generic ``call``); b24pysdk talks https and uses its own
method wrappers (``client.user.current()``, ``client.telephony.external_call.register(…)``, …).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import pytest

from kontor.bitrix.services import webhook_create, webhook_path
from kontor.crm.enums import ActivityType, EntityType
from kontor.crm.models import Activity, ActivityBinding, Communication, CrmSettings, Lead

from .test_clients import b24  # noqa: F401  (the https b24pysdk fixture)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _quiet_clients():
    logging.getLogger("fast_bitrix24").setLevel(logging.WARNING)


@pytest.fixture
def hook_url(live_server, seeded, admin_user) -> str:
    settings = CrmSettings.load()
    settings.mode = "classic"
    settings.save()
    webhook, raw = webhook_create(user=admin_user)
    return live_server.url + webhook_path(webhook, raw)


def _fast(hook_url: str) -> Callable[[str, dict[str, Any]], Any]:
    from fast_bitrix24 import Bitrix

    asyncio.set_event_loop(asyncio.new_event_loop())  # its sync calls run on the current loop
    bx = Bitrix(hook_url, verbose=False)
    return lambda method, params: bx.call(method, params, raw=True)["result"]


def _bitrix24_rest(hook_url: str) -> Callable[[str, dict[str, Any]], Any]:
    from bitrix24 import Bitrix24

    bx = Bitrix24(hook_url)
    return lambda method, params: bx.callMethod(method, params)


CLIENTS = {"fast-bitrix24": _fast, "bitrix24-rest": _bitrix24_rest}


@pytest.mark.parametrize("client", list(CLIENTS))
def test_web_form_lead_with_a_junk_phone(hook_url, client):
    call = CLIENTS[client](hook_url)
    lead_id = call("crm.lead.add", {"fields": {
        "TITLE": "Kontaktformular", "NAME": "Erika",
        "PHONE": [{"VALUE": "call me after 5pm", "VALUE_TYPE": "WORK"}],
        "EMAIL": [{"VALUE": "erika(at)example.org", "VALUE_TYPE": "WORK"}]}})
    lead = call("crm.lead.get", {"id": lead_id})
    assert lead["PHONE"][0]["VALUE"] == "call me after 5pm"
    assert lead["EMAIL"][0]["VALUE"] == "erika(at)example.org"
    assert set(Communication.objects.filter(entity_id=lead_id).values_list("normalized", flat=True)) == {""}


@pytest.mark.parametrize("client", list(CLIENTS))
def test_pbx_call_lands_on_the_right_contact(hook_url, client, admin_user):
    call = CLIENTS[client](hook_url)
    # "00" rather than "+": bitrix24-rest sends values unencoded in the query, where "+" reads as a space.
    other = call("crm.contact.add", {"fields": {"NAME": "Other", "PHONE": [{"VALUE": "0049 30 1111111"}]}})
    ivan = call("crm.contact.add", {"fields": {"NAME": "Ivan", "PHONE": [{"VALUE": "007 900 123-45-67"}]}})
    reg = call("telephony.externalcall.register", {"USER_ID": admin_user.pk, "PHONE_NUMBER": "79001234567",
                                                   "TYPE": 2, "CALL_START_DATE": "2026-12-05T10:00:00+01:00"})
    assert (reg["CRM_ENTITY_TYPE"], reg["CRM_ENTITY_ID"]) == ("CONTACT", ivan) and ivan != other
    done = call("telephony.externalcall.finish", {"CALL_ID": reg["CALL_ID"], "USER_ID": admin_user.pk,
                                                  "DURATION": 42, "STATUS_CODE": "200"})
    call("telephony.externalcall.attachRecord", {"CALL_ID": reg["CALL_ID"], "FILENAME": "r.mp3",
                                                 "RECORD_URL": "https://pbx.example/r.mp3"})
    activity = Activity.objects.get(pk=done["CRM_ACTIVITY_ID"])
    assert activity.type == ActivityType.CALL and activity.completed
    assert "42 s" in activity.description and "https://pbx.example/r.mp3" in activity.description
    assert list(ActivityBinding.objects.filter(activity=activity).values_list("entity_type", "entity_id")) == [
        (EntityType.CONTACT, ivan)]
    found = call("crm.activity.list", {"filter": {"OWNER_TYPE_ID": 3, "OWNER_ID": ivan}, "select": ["ID"]})
    assert [int(a["ID"]) for a in found] == [activity.pk]


@pytest.mark.parametrize("client", list(CLIENTS))
def test_n8n_style_connection_check_and_item_list(hook_url, client, admin_user):
    call = CLIENTS[client](hook_url)
    assert call("app.info", {})["INSTALLED"] is True
    assert call("user.current", {})["ID"] == str(admin_user.pk)
    deal = call("crm.item.add", {"entityTypeId": 2, "fields": {"title": "From n8n", "opportunity": 99}})["item"]
    items = call("crm.item.list", {"entityTypeId": 2, "select": ["id", "title", "opportunity"]})
    items = items["items"] if isinstance(items, dict) else items
    assert items == [{"id": deal["id"], "title": "From n8n", "opportunity": 99.0}]


def test_b24pysdk_flows(b24, admin_user):  # noqa: F811
    settings = CrmSettings.load()
    settings.mode = "classic"
    settings.save()
    # web form with a junk phone
    lead_id = b24.crm.lead.add(fields={"TITLE": "Form", "PHONE": [{"VALUE": "ask for Anna", "VALUE_TYPE": "WORK"}]}
                               ).result
    assert Lead.objects.get(pk=lead_id).title == "Form"
    assert b24.crm.lead.get(bitrix_id=lead_id).result["PHONE"][0]["VALUE"] == "ask for Anna"
    # PBX call
    contact = b24.crm.contact.add(fields={"NAME": "Ivan", "PHONE": [{"VALUE": "+7 900 123-45-67"}]}).result
    reg = b24.telephony.external_call.register("79001234567", 2, user_id=admin_user.pk).result
    assert (reg["CRM_ENTITY_TYPE"], reg["CRM_ENTITY_ID"]) == ("CONTACT", contact)
    done = b24.telephony.external_call.finish(reg["CALL_ID"], user_id=admin_user.pk, duration=7).result
    assert Activity.objects.get(pk=done["CRM_ACTIVITY_ID"]).completed
    # timeline comment and the n8n-style reads
    comment = b24.crm.timeline.comment.add(fields={"ENTITY_ID": contact, "ENTITY_TYPE": "contact",
                                                   "COMMENT": "Called back"}).result
    assert isinstance(comment, int)
    assert b24.app.info().result["INSTALLED"] is True
    assert b24.user.current().result["ID"] == str(admin_user.pk)
    items = b24.crm.item.list(3, select=["id", "name"]).result
    items = items["items"] if isinstance(items, dict) else items
    assert [i["name"] for i in items] == ["Ivan"]


def test_fast_bitrix24_shop_order_becomes_a_deal_with_product_rows(hook_url):
    """A shop's order export in one batch: product, contact, deal, its rows — then the amount."""
    from fast_bitrix24 import Bitrix

    from kontor.crm.models import Deal

    asyncio.set_event_loop(asyncio.new_event_loop())
    bx = Bitrix(hook_url, verbose=False)
    result = bx.call_batch({"halt": 1, "cmd": {
        "product": "crm.product.add?fields[NAME]=Espresso machine&fields[PRICE]=499&fields[CURRENCY_ID]=EUR",
        "contact": "crm.contact.add?fields[NAME]=Ada&fields[EMAIL][0][VALUE]=ada@example.org",
        "deal": "crm.deal.add?fields[TITLE]=Order 1001&fields[CONTACT_ID]=$result[contact]",
        "rows": "crm.deal.productrows.set?id=$result[deal]&rows[0][PRODUCT_ID]=$result[product]"
                "&rows[0][QUANTITY]=2&rows[1][PRODUCT_NAME]=Shipping&rows[1][PRICE]=5.90",
        "read": "crm.deal.get?id=$result[deal]",
    }})
    assert result["rows"] is True
    assert result["read"]["OPPORTUNITY"] == "1003.90"
    assert Deal.objects.get(pk=result["deal"]).contact_id == result["contact"]
