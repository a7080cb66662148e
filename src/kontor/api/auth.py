"""Authentication for the native API: a bearer token or a logged-in session."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import APIKeyCookie, HttpBearer

from kontor.accounts.services import token_authenticate
from kontor.core.errors import ErrorCode, KontorError
from kontor.core.throttle import api_rate_check


class TokenAuth(HttpBearer):
    """``Authorization: Bearer <token>`` with a token from ``kontor create_token``."""

    def authenticate(self, request: HttpRequest, token: str):
        user = token_authenticate(token)
        if user is not None:
            request.user = user
            api_rate_check(user)  # 429 over KONTOR_API_RATE (kontor.api.api maps RateLimited)
        return user


class SessionAuth(APIKeyCookie):
    """The web UI's session cookie; unsafe methods also need the CSRF token (django-ninja checks it)."""

    param_name = "sessionid"

    def _get_key(self, request: HttpRequest) -> str | None:
        # Without a logged-in session there is nothing for CSRF to protect: answer 401, not a CSRF 403.
        if not request.user.is_authenticated:  # AuthenticationMiddleware gives every request a user
            return None
        return super()._get_key(request)

    def authenticate(self, request: HttpRequest, key: str | None):
        user = request.user
        # is_active too: an authentication backend may keep a deactivated user's session alive
        if user.is_authenticated and user.is_active:
            api_rate_check(user)
            return user
        return None


def require_admin(request: HttpRequest) -> None:
    """Raise 403 unless the caller is a CRM admin."""
    user = current_user(request)
    if not (user.is_authenticated and user.is_crm_admin):
        raise KontorError(ErrorCode.PERMISSION_DENIED, "only administrators may do this")


def current_user(request: HttpRequest):
    """The authenticated user: the token's (``TokenAuth`` puts it on ``request.user``, in place of any
    session user) or the session's."""
    return request.user
