"""Read paths of the CRM: filtered, searched, ordered querysets shared by the API and the UI.

Field filters and orderings come from the record specs (``kontor.crm.fields``) and go through the one
filter engine (``kontor.crm.filtering``) the facade uses too. ``q`` searches names, titles, phones and
e-mails: phones and e-mails through the normalised ``Communication`` index (exact on the E.164 or
lower-cased form, or a prefix of it), names and titles with a case-insensitive substring match.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import Exists, F, OuterRef, Q, QuerySet

from kontor.core.errors import validation
from kontor.core.normalize import normalize_email, normalize_phone
from kontor.crm.enums import ActivityType, CommType, EntityType, Semantic
from kontor.crm.fields import STANDARD, Kind, parse_bool, spec_map
from kontor.crm.filtering import Op, condition
from kontor.crm.models import (
    Activity,
    ActivityBinding,
    Communication,
    Company,
    Contact,
    Deal,
    Lead,
    LeadStatus,
    Pipeline,
    Stage,
    TimelineEntry,
)

#: What an activity list may be ordered by (activities have no field specs yet).
ACTIVITY_ORDER = ("id", "created_at", "updated_at", "deadline", "subject")


def _order(qs: QuerySet, order: str | None, allowed: dict[str, str]) -> QuerySet:
    """``order``: comma-separated names, each with an optional ``-`` for descending; ``allowed`` maps
    a name to its column. Anything else (an unknown name, ``--id``, an empty part) is a 422."""
    if not order:
        return qs.order_by("-id")
    fields = []
    for part in order.split(","):
        part = part.strip()
        descending = part.startswith("-")
        name = part[1:] if descending else part
        if name not in allowed:
            names = ", ".join(sorted(allowed))
            raise validation(f"order: cannot order by '{part}' (one of {names}, '-' before a name for descending)",
                             "order")
        fields.append(("-" if descending else "") + allowed[name])
    return qs.order_by(*fields, "-id" if fields[-1].startswith("-") else "id")


def _record_order(qs: QuerySet, entity: EntityType, order: str | None) -> QuerySet:
    return _order(qs, order, {s.name: s.column for s in STANDARD[entity] if s.orderable})


#: ``?<field>__<op>=``: the operators a list filter may name.
FILTER_OPS = {op.value for op in Op}


def record_filter(entity: EntityType, filters: Mapping[str, Any], *, special: tuple[str, ...] = ()) -> Q:
    """The condition of a list's ``filters``: ``{"<field>": value}`` (equal; a comma-separated value
    of a non-text field, or a list, means one of) and ``{"<field>__<op>": value}`` for every
    filterable field of ``entity``, custom fields included, through the one filter engine
    (``kontor.crm.filtering``). Keys in ``special`` are the caller's (``q``, ``semantic``); any other
    key is a 422 naming it, never ignored."""
    specs = spec_map(entity)
    cond = Q()
    for key, raw in filters.items():
        if key in special:
            continue
        name, separator, op = key.partition("__")
        spec = specs.get(name)
        if spec is None:
            raise validation(f"unknown filter '{key}': {name} is not a field of {entity.name.lower()}s", key)
        if separator and op not in FILTER_OPS:
            raise validation(f"{key}: unknown operator '{op}' (one of {', '.join(sorted(FILTER_OPS))})", key)
        op = op or Op.EQ
        text = spec.kind in (Kind.TEXT, Kind.LONGTEXT, Kind.URL)
        if isinstance(raw, str) and "," in raw and (op in (Op.IN, Op.NOT_IN) or (op == Op.EQ and not text)):
            raw = raw.split(",")
            op = Op.NOT_IN if op == Op.NOT_IN else Op.IN
        elif isinstance(raw, list | tuple) and op == Op.EQ:
            op = Op.IN
        cond &= condition(entity, spec, op, raw)
    return cond


def _comm_match(entity_type: EntityType, q: str) -> Q:
    """Records with a phone or e-mail matching ``q`` (normalised exact match or prefix)."""
    keys: list[str] = []
    phone = normalize_phone(q)
    if phone:
        keys.append(phone)
    email = normalize_email(q)
    if email:
        keys.append(email)
    if not keys:
        if "@" in q or q.startswith("+"):
            comms = Communication.objects.filter(entity_type=entity_type, normalized__startswith=q.lower())
        else:
            return Q(pk__in=[])
    else:
        comms = Communication.objects.filter(entity_type=entity_type, normalized__in=keys)
    return Q(Exists(comms.filter(entity_id=OuterRef("pk"))))


def _search(qs: QuerySet, q: str | None, text_fields: tuple[str, ...], entity_type: EntityType) -> QuerySet:
    q = (q or "").strip()
    if not q:
        return qs
    cond = Q()
    for field in text_fields:
        cond |= Q(**{f"{field}__icontains": q})
    if q.isdigit():
        cond |= Q(pk=int(q))
    return qs.filter(cond | _comm_match(entity_type, q))


def _int(filters: Mapping[str, Any], name: str) -> int | None:
    value = filters.get(name)
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise validation(f"{name} must be an integer", name) from None


def lead_list(*, filters: Mapping[str, Any] | None = None, order: str | None = None) -> QuerySet[Lead]:
    """Leads by field filters (``record_filter``), ``semantic`` (process, success, failure) and
    ``q`` (title, names, company title, phones, e-mails)."""
    filters = filters or {}
    qs = Lead.objects.select_related("status", "source", "assigned")
    qs = qs.filter(record_filter(EntityType.LEAD, filters, special=("q", "semantic")))
    if filters.get("semantic"):
        semantic = str(filters["semantic"])
        if semantic not in Semantic.values:
            raise validation(f"semantic must be one of {', '.join(Semantic.values)}", "semantic")
        qs = qs.filter(status__semantic=semantic)
    qs = _search(qs, filters.get("q"), ("title", "name", "last_name", "company_title"), EntityType.LEAD)
    return _record_order(qs, EntityType.LEAD, order)


def flag_is(field: str, value: bool) -> Q:
    """``field`` is ``value``, as a condition an index on ``(…, field, id)`` can serve on SQLite too.

    Django writes ``field=False`` as ``NOT field``, which SQLite cannot look up in an index: a list of
    a pipeline's open deals then reads every deal of the pipeline. ``field IN (0)`` it can.
    """
    return Q(**{f"{field}__in": [value]})


def deal_list(*, filters: Mapping[str, Any] | None = None, order: str | None = None) -> QuerySet[Deal]:
    """Deals by field filters (``record_filter``: ``pipeline_id``, ``stage_id``, ``closed``,
    ``contact_ids``, custom fields …) and ``q`` (title, phones, e-mails)."""
    filters = filters or {}
    qs = Deal.objects.select_related("stage", "pipeline", "contact", "company", "assigned")
    qs = qs.filter(record_filter(EntityType.DEAL, filters, special=("q",)))
    qs = _search(qs, filters.get("q"), ("title",), EntityType.DEAL)
    return _record_order(qs, EntityType.DEAL, order)


def contact_list(*, filters: Mapping[str, Any] | None = None, order: str | None = None) -> QuerySet[Contact]:
    """Contacts by field filters (``record_filter``) and ``q`` (names, phones, e-mails)."""
    filters = filters or {}
    qs = Contact.objects.select_related("company", "assigned")
    qs = qs.filter(record_filter(EntityType.CONTACT, filters, special=("q",)))
    qs = _search(qs, filters.get("q"), ("name", "last_name", "second_name"), EntityType.CONTACT)
    return _record_order(qs, EntityType.CONTACT, order)


def company_list(*, filters: Mapping[str, Any] | None = None, order: str | None = None) -> QuerySet[Company]:
    """Companies by field filters (``record_filter``) and ``q`` (title, phones, e-mails)."""
    filters = filters or {}
    qs = Company.objects.select_related("assigned")
    qs = qs.filter(record_filter(EntityType.COMPANY, filters, special=("q",)))
    qs = _search(qs, filters.get("q"), ("title",), EntityType.COMPANY)
    return _record_order(qs, EntityType.COMPANY, order)


#: The filters of an activity list.
ACTIVITY_FILTERS = ("entity", "entity_id", "responsible_id", "completed", "type", "q")


def activity_list(*, filters: Mapping[str, Any] | None = None, order: str | None = None) -> QuerySet[Activity]:
    """Activities filtered by ``entity`` + ``entity_id`` (a record's activities), ``responsible_id``,
    ``completed``, ``type``, ``q`` (subject); any other filter is a 422 naming it."""
    filters = filters or {}
    unknown = [key for key in filters if key not in ACTIVITY_FILTERS]
    if unknown:
        raise validation(f"unknown filter '{unknown[0]}' (one of {', '.join(ACTIVITY_FILTERS)})", unknown[0])
    qs = Activity.objects.select_related("responsible")
    entity, entity_id = filters.get("entity"), _int(filters, "entity_id")
    if entity or entity_id is not None:
        try:
            entity_type = EntityType.from_name(str(entity or ""))
        except KeyError:
            raise validation("entity must be lead, deal, contact or company", "entity") from None
        if entity_id is None:
            raise validation("entity_id is required with entity", "entity_id")
        qs = qs.filter(
            Exists(ActivityBinding.objects.filter(activity=OuterRef("pk"), entity_type=entity_type,
                                                  entity_id=entity_id))
        )
    if (value := _int(filters, "responsible_id")) is not None:
        qs = qs.filter(responsible_id=value)
    if filters.get("completed") is not None and filters.get("completed") != "":
        completed = parse_bool(filters["completed"])
        if completed is None:
            raise validation("completed must be true or false", "completed")
        qs = qs.filter(completed=completed)
    if filters.get("type"):
        if filters["type"] not in ActivityType.values:
            raise validation(f"type must be one of {', '.join(ActivityType.values)}", "type")
        qs = qs.filter(type=filters["type"])
    if (q := str(filters.get("q") or "").strip()):
        qs = qs.filter(subject__icontains=q)
    return _order(qs, order or "-id", {name: name for name in ACTIVITY_ORDER})


def record_bindings(activity_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """``{activity_id: [{"entity": "deal", "id": 5}, …]}`` in one query."""
    out: dict[int, list[dict[str, Any]]] = {pk: [] for pk in activity_ids}
    for b in ActivityBinding.objects.filter(activity_id__in=activity_ids).order_by("id"):
        out[b.activity_id].append({"entity": EntityType(b.entity_type).name.lower(), "id": b.entity_id})
    return out


def next_open_activities(entity_type: EntityType, ids: list[int]) -> dict[int, Activity]:
    """``{record_id: its open activity with the earliest deadline}`` (undated ones last) in one query,
    for the kanban cards."""
    out: dict[int, Activity] = {}
    if not ids:
        return out
    rows = (ActivityBinding.objects.filter(entity_type=entity_type, entity_id__in=ids, activity__completed=False)
            .select_related("activity").order_by(F("activity__deadline").asc(nulls_last=True), "activity_id"))
    for b in rows:
        out.setdefault(b.entity_id, b.activity)
    return out


def record_communications(entity_type: EntityType, ids: list[int]) -> dict[int, dict[str, list[Communication]]]:
    """``{record_id: {"PHONE": [...], "EMAIL": [...], "WEB": [...], "IM": [...]}}`` for many records in one query."""
    out: dict[int, dict[str, list[Communication]]] = {pk: {t: [] for t in CommType.values} for pk in ids}
    for c in Communication.objects.filter(entity_type=entity_type, entity_id__in=ids).order_by("id"):
        out[c.entity_id][c.type].append(c)
    return out


def record_timeline(entity_type: EntityType, entity_id: int, *, limit: int = 100) -> QuerySet[TimelineEntry]:
    return TimelineEntry.objects.filter(entity_type=entity_type, entity_id=entity_id).select_related("actor")[:limit]


def pipeline_list() -> QuerySet[Pipeline]:
    return Pipeline.objects.prefetch_related("stages").order_by("sort", "id")


def stage_list(*, pipeline: Pipeline) -> QuerySet[Stage]:
    return pipeline.stages.order_by("sort", "id")


def lead_status_list() -> QuerySet[LeadStatus]:
    return LeadStatus.objects.order_by("sort", "code")
