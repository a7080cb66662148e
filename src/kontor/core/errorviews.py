"""Errors outside a view's own handling: JSON under ``/api/``, 503 when the database takes no writes.

* ``handler400``/``handler404``/``handler500`` answer the native API's JSON error shape
  (``{"detail", "code"}``) under ``/api/`` and hand everything else to the facade's handlers
  (``kontor.bitrix.views``, JSON under ``/rest/``), which fall back to Django's pages.
* A 500 carries an error id (``error_id``) to quote to the operator; the log line with the
  traceback carries the same id.
* A database that refuses writes (a read-only file or transaction, a full disk) is not a bug:
  the answer is 503 ``storage_unavailable`` saying so, on every path.
* :class:`ApiErrorsMiddleware` turns the last non-JSON answers under ``/api/`` into JSON: Django's
  and ninja's plain-text 405 and the CSRF 403.
"""

from __future__ import annotations

import json
import logging
import secrets
import sys

from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, JsonResponse

log = logging.getLogger("kontor.errors")

#: Phrases SQLite and PostgreSQL use when the database cannot be written (SQLITE_READONLY,
#: SQLITE_FULL, SQLSTATE 25006 read_only_sql_transaction, 53100 disk_full, ENOSPC).
_STORAGE_PHRASES = ("readonly database", "read-only", "read only", "database or disk is full", "disk full",
                    "no space left on device", "could not extend file")
_STORAGE_SQLSTATES = {"25006", "53100"}

CODES = {400: "bad_request", 401: "not_authenticated", 403: "permission_denied", 404: "not_found",
         405: "method_not_allowed", 413: "too_large", 429: "rate_limited", 500: "internal_error",
         503: "storage_unavailable"}


def is_api(request: HttpRequest) -> bool:
    return request.path_info == "/api" or request.path_info.startswith("/api/")


def storage_unavailable(exc: BaseException | None) -> bool:
    """True when ``exc`` says the database cannot be written (rather than a bug)."""
    while exc is not None:
        if isinstance(exc, DatabaseError) or type(exc).__module__.startswith(("sqlite3", "psycopg")):
            if getattr(exc, "sqlstate", None) in _STORAGE_SQLSTATES:
                return True
            text = str(exc).lower()
            if any(phrase in text for phrase in _STORAGE_PHRASES):
                return True
        exc = exc.__cause__ or exc.__context__
    return False


STORAGE_MESSAGE = ("the database does not accept changes right now (it is read-only or its disk is full); "
                   "reading still works — ask the operator")


def api_error(status: int, detail: str, code: str | None = None, **extra) -> JsonResponse:
    return JsonResponse({"detail": detail, "code": code or CODES.get(status, "error"), **extra}, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """``handler400``: e.g. a Host outside ``KONTOR_ALLOWED_HOSTS``."""
    if is_api(request):
        return api_error(400, "bad request: the Host header or the request is not accepted by this server")
    from kontor.bitrix.views import bad_request as facade_bad_request

    return facade_bad_request(request, exception)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """``handler404``: under ``/api/`` an unknown path is a JSON 404 naming it."""
    if is_api(request):
        return api_error(404, f"no such endpoint: {request.path_info}")
    from django.views import defaults

    return defaults.page_not_found(request, exception)  # type: ignore[arg-type]


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: 503 when the database takes no writes; otherwise 500 with an error id."""
    exc = sys.exc_info()[1]
    if storage_unavailable(exc):
        log.error("database refuses writes (%s %s): %s", request.method, request.path, exc)
        if is_api(request):
            return api_error(503, STORAGE_MESSAGE)
        response = HttpResponse(STORAGE_MESSAGE.capitalize() + ".", content_type="text/plain; charset=utf-8",
                                status=503)
        if not request.path_info.startswith("/rest"):
            return response
    error_id = secrets.token_hex(6)
    log.error("error %s: %s %s", error_id, request.method, request.path, exc_info=sys.exc_info())
    if is_api(request):
        return api_error(500, f"internal error; quote error id {error_id} to the operator", error_id=error_id)
    if request.path_info == "/rest" or request.path_info.startswith("/rest/"):
        from kontor.bitrix.views import server_error as facade_server_error

        return facade_server_error(request)
    return _error_page("500.html", 500, {"error_id": error_id})


def _error_page(template_name: str, status: int, context: dict) -> HttpResponse:
    """The web UI's error page (the app's layout, translated, a way back). A 500 page is rendered
    without the request (no database queries for the user), as Django's own handler does."""
    from django.template import loader

    try:
        body = loader.get_template(template_name).render(context)
    except Exception:  # the error page must not fail in turn
        log.exception("error page %s could not be rendered", template_name)
        body = "<h1>Server Error (500)</h1>"
    return HttpResponse(body, status=status)


class ApiErrorsMiddleware:
    """Under ``/api/``, a 4xx/5xx answer that is not JSON (Django's or ninja's) becomes JSON.

    First in ``MIDDLEWARE`` so it also sees the 400 of a rejected Host raised by the middlewares
    after it. It never touches ``request.get_host()``.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code < 400 or not is_api(request):
            return response
        if response.get("Content-Type", "").startswith("application/json"):
            return response
        status = response.status_code
        if status == 405:
            allowed = response.get("Allow", "")
            json_response = api_error(405, f"method {request.method} not allowed here; allowed: {allowed}")
            json_response["Allow"] = allowed
            return json_response
        if status == 403:
            return api_error(403, _text(response) or "forbidden", "permission_denied")
        return api_error(status, _text(response) or response.reason_phrase)


def _text(response: HttpResponse) -> str:
    """A short plain-text body, or '' for HTML pages and streams."""
    if getattr(response, "streaming", False) or "html" in response.get("Content-Type", ""):
        return ""
    try:
        text = response.content.decode()[:300].strip()
    except (UnicodeDecodeError, AttributeError):
        return ""
    try:
        json.loads(text)
    except ValueError:
        return text
    return ""
