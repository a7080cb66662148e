"""Database helpers shared by the apps."""

from __future__ import annotations

import logging

from django.db import DatabaseError, transaction
from django.db.models import QuerySet

log = logging.getLogger(__name__)


def best_effort_update(queryset: QuerySet, **values) -> bool:
    """``queryset.update(**values)`` that may fail without failing the request.

    For bookkeeping such as a credential's ``last_used_at``: on a database that refuses writes (a
    read-only file or replica, a full disk) reading calls must keep working. Runs in a savepoint
    so a failure leaves an enclosing transaction usable.
    """
    try:
        with transaction.atomic():
            queryset.update(**values)
    except DatabaseError as exc:
        log.warning("bookkeeping write skipped (%s): %s", queryset.model.__name__, exc)
        return False
    return True
