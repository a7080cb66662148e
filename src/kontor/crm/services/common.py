"""Pieces every record service uses: field checks, multi-value phones/e-mails, timeline rows."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth import get_user_model
from django.db import models

from kontor.core.errors import ErrorCode, KontorError, not_found, validation
from kontor.core.money import AMOUNT_RANGE, MAX_AMOUNT, currency_error, is_currency
from kontor.core.normalize import clean_email, clean_phone
from kontor.crm.enums import COMM_VALUE_TYPES, CommType, EntityType, TimelineKind
from kontor.crm.models import Communication, TimelineEntry

#: The whole numbers an integer column holds on every supported database (PostgreSQL's ``integer``):
#: ``sort`` of pipelines, stages, custom fields and their items.
INT32 = range(-(2**31), 2**31)

#: A phone or e-mail as callers give it: a plain string, or ``{"value", "type", "id"?}``.
CommInput = str | Mapping[str, Any]


def timeline_add(
    *, entity_type: EntityType, entity_id: int, kind: TimelineKind, actor=None, data: dict | None = None
) -> TimelineEntry:
    """Write one event to a record's timeline."""
    return TimelineEntry.objects.create(
        entity_type=entity_type, entity_id=entity_id, kind=kind, actor=actor, data=data or {}
    )


#: The native field name of each multi-field type.
COMM_FIELDS = {CommType.PHONE: "phones", CommType.EMAIL: "emails", CommType.WEB: "websites",
               CommType.IM: "messengers"}


def _comm_items(type_: CommType, items: Iterable[CommInput], field: str) -> list[dict[str, Any]]:
    """Validate and normalise the given phones, e-mails, websites or messengers; a bad one raises with
    its field name.

    An item ``{"value", "type", "lenient": True}`` (the Bitrix24 facade sends these) is never
    rejected for its value: a phone like "call me after 5pm" or a malformed e-mail is stored as
    typed with an empty normalised key, so nothing is lost and it never matches a duplicate. The
    native API cannot send the flag (its schema forbids unknown keys) and stays strict.
    """
    allowed = COMM_VALUE_TYPES[type_]
    default_type = "WORK" if "WORK" in allowed else "OTHER"
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        where = f"{field}[{index}]"
        raw: Any
        lenient = False
        if isinstance(item, str):
            raw, value_type, item_id = item, default_type, None
        elif isinstance(item, Mapping):
            raw = item.get("value")
            value_type = str(item.get("type") or item.get("value_type") or default_type).upper()
            item_id = item.get("id")
            lenient = item.get("lenient") is True
        else:
            raise validation(f"{where} must be a string or an object with 'value'", field)
        if not isinstance(raw, str) or not raw.strip():
            raise validation(f"{where}: a value is required", field)
        if len(raw.strip()) > 255:  # the column's width: longer would fail on PostgreSQL
            raise validation(f"{where}: longer than 255 characters", field)
        if value_type not in allowed:
            raise validation(f"{where}: type must be one of {', '.join(allowed)}", field)
        if "\x00" in raw:
            raise validation(f"{where}: must not contain NUL characters", field)
        try:
            if type_ == CommType.PHONE:
                value, normalized = clean_phone(raw, field=field)
            elif type_ == CommType.EMAIL:
                value, normalized = clean_email(raw, field=field)
            else:  # websites and messenger handles are kept as given; the key ignores case
                value = raw.strip()
                normalized = value.lower()
        except KontorError:
            if not lenient:
                raise
            value, normalized = raw.strip(), ""
        # The same number twice on one record is one number; unmatchable values repeat by their text.
        key = normalized or "\x00" + value.casefold()
        if key in seen:
            continue
        seen.add(key)
        out.append({"id": item_id, "value": value, "value_type": value_type, "normalized": normalized})
    return out


