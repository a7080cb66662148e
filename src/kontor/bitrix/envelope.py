"""Bitrix24's response envelopes: ``result`` (+ ``total``/``next``) and ``time``, or an error body."""

from __future__ import annotations

import json
import re
from datetime import datetime
from decimal import Decimal
from typing import Any
from xml.etree import ElementTree

from django.http import HttpResponse
from django.utils import timezone

from kontor.bitrix.errors import RestError

CONTENT_TYPE = "application/json; charset=utf-8"
XML_CONTENT_TYPE = "text/xml; charset=utf-8"
#: Bitrix24 counts each method's operating time over a ten-minute window.
OPERATING_WINDOW = 600
_XML_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")


def iso_timestamp(ts: float) -> str:
    """A unix time as PHP's ``date('c')``: ISO 8601 in server time with its offset."""
    return datetime.fromtimestamp(ts, tz=timezone.get_default_timezone()).isoformat(timespec="seconds")


def time_block(*, start: float, finish: float, processing: float) -> dict[str, Any]:
    """The ``time`` object as Bitrix24 (cloud) sends it: the six fields every client reads, plus
    ``operating`` (this call's processing time, which fast-bitrix24's per-method throttle sums) and
    ``operating_reset_at`` (a unix time as an int, as b24pysdk insists: when that budget resets)."""
    return {
        "start": start,
        "finish": finish,
        "duration": finish - start,
        "processing": processing,
        "date_start": iso_timestamp(start),
        "date_finish": iso_timestamp(finish),
        "operating_reset_at": int(start) + OPERATING_WINDOW,
        "operating": round(processing, 6),
    }


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def json_response(body: Any, status: int = 200) -> HttpResponse:
    text = json.dumps(body, ensure_ascii=False, default=_default, allow_nan=False)
    return HttpResponse(text.encode(), status=status, content_type=CONTENT_TYPE)


def _xml_fill(element: ElementTree.Element, value: Any) -> None:
    # As Bitrix24's CRestServer::outputXml: a key becomes an element, a list's entries (and keys
    # that are no XML name, such as numbers) become <item>, true is "1", false and null are empty.
    if isinstance(value, dict):
        for key, item in value.items():
            name = str(key) if _XML_NAME.fullmatch(str(key)) and not str(key).lower().startswith("xml") else "item"
            _xml_fill(ElementTree.SubElement(element, name), item)
    elif isinstance(value, list):
        for item in value:
            _xml_fill(ElementTree.SubElement(element, "item"), item)
    elif value is True:
        element.text = "1"
    elif value is not None and value is not False:
        element.text = str(value)


def xml_response(body: Any, status: int = 200) -> HttpResponse:
    """The same envelope for a method called as ``….xml``: ``<response>`` holding ``result``, ``time``…"""
    plain = json.loads(json.dumps(body, ensure_ascii=False, default=_default, allow_nan=False))
    root = ElementTree.Element("response")
    _xml_fill(root, plain)
    text = ElementTree.tostring(root, encoding="unicode", short_empty_elements=False)
    return HttpResponse(f'<?xml version="1.0" encoding="utf-8"?>{text}'.encode(), status=status,
                        content_type=XML_CONTENT_TYPE)


def error_response(error: RestError, *, xml: bool = False) -> HttpResponse:
    return (xml_response if xml else json_response)(error.body(), status=error.status)


def php_array(section: dict[str, Any]) -> Any:
    """Encode a dict as PHP's json_encode would: empty → ``[]``, keys ``0..n-1`` → a JSON list."""
    if not section:
        return []
    if list(section) == [str(i) for i in range(len(section))]:
        return list(section.values())
    return section
