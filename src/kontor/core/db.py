"""Database helpers shared by the apps."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.db import DatabaseError, connection, transaction
from django.db.models import Field, Model, QuerySet

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


_insert_sql: dict[tuple[type[Model], int, str], tuple[str, list[Field]]] = {}


def insert(objs: Sequence[Model]) -> None:
    """Insert new instances of one model in one ``INSERT … RETURNING`` statement and set their
    primary keys: ``bulk_create`` for a hot path, without its per-call preparation.

    The statement is built once per model and row count and kept; each value goes through the
    field's ``pre_save`` (``auto_now``) and ``get_db_prep_save`` as ``bulk_create`` sends it. No
    signals (as ``bulk_create``); the caller holds the transaction.
    """
    if not objs:
        return
    model = type(objs[0])
    key = (model, len(objs), connection.vendor)
    built = _insert_sql.get(key)
    if built is None:
        meta = model._meta
        fields = [f for f in meta.concrete_fields if not f.primary_key]
        quote = connection.ops.quote_name
        row = f"({', '.join(['%s'] * len(fields))})"
        sql = (f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
               f"VALUES {', '.join([row] * len(objs))} RETURNING {quote(meta.pk.column)}")
        built = _insert_sql[key] = (sql, fields)
    sql, fields = built
    params = [f.get_db_prep_save(f.pre_save(obj, True), connection) for obj in objs for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        ids = cursor.fetchall()
    for obj, (pk,) in zip(objs, ids, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = connection.alias
