"""Webhook services: create, revoke, authenticate. Used by the CLI, the facade and (later) the web UI."""

from __future__ import annotations

import hashlib
import secrets
import string
from typing import Any

from django.db import transaction
from django.utils import timezone

from kontor.accounts.models import User
from kontor.bitrix.models import Webhook
from kontor.core.db import best_effort_update
from kontor.core.errors import ErrorCode, KontorError
from kontor.crm.enums import EntityType
from kontor.crm.models import Company, Contact, Deal, Lead

RECORD_MODELS: dict[EntityType, Any] = {EntityType.LEAD: Lead, EntityType.DEAL: Deal,
                                        EntityType.CONTACT: Contact, EntityType.COMPANY: Company}

_ALPHABET = string.ascii_lowercase + string.digits
SECRET_LENGTH = 24


def hash_secret(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def webhook_path(webhook: Webhook, raw_secret: str) -> str:
    """The facade's base path for a webhook: ``/rest/<user_id>/<secret>/``."""
    return f"/rest/{webhook.user_id}/{raw_secret}/"


@transaction.atomic
def webhook_create(*, user: User, name: str = "") -> tuple[Webhook, str]:
    """A new inbound webhook acting as ``user``; returns the row and the raw secret (never stored)."""
    if not user.is_active:
        raise KontorError(ErrorCode.VALIDATION, f"user {user.username} is inactive", field="user")
    raw = "".join(secrets.choice(_ALPHABET) for _ in range(SECRET_LENGTH))
    webhook = Webhook.objects.create(user=user, name=(name or "").strip()[:100], prefix=raw[:4],
                                     secret_hash=hash_secret(raw))
    return webhook, raw


@transaction.atomic
def webhook_revoke(*, webhook: Webhook) -> Webhook:
    """Revoke ``webhook``; revoking twice is harmless."""
    if webhook.revoked_at is None:
        webhook.revoked_at = timezone.now()
        webhook.save(update_fields=["revoked_at"])
    return webhook


def webhook_authenticate(*, user_id: str, secret: str) -> User | None:
    """The active user of the active webhook ``secret`` whose user id is ``user_id``, or ``None``."""
    if not secret or len(secret) > 128 or not user_id or not user_id.isdigit():
        return None
    webhook = (
        Webhook.objects.select_related("user")
        .filter(secret_hash=hash_secret(secret), revoked_at__isnull=True)
        .first()
    )
    if webhook is None or str(webhook.user_id) != user_id.lstrip("0") or not webhook.user.is_active:
        return None
    now = timezone.now()
    # Touch at most once a minute: a write per request would serialise readers on SQLite. Best
    # effort: reading calls keep working on a database that refuses writes.
    if webhook.last_used_at is None or (now - webhook.last_used_at).total_seconds() > 60:
        best_effort_update(Webhook.objects.filter(pk=webhook.pk), last_used_at=now)
    return webhook.user
