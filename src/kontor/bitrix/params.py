"""Request parameters as PHP (and so Bitrix24) reads them.

``parse_query`` is PHP's ``parse_str``: ``fields[PHONE][0][VALUE]=…`` nests, ``select[]=ID`` appends,
keys and values are percent-decoded (brackets and filter operators too) and ``+`` is a space.
Nested PHP arrays become dicts with string keys in insertion order; ``as_list`` reads either such a
dict or a JSON list. ``request_params`` merges the query string with the body (JSON, urlencoded or
multipart) the way ``CRestUtil::getRequestData`` does: top-level keys of the body win, invalid JSON
is no parameters at all.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import unquote_plus

from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest
from django.http.multipartparser import MultiPartParserError

from kontor.bitrix.errors import RestError

#: PHP's ``max_input_nesting_level`` and a cap on the number of pairs (``max_input_vars``).
MAX_DEPTH = 64
MAX_PAIRS = 10000
MAX_BODY = 20 * 1024 * 1024

Params = dict[str, Any]


def _split_key(key: str) -> tuple[str, list[str]] | None:
    """``"a[b][]"`` → ``("a", ["b", ""])``; ``None`` for a key PHP would drop."""
    key = key.lstrip(" ")
    bracket = key.find("[")
    if bracket <= 0:
        return (key, []) if key and bracket < 0 else None
    base, rest = key[:bracket], key[bracket:]
    parts: list[str] = []
    while rest.startswith("["):
        close = rest.find("]")
        if close < 0:
            # An unclosed bracket: PHP keeps what was parsed so far and ignores the rest.
            break
        parts.append(rest[1:close])
        rest = rest[close + 1 :]
        if len(parts) > MAX_DEPTH:
            return None
    return base, parts


def _next_index(node: dict[str, Any]) -> str:
    ints = [int(k) for k in node if k.isdigit() or (k.startswith("-") and k[1:].isdigit())]
    return str(max(ints) + 1 if ints and max(ints) >= 0 else 0)


def insert(target: Params, key: str, value: Any) -> None:
    """Put one ``key=value`` pair into ``target`` with PHP's bracket rules."""
    split = _split_key(key)
    if split is None:
        return
    base, parts = split
    if not parts:
        target[base] = value
        return
    node = target.get(base)
    if not isinstance(node, dict):
        node = target[base] = {}
    for part in parts[:-1]:
        name = _next_index(node) if part == "" else part
        child = node.get(name)
        if not isinstance(child, dict):
            child = node[name] = {}
        node = child
    last = parts[-1]
    node[_next_index(node) if last == "" else last] = value


def parse_query(query: str | bytes) -> Params:
    """PHP ``parse_str`` of an urlencoded string."""
    if isinstance(query, bytes):
        query = query.decode("utf-8", errors="replace")
    out: Params = {}
    for count, pair in enumerate(query.split("&")):
        if count >= MAX_PAIRS:
            raise RestError(400, "ERROR_ARGUMENT", f"Too many parameters (more than {MAX_PAIRS}).")
        if not pair:
            continue
        raw_key, _, raw_value = pair.partition("=")
        key = unquote_plus(raw_key, errors="replace")
        if not key:
            continue
        insert(out, key, unquote_plus(raw_value, errors="replace"))
    return out


def _body_params(request: HttpRequest) -> Params:
    content_type = (request.content_type or "").split(";")[0].strip().lower()
    if content_type == "multipart/form-data":
        try:
            post = request.POST
        except (MultiPartParserError, SuspiciousOperation, ValueError, OSError):
            raise RestError(400, "ERROR_ARGUMENT", "Malformed or oversized multipart body.") from None
        out: Params = {}
        for key, values in post.lists():
            for value in values:
                insert(out, key, value)
        return out
    try:
        body = request.body
    except (SuspiciousOperation, OSError, ValueError):  # RequestDataTooBig and friends: the client's error
        raise RestError(400, "ERROR_ARGUMENT", "The request body cannot be read.") from None
    if not body:
        return {}
    if content_type == "application/json":
        try:
            data = json.loads(body)
        except (ValueError, RecursionError):
            return {}  # Bitrix24 treats invalid JSON as "no parameters"
        return data if isinstance(data, dict) else {}
    return parse_query(body)


