"""Bitrix24's response envelopes: ``result`` (+ ``total``/``next``) and ``time``, or an error body."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.http import HttpResponse
from django.utils import timezone

from kontor.bitrix.errors import RestError

CONTENT_TYPE = "application/json; charset=utf-8"


def iso_timestamp(ts: float) -> str:
    """A unix time as PHP's ``date('c')``: ISO 8601 in server time with its offset."""
    return datetime.fromtimestamp(ts, tz=timezone.get_default_timezone()).isoformat(timespec="seconds")


def time_block(*, start: float, finish: float, processing: float) -> dict[str, Any]:
    """The ``time`` object: exactly the six fields every client reads (never ``operating``)."""
    return {
        "start": start,
        "finish": finish,
        "duration": finish - start,
        "processing": processing,
        "date_start": iso_timestamp(start),
        "date_finish": iso_timestamp(finish),
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


def error_response(error: RestError) -> HttpResponse:
    return json_response(error.body(), status=error.status)


def php_array(section: dict[str, Any]) -> Any:
    """Encode a dict as PHP's json_encode would: empty → ``[]``, keys ``0..n-1`` → a JSON list."""
    if not section:
        return []
    if list(section) == [str(i) for i in range(len(section))]:
        return list(section.values())
    return section
