"""Services for users and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DEFAULT_DB_ALIAS, transaction
from django.utils import timezone

from kontor.accounts.models import ApiToken, Role, User
from kontor.core.db import best_effort_update
from kontor.core.errors import ErrorCode, KontorError
from kontor.core.generation import cached, generation, request_generation_keep

TOKEN_PREFIX = "ktr_"
_USER_FIELDS = User._meta.concrete_fields


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def username_clean(username: object) -> str:
    """A user name as Django's validator allows it: letters, digits and @ . + - _, at most 150."""
    if not isinstance(username, str) or not username.strip():
        raise KontorError(ErrorCode.VALIDATION, "username is required", field="username")
    username = username.strip()
    if len(username) > 150:
        raise KontorError(ErrorCode.VALIDATION, "username is longer than 150 characters", field="username")
    try:
        User.username_validator(username)
    except DjangoValidationError:
        raise KontorError(ErrorCode.VALIDATION, f"username {username!r} may contain only letters, digits and "
                          "@ . + - _", field="username") from None
    return username


@transaction.atomic
def user_create(
    *, username: str, password: str | None = None, role: str = Role.MANAGER, email: str = "",
    first_name: str = "", last_name: str = "",
) -> User:
    """Create a user with the given role; without a password the account can only use tokens."""
    username = username_clean(username)
    model = get_user_model()
    # Unique regardless of case: "ADMIN" beside "admin" would be two accounts that look like one.
    if model.objects.filter(username__iexact=username).exists():
        raise KontorError(ErrorCode.CONFLICT, f"user '{username}' already exists", field="username")
    user = model(username=username, email=email, role=role, first_name=first_name, last_name=last_name)
    user.is_staff = role == Role.ADMIN
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    return user


@transaction.atomic
def user_get_or_create(*, username: str, role: str | None = None) -> tuple[User, bool]:
    """The user named ``username``, created as a manager (or ``role``) when missing."""
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        return user_create(username=username, role=role or Role.MANAGER), True
    if role and user.role != role:
        user.role = role
        user.is_staff = role == Role.ADMIN
        user.save(update_fields=["role", "is_staff"])
    return user, False


@transaction.atomic
def user_set_active(*, actor: User, user: User, active: bool) -> User:
    """Let ``user`` log in again or not (admin only). A deactivated user's tokens, webhooks and
    sessions stop working at once (each checks ``is_active``); their records stay."""
    if not actor.is_crm_admin:
        raise KontorError(ErrorCode.PERMISSION_DENIED, "only administrators may do this")
    if user.pk == actor.pk and not active:
        raise KontorError(ErrorCode.CONFLICT, "you cannot deactivate yourself", field="is_active")
    if user.is_active != active:
        user.is_active = active
        user.save(update_fields=["is_active"])
    return user


@transaction.atomic
def user_set_language(*, user: User, language: str) -> User:
    """Remember the language ``user`` chose (``de``, ``en``; ``""`` for the installation's): their
    notification e-mails are written in it."""
    from django.conf import settings

    if language not in {"", *dict(settings.LANGUAGES)}:
        raise KontorError(ErrorCode.VALIDATION, f"language must be one of {', '.join(dict(settings.LANGUAGES))}",
                          field="language")
    if user.language != language:
        user.language = language
        user.save(update_fields=["language"])
    return user


def token_create(*, user: User, name: str = "") -> tuple[ApiToken, str]:
    """A new API token for ``user``; returns the row and the raw token, which is never stored."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name, prefix=raw[:12], key_hash=hash_token(raw))
    return token, raw


@transaction.atomic
def token_revoke(*, token: ApiToken) -> ApiToken:
    """Revoke ``token``; revoking twice is harmless."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


@dataclass
class _CachedToken:
    token_id: int
    #: the user's concrete field values, in ``User._meta.concrete_fields`` order
    user_values: tuple
    touched_at: datetime | None


#: at most this many valid tokens cached per process (wrong tokens are never cached)
_TOKENS_MAX = 1000


def _token_load() -> dict[str, _CachedToken]:
    """The valid tokens this process has seen under one configuration generation, by hash."""
    return {}


def token_authenticate(raw: str) -> User | None:
    """The active user a raw bearer token belongs to, or ``None``.

    Valid tokens are cached per process under the configuration generation, which users, their
    departments and access roles and the tokens' owner and revocation renew (migration core 0004):
    a revoked token or a deactivated user is refused on the next request, from any worker. Each
    call returns a fresh ``User`` built from the cached row.
    """
    if not raw:
        return None
    key = hash_token(raw.strip())
    current = generation()
    request_generation_keep(current)  # the service this request calls reads no second time
    tokens = cached("accounts.tokens", _token_load, token=current)  # a new, empty dict under a new generation
    entry = tokens.get(key)
    if entry is None:
        token = ApiToken.objects.select_related("user").filter(key_hash=key, revoked_at__isnull=True).first()
        if token is None or not token.user.is_active:
            return None
        entry = _CachedToken(token.pk, tuple(getattr(token.user, f.attname) for f in _USER_FIELDS),
                             token.last_used_at)
        if len(tokens) >= _TOKENS_MAX:
            tokens.clear()
        tokens[key] = entry
    now = timezone.now()
    # Touch at most once a minute: a write per request would serialise readers on SQLite. Best
    # effort: on a database that refuses writes (read-only, disk full) reading calls keep working.
    if entry.touched_at is None or (now - entry.touched_at).total_seconds() > 60:
        best_effort_update(ApiToken.objects.filter(pk=entry.token_id), last_used_at=now)
        entry.touched_at = now
    return User.from_db(DEFAULT_DB_ALIAS, None, entry.user_values)


def admin_ensure() -> str | None:
    """On an installation without users, create ``admin`` and return its password (shown once)."""
    model = get_user_model()
    if model.objects.exists():
        return None
    password = secrets.token_urlsafe(12)
    user_create(username="admin", password=password, role=Role.ADMIN)
    model.objects.filter(username="admin").update(is_superuser=True, is_staff=True)
    return password


@transaction.atomic
def user_set_role(*, actor: User, user: User, role: str) -> User:
    """Give ``user`` another role (admin only). An admin cannot take their own admin role away, so
    an installation never ends up without anyone able to change settings by accident."""
    if not actor.is_crm_admin:
        raise KontorError(ErrorCode.PERMISSION_DENIED, "only administrators may do this")
    if role not in Role.values:
        raise KontorError(ErrorCode.VALIDATION, f"role must be one of {', '.join(Role.values)}", field="role")
    if user.pk == actor.pk and role != Role.ADMIN:
        raise KontorError(ErrorCode.CONFLICT, "you cannot take away your own administrator role", field="role")
    if user.role != role:
        user.role = role
        user.is_staff = role == Role.ADMIN or user.is_superuser
        user.save(update_fields=["role", "is_staff"])
    return user


def user_password_token(user: User) -> tuple[str, str]:
    """``(uidb64, token)`` of a one-time link that lets ``user`` set a password: Django's password
    reset token, which stops working once the password changes (or after PASSWORD_RESET_TIMEOUT)."""
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    return urlsafe_base64_encode(force_bytes(user.pk)), default_token_generator.make_token(user)
