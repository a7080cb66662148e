"""``method.xml``: the same answers as XML, as Bitrix24's CRestServer::outputXml writes them."""

from __future__ import annotations

from xml.etree import ElementTree

import pytest

pytestmark = pytest.mark.django_db


def _xml(response, status: int = 200) -> ElementTree.Element:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("text/xml")
    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?><response>')
    return ElementTree.fromstring(response.content)


def test_add_get_and_list_in_xml(bx, classic_mode):
    root = _xml(bx.post("crm.lead.add.xml", {"fields": {"TITLE": "Fenster <Süd> & Nord", "OPPORTUNITY": 250}}))
    lead_id = root.findtext("result")
    assert lead_id.isdigit() and root.find("time/duration") is not None

    lead = _xml(bx.get("crm.lead.get.xml", {"id": lead_id})).find("result")
    assert lead.findtext("ID") == lead_id and lead.findtext("TITLE") == "Fenster <Süd> & Nord"
    assert lead.findtext("OPPORTUNITY") in ("250", "250.00")

    listed = _xml(bx.post("crm.lead.list.XML", {"select": ["ID", "TITLE"]}))
    items = listed.findall("result/item")
    assert [item.findtext("ID") for item in items] == [lead_id] and listed.findtext("total") == "1"

    assert _xml(bx.post("crm.lead.update.xml", {"id": lead_id, "fields": {"TITLE": "x"}})).findtext("result") == "1"
    # JSON stays the default, with and without the suffix.
    assert bx.post("crm.lead.get.json", {"id": lead_id}).json()["result"]["TITLE"] == "x"
    assert bx.post("crm.lead.get", {"id": lead_id}).json()["result"]["TITLE"] == "x"


def test_errors_in_xml(bx, classic_mode):
    root = _xml(bx.post("crm.lead.get.xml", {"id": 999}), 400)
    assert root.findtext("error_description") == "Not found"
    assert _xml(bx.post("crm.nothing.xml"), 404).findtext("error") == "ERROR_METHOD_NOT_FOUND"