def clean_communications(*, phones: Sequence[CommInput] | None, emails: Sequence[CommInput] | None) -> dict:
    """Validated phones/e-mails before anything is written; ``None`` means "leave unchanged"."""
    cleaned: dict[CommType, list[dict[str, Any]]] = {}
    if phones is not None:
        cleaned[CommType.PHONE] = _comm_items(CommType.PHONE, _as_list(phones, "phones"), "phones")
    if emails is not None:
        cleaned[CommType.EMAIL] = _comm_items(CommType.EMAIL, _as_list(emails, "emails"), "emails")
    return cleaned


def clean_communications_of(given: Mapping[str, Any]) -> dict:
    """Like ``clean_communications`` for any multi-field types: ``{"PHONE": raw list, "WEB": …}``."""
    cleaned: dict[CommType, list[dict[str, Any]]] = {}
    for type_name, raw in given.items():
        type_ = CommType(type_name)
        field = COMM_FIELDS[type_]
        cleaned[type_] = _comm_items(type_, _as_list(raw if raw is not None else [], field), field)
    return cleaned


def _as_list(value: Any, field: str) -> list:
    if isinstance(value, str | Mapping):
        return [value]
    if not isinstance(value, list | tuple):
        raise validation(f"{field} must be a list", field)
    return list(value)


def communications_set(*, entity_type: EntityType, entity_id: int, cleaned: dict) -> bool:
    """Make the record's phones/e-mails of each given type exactly ``cleaned`` (from
    ``clean_communications``). Items with an ``id`` of this record keep their row; others are added;
    rows not named are deleted. Returns whether anything changed."""
    changed = False
    for type_, items in cleaned.items():
        existing = {
            c.pk: c for c in Communication.objects.filter(entity_type=entity_type, entity_id=entity_id, type=type_)
        }
        keep: set[int] = set()
        new_rows = []
        for item in items:
            key = _int_or_none(item["id"])
            row = existing.get(key) if key is not None else None
            if row is not None and row.pk not in keep:
                keep.add(row.pk)
                new = (item["value"], item["value_type"], item["normalized"])
                if (row.value, row.value_type, row.normalized) != new:
                    row.value, row.value_type, row.normalized = item["value"], item["value_type"], item["normalized"]
                    row.save(update_fields=["value", "value_type", "normalized"])
                    changed = True
            else:
                new_rows.append(
                    Communication(
                        entity_type=entity_type, entity_id=entity_id, type=type_, value=item["value"],
                        value_type=item["value_type"], normalized=item["normalized"],
                    )
                )
        stale = [pk for pk in existing if pk not in keep]
        if stale:
            Communication.objects.filter(pk__in=stale).delete()
            changed = True
        if new_rows:
            Communication.objects.bulk_create(new_rows)
            changed = True
    return changed


def comm_values(*, entity_type: EntityType, entity_id: int, types) -> dict[str, list[str]]:
    """``{"phones": [values in order], …}`` of the given multi-field types (an update's before/after)."""
    out: dict[str, list[str]] = {COMM_FIELDS[CommType(t)]: [] for t in types}
    if out:
        rows = Communication.objects.filter(entity_type=entity_type, entity_id=entity_id, type__in=list(types))
        for type_, value in rows.order_by("id").values_list("type", "value"):
            out[COMM_FIELDS[CommType(type_)]].append(value)
    return out


def comm_changes(before: dict[str, list[str]], *, entity_type: EntityType, entity_id: int) -> dict[str, list]:
    """``{field: [old values, new values]}`` of the multi-fields in ``before`` that changed."""
    after = comm_values(entity_type=entity_type, entity_id=entity_id,
                        types=[t for t, f in COMM_FIELDS.items() if f in before])
    return {field: [before[field], after[field]] for field in before if before[field] != after[field]}


