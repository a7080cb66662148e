"""The facade's one view: ``/rest/<user_id>/<secret>/<method>[.json|.xml]``.

``.xml`` answers in XML (``<response>…``), everything else in JSON. Order of checks as in
Bitrix24: the method must exist (404), then the webhook must be valid (401), then the method runs
(400 for its errors). Nothing here redirects: the URL pattern matches every path under ``/rest/``,
so ``APPEND_SLASH`` never has a reason to.
"""

from __future__ import annotations

import logging
import time

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from kontor.bitrix.envelope import error_response, json_response, time_block, xml_response
from kontor.bitrix.errors import RestError, invalid_credentials, method_not_found, no_auth
from kontor.bitrix.params import request_params
from kontor.bitrix.registry import Call, dispatch, lookup
from kontor.bitrix.services import webhook_authenticate

log = logging.getLogger(__name__)


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


@csrf_exempt
def rest(request: HttpRequest, path: str = "") -> HttpResponse:
    started = time.time()
    xml = path.rstrip("/").lower().endswith(".xml")
    try:
        user_id, secret, name = _route(path)
        lookup(name)
        if secret is None:
            raise invalid_credentials() if request.GET.get("auth") else no_auth()
        user = webhook_authenticate(user_id=user_id or "", secret=secret)
        if user is None:
            raise invalid_credentials()
        params = request_params(request)
        outcome = dispatch(Call(method=name, user=user, params=params))
    except RestError as exc:
        return error_response(exc, xml=xml)
    except Exception:  # a bug, not the client's fault; still answer in Bitrix24's shape
        log.exception("facade method %s failed", path)
        return error_response(RestError(500, "INTERNAL_SERVER_ERROR", "Internal server error"), xml=xml)
    body: dict = {"result": outcome.result}
    if outcome.total is not None:
        body["total"] = outcome.total
    if outcome.next is not None:
        body["next"] = outcome.next
    finished = time.time()
    body["time"] = time_block(start=started, finish=finished, processing=outcome.finished - outcome.started)
    return xml_response(body) if xml else json_response(body)