def request_params(request: HttpRequest) -> Params:
    """All parameters of a facade request: query string merged with the body, the body winning."""
    params = parse_query(request.META.get("QUERY_STRING", ""))
    if request.method == "POST":
        params.update(_body_params(request))
    return clean(params)


def _clean_text(text: str) -> str:
    # NUL cannot be stored in PostgreSQL text and lone surrogates cannot be encoded at all.
    text = text.replace("\x00", "")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", errors="replace").decode("utf-8")
    return text


def clean(value: Any, depth: int = 0, where: str = "") -> Any:
    """Parameters safe to hand to the database layer: text cleaned, nesting bounded, numbers finite.

    A JSON number too large for a float (``1e400``) or a ``NaN``/``Infinity`` is a 400 naming the
    parameter, never quietly ``null`` (which would read as "no filter" or "empty")."""
    if depth > MAX_DEPTH:
        raise RestError(400, "ERROR_ARGUMENT", f"Parameters are nested deeper than {MAX_DEPTH} levels.")
    if isinstance(value, str):
        return _clean_text(value)
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            key = _clean_text(str(k))
            out[key] = clean(v, depth + 1, f"{where}[{key}]" if where else key)
        return out
    if isinstance(value, list):
        return [clean(v, depth + 1, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, float) and not math.isfinite(value):
        raise RestError(400, "ERROR_ARGUMENT", f"Parameter '{where or 'body'}' is not a finite number.",
                        argument=where or "body")
    return value


# --- reading parameters -------------------------------------------------------------------------


def get_param(params: Mapping[str, Any], name: str, default: Any = None) -> Any:
    """``params[name]`` with Bitrix24's case tolerance: ``filter``, ``FILTER``, ``Filter``, any case."""
    for candidate in (name, name.upper(), name.lower(), name.capitalize()):
        if candidate in params:
            return params[candidate]
    lowered = name.lower()
    for key, value in params.items():
        if isinstance(key, str) and key.lower() == lowered:
            return value
    if lowered == "filter" and "arFilter" in params:
        return params["arFilter"]
    return default


def as_list(value: Any) -> list[Any]:
    """A JSON list, a PHP array (dict in key order) or a scalar, as a list."""
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return list(value)
    if isinstance(value, dict):
        return list(value.values())
    return [value]


def get_mapping(params: Mapping[str, Any], name: str, *, message: str | None = None) -> dict[str, Any]:
    """An object parameter; missing or empty is ``{}``; anything else is a 400."""
    value = get_param(params, name)
    if value is None or value == "" or value == [] or value == "[]":
        return {}
    if isinstance(value, dict):
        return value
    raise RestError(400, "", message or f"Parameter '{name}' must be array.")


def get_id(params: Mapping[str, Any], name: str = "id") -> int:
    """A positive record id from ``id``/``ID``/``Id``; else Bitrix24's "ID is not defined or invalid."."""
    value = get_param(params, name)
    number = to_int(value)
    if number is None or number <= 0:
        raise RestError(400, "", "ID is not defined or invalid.")
    return number


def to_int(value: Any) -> int | None:
    """An int from a JSON integer or a digit string (``5``, ``"5"``, ``" 5 "``), else ``None``.

    Not from ``true`` (``{"id": true}`` must not mean record 1), not from ``"1.0"`` or ``1.5``: an id
    or a count is a whole number as written, anything else is the client's mistake to hear about.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        text = value.strip()
        if text.lstrip("-").isdigit() and text.isascii() and len(text) < 19:
            return int(text)
    return None


def php_bool(value: Any) -> bool:
    """PHP's ``(bool)`` cast: ``""``, ``"0"``, ``0``, empty arrays and null are false."""
    if isinstance(value, str):
        return value not in ("", "0")
    if isinstance(value, dict | list):
        return bool(value)
    return bool(value)


def yes_no(value: Any) -> bool | None:
    """``Y``/``N`` (and true/false/1/0) as a bool; ``None`` when it is neither."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value != 0
    if isinstance(value, str):
        text = value.strip().upper()
        if text in ("Y", "TRUE", "1", "YES"):
            return True
        if text in ("N", "FALSE", "0", "NO", ""):
            return False
    return None


def iter_keys(params: Any) -> Iterable[str]:
    """Every key at every depth (for checks that must look at all of them)."""
    if isinstance(params, dict):
        for key, value in params.items():
            yield key
            yield from iter_keys(value)
    elif isinstance(params, list):
        for value in params:
            yield from iter_keys(value)
