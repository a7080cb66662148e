"""The native REST API under ``/api/v1/``: one NinjaAPI, routers per resource, errors mapped once."""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig
from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from kontor.api.auth import SessionAuth, TokenAuth
from kontor.core.apidocs import StaticSwagger, docs_login_required
from kontor.core.errors import KontorError
from kontor.core.throttle import RateLimited

api = NinjaAPI(
    title="Kontor API",
    version="1.0.0",
    description="Native REST API of Kontor. Authenticate with `Authorization: Bearer <token>` "
    "(create one with `kontor create_token USERNAME`) or a web session.",
    auth=[TokenAuth(), SessionAuth()],
    urls_namespace="api",
    openapi_url="/openapi.json",
    docs_url="/docs",
    docs=StaticSwagger(),
    docs_decorator=docs_login_required,
)


def _error(request, status: int, detail, code: str, field: str | None = None):
    body = {"detail": detail, "code": code}
    if field:
        body["field"] = field
    return api.create_response(request, body, status=status)


@api.exception_handler(KontorError)
def on_kontor_error(request, exc: KontorError):
    return _error(request, exc.http_status, exc.message, str(exc.code), exc.field)


@api.exception_handler(ValidationError)
def on_validation_error(request, exc: ValidationError):
    first = exc.errors[0] if exc.errors else {}
    loc = [str(p) for p in first.get("loc", []) if p not in ("body", "payload", "query", "path")]
    # A model-level check names its field in ``ctx`` (an unknown key beside the custom fields).
    field = ".".join(loc) or (first.get("ctx") or {}).get("field") or None
    message = first.get("msg", "invalid input")
    detail = f"{field}: {message}" if field else message
    return _error(request, 422, detail, "validation_error", field)


@api.exception_handler(AuthenticationError)
def on_auth_error(request, exc):
    return _error(request, 401, "authentication required: send a bearer token or log in", "not_authenticated")


@api.exception_handler(Http404)
def on_not_found(request, exc):
    return _error(request, 404, str(exc) or "not found", "not_found")


@api.exception_handler(RequestDataTooBig)
def on_too_big(request, exc):
    return _error(request, 413, "request body too large", "too_large")


@api.exception_handler(RateLimited)
def on_rate_limited(request, exc: RateLimited):
    response = _error(request, 429, f"too many requests: try again in {exc.retry_after} seconds", "rate_limited")
    response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(HttpError)
def on_http_error(request, exc: HttpError):
    code = {400: "bad_request", 401: "not_authenticated", 403: "permission_denied", 404: "not_found",
            405: "method_not_allowed", 409: "conflict"}.get(exc.status_code, "error")
    return _error(request, exc.status_code, str(exc), code)


from kontor.api.routers import register  # noqa: E402  (routers import the api's schemas)

register(api)
