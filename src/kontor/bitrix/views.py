"""The facade's one view: ``/rest/<user_id>/<secret>/<method>[.json|.xml]``.

``.xml`` answers in XML (``<response>…``), everything else in JSON. Order of checks as in
Bitrix24: the method must exist (404), then the webhook must be valid (401), then the method runs
(400 for its errors). Nothing here redirects: the URL pattern matches every path under ``/rest/``,
so ``APPEND_SLASH`` never has a reason to.

HTTP methods: ``GET`` and ``POST`` run the method. ``OPTIONS`` is a browser's CORS preflight and
``HEAD`` a probe: both are answered without running anything (a preflight of
``crm.lead.add?fields[TITLE]=x`` must not create a lead). Other verbs are a JSON 405. Every answer
carries the CORS headers Bitrix24 sends, so a page on another origin can call a webhook.
"""

from __future__ import annotations

import logging
import time
import uuid

from django.http import HttpRequest, HttpResponse
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt

from kontor.bitrix.envelope import error_response, json_response, time_block, xml_response
from kontor.bitrix.errors import RestError, invalid_credentials, method_not_found, no_auth
from kontor.bitrix.params import request_params
from kontor.bitrix.registry import Call, dispatch, lookup
from kontor.bitrix.services import hash_secret, webhook_authenticate
from kontor.core.throttle import RateLimited, bitrix_rate_check

log = logging.getLogger(__name__)

#: What ``CRestServer::sendHeaders`` sends with every answer.
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Headers": "origin, content-type, accept",
    "X-Content-Type-Options": "nosniff",
}
#: The preflight's extra answer: which verbs run methods, and how long a browser may cache that.
PREFLIGHT_HEADERS = {"Access-Control-Allow-Methods": "GET, POST, OPTIONS", "Access-Control-Max-Age": "86400",
                     "Allow": "GET, POST, HEAD, OPTIONS"}


def _route(path: str) -> tuple[str | None, str | None, str]:
    """``(user_id, secret, method)`` from the path after ``/rest/``; raises 404 for other shapes."""
    parts = path.split("/")
    if parts and parts[-1] == "":
        parts = parts[:-1]  # one trailing slash after the method is fine
    if len(parts) == 3 and all(parts):
        return parts[0], parts[1], parts[2]
    if len(parts) == 1 and parts[0]:
        return None, None, parts[0]
    raise method_not_found()


def _with_cors(response: HttpResponse) -> HttpResponse:
    for name, value in CORS_HEADERS.items():
        response[name] = value
    return response


def internal_error(where: str) -> RestError:
    """A bug, not the client's fault: logged with an id the client can quote, answered as JSON."""
    error_id = uuid.uuid4().hex[:12]
    log.exception("facade %s failed (error id %s)", where, error_id)
    return RestError(500, "INTERNAL_SERVER_ERROR", f"Internal server error (error id {error_id}).",
                     error_id=error_id)


@csrf_exempt
def rest(request: HttpRequest, path: str = "") -> HttpResponse:
    return _with_cors(_answer(request, path))


def _answer(request: HttpRequest, path: str) -> HttpResponse:
    started = time.time()
    xml = path.rstrip("/").lower().endswith(".xml")
    verb = request.method or "GET"
    if verb == "OPTIONS":
        return HttpResponse(status=200, headers=PREFLIGHT_HEADERS)
    try:
        if verb not in ("GET", "POST", "HEAD"):
            raise RestError(405, "ERROR_METHOD_NOT_ALLOWED", f"HTTP method {verb} is not allowed; use GET or POST.")
        user_id, secret, name = _route(path)
        lookup(name)
        if secret is None:
            raise invalid_credentials() if request.GET.get("auth") else no_auth()
        user = webhook_authenticate(user_id=user_id or "", secret=secret)
        if user is None:
            raise invalid_credentials()
        try:
            bitrix_rate_check(hash_secret(secret))
        except RateLimited as limited:
            # Bitrix24's answer when a portal's request limit is exceeded.
            raise RestError(503, "QUERY_LIMIT_EXCEEDED", "Too many requests") from limited
        if verb == "HEAD":  # a probe: the method exists and the webhook is valid; nothing runs
            return HttpResponse(status=200, content_type="application/json; charset=utf-8")
        params = request_params(request)
        outcome = dispatch(Call(method=name, user=user, params=params))
    except RestError as exc:
        return error_response(exc, xml=xml)
    except Exception:  # still answer in Bitrix24's shape
        return error_response(internal_error(f"method {path.rsplit('/', 1)[-1]}"), xml=xml)
    body: dict = {"result": outcome.result}
    if outcome.total is not None:
        body["total"] = outcome.total
    if outcome.next is not None:
        body["next"] = outcome.next
    finished = time.time()
    body["time"] = time_block(start=started, finish=finished, processing=outcome.finished - outcome.started)
    return xml_response(body) if xml else json_response(body)


def _is_facade(request: HttpRequest) -> bool:
    return request.path_info == "/rest" or request.path_info.startswith("/rest/")


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """``handler400``: under ``/rest/`` (e.g. a Host outside ``ALLOWED_HOSTS``) a Bitrix24 JSON error."""
    if _is_facade(request):
        return _with_cors(error_response(RestError(400, "ERROR_ARGUMENT", "Bad request: the Host header or the "
                                                   "request is not accepted by this server.")))
    return defaults.bad_request(request, exception)  # type: ignore[arg-type]


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: a failure outside the facade view (a middleware) still answers JSON there."""
    if _is_facade(request):
        return _with_cors(error_response(internal_error("request")))
    return defaults.server_error(request)