def communications_delete(*, entity_type: EntityType, entity_id: int) -> None:
    Communication.objects.filter(entity_type=entity_type, entity_id=entity_id).delete()


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def clean_text(value: Any, field: str, *, max_length: int | None = 255, required: bool = False) -> str:
    """A stripped string within ``max_length`` (``None``: any length); ``required`` rejects blanks."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise validation(f"{field} must be a string", field)
    value = value.strip()
    if required and not value:
        raise validation(f"{field} is required", field)
    if max_length is not None and len(value) > max_length:
        raise validation(f"{field} is longer than {max_length} characters", field)
    return value


def clean_amount(value: Any, field: str = "opportunity") -> Decimal:
    """A non-negative money amount with at most two decimals and 13 integer digits (``MAX_AMOUNT``)."""
    if value is None or value == "":
        return Decimal("0")
    if isinstance(value, bool):
        raise validation(f"{field} must be a number", field)
    try:
        amount = Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        raise validation(f"{field} must be a number", field) from None
    if not amount.is_finite() or amount < 0 or amount >= MAX_AMOUNT:
        raise validation(f"{field} must be {AMOUNT_RANGE}", field)
    return amount.quantize(Decimal("0.01"))


def clean_currency(value: Any, field: str = "currency") -> str:
    text = clean_text(value or "EUR", field, max_length=3).upper()
    if not is_currency(text):
        raise validation(f"{field}: {currency_error(value)}", field)
    return text


def resolve_user(user_id: Any, field: str = "assigned_id"):
    """The active user with this id, ``None`` for ``None``; a 422 for anything else."""
    if user_id is None or user_id == "":
        return None
    pk = _int_or_none(user_id)
    user = get_user_model().objects.filter(pk=pk, is_active=True).first() if pk is not None else None
    if user is None:
        raise validation(f"{field}: no active user {user_id}", field)
    return user


def resolve_fk(model: type[models.Model], pk: Any, field: str, *, label: str | None = None):
    """The ``model`` row ``pk`` for a reference field; ``None`` stays ``None``; unknown is a 422."""
    if pk is None or pk == "":
        return None
    key = _int_or_none(pk)
    obj = model._default_manager.filter(pk=key).first() if key is not None else None
    if obj is None:
        raise validation(f"{field}: {label or model.__name__.lower()} {pk} does not exist", field)
    return obj


def get_or_404(model: type[models.Model], pk: Any):
    """The ``model`` row with the integer id ``pk`` (a path parameter); anything else is a 404."""
    key = _int_or_none(pk)
    obj = model._default_manager.filter(pk=key).first() if key is not None else None
    if obj is None:
        raise not_found(model.__name__, pk)
    return obj


def apply_changes(obj: models.Model, values: dict[str, Any]) -> dict[str, list]:
    """Set ``values`` on ``obj``; return ``{field: [old, new]}`` of what really changed."""
    changes: dict[str, list] = {}
    for name, new in values.items():
        old = getattr(obj, name)
        if old != new:
            setattr(obj, name, new)
            changes[name] = [_jsonable(old), _jsonable(new)]
    return changes  # the callers set updated_at when anything changed, standard fields or phones alike


def record_apply(obj: models.Model, cleaned: Any) -> dict[str, list]:
    """Set a ``kontor.crm.fields.Cleaned``'s standard and custom values on ``obj``; return
    ``{field: [old, new]}`` of what really changed (custom fields under their ``uf_crm_*`` key)."""
    changes = apply_changes(obj, cleaned.values)
    if cleaned.uf:
        current = dict(getattr(obj, "uf", None) or {})
        for key, value in cleaned.uf.items():
            old = current.get(key)
            if value is None:
                current.pop(key, None)
            else:
                current[key] = value
            if old != value:
                changes[key] = [old, value]
        obj.uf = current or None  # type: ignore[attr-defined]
    return changes


def _jsonable(value: Any) -> Any:
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def unknown_fields(data: Mapping[str, Any], allowed: Iterable[str]) -> None:
    """Reject field names a service does not know, so typos never pass silently."""
    extra = sorted(set(data) - set(allowed))
    if extra:
        raise KontorError(ErrorCode.VALIDATION, f"unknown field(s): {', '.join(extra)}", field=extra[0])
