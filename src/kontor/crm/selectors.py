"""Read paths of the CRM: filtered, searched, ordered querysets shared by the API and the UI.

Every filter here has an index behind it (see models). ``q`` searches names, titles, phones and
e-mails: phones and e-mails through the normalised ``Communication`` index (exact on the E.164 or
lower-cased form, or a prefix of it), names and titles with a case-insensitive substring match.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from kontor.core.errors import validation
from kontor.core.normalize import normalize_email, normalize_phone
from kontor.crm.enums import CommType, EntityType
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

#: Fields a list may be ordered by, per model (``-`` prefix for descending).
ORDERABLE = {
    Lead: {"id", "created_at", "updated_at", "title", "opportunity", "status_id", "last_name"},
    Deal: {"id", "created_at", "updated_at", "title", "opportunity", "stage_id", "pipeline_id"},
    Contact: {"id", "created_at", "updated_at", "last_name", "name"},
    Company: {"id", "created_at", "updated_at", "title"},
    Activity: {"id", "created_at", "updated_at", "deadline", "subject"},
}


def _order(qs: QuerySet, order: str | None) -> QuerySet:
    if not order:
        return qs.order_by("-id")
    fields = []
    for part in order.split(","):
        part = part.strip()
        name = part.lstrip("-")
        if name not in ORDERABLE[qs.model]:
            allowed = ", ".join(sorted(ORDERABLE[qs.model]))
            raise validation(f"order: cannot order by '{name}' (one of {allowed})", "order")
        fields.append(part)
    return qs.order_by(*fields, "-id" if fields[-1].startswith("-") else "id")


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
    """Leads filtered by ``status_id``, ``source``, ``assigned_id``, ``semantic``, ``q``."""
    filters = filters or {}
    qs = Lead.objects.select_related("status", "source", "assigned")
    if filters.get("status_id"):
        qs = qs.filter(status_id=str(filters["status_id"]).upper())
    if filters.get("semantic"):
        qs = qs.filter(status__semantic=filters["semantic"])
    if filters.get("source"):
        qs = qs.filter(source_id=str(filters["source"]).upper())
    if (assigned := _int(filters, "assigned_id")) is not None:
        qs = qs.filter(assigned_id=assigned)
    qs = _search(qs, filters.get("q"), ("title", "name", "last_name", "company_title"), EntityType.LEAD)
    return _order(qs, order)


def flag_is(field: str, value: bool) -> Q:
    """``field`` is ``value``, as a condition an index on ``(…, field, id)`` can serve on SQLite too.

    Django writes ``field=False`` as ``NOT field``, which SQLite cannot look up in an index: a list of
    a pipeline's open deals then reads every deal of the pipeline. ``field IN (0)`` it can.
    """
    return Q(**{f"{field}__in": [value]})


def deal_list(*, filters: Mapping[str, Any] | None = None, order: str | None = None) -> QuerySet[Deal]:
    """Deals filtered by ``pipeline_id``, ``stage_id``, ``assigned_id``, ``contact_id``, ``company_id``,
    ``closed``, ``q``."""
    filters = filters or {}
    qs = Deal.objects.select_related("stage", "pipeline", "contact", "company", "assigned")
    for name in ("pipeline_id", "stage_id", "assigned_id", "contact_id", "company_id", "lead_id"):
        if (value := _int(filters, name)) is not None:
            qs = qs.filter(**{name: value})
    if filters.get("closed") is not None and filters.get("closed") != "":
        qs = qs.filter(flag_is("closed", str(filters["closed"]).lower() in ("1", "true", "yes")))
    qs = _search(qs, filters.get("q"), ("title",), EntityType.DEAL)
    return _order(qs, order)


def contact_list(*, filters: Mapping[str, Any] | None = None, order: str | None = None) -> QuerySet[Contact]:
    """Contacts filtered by ``company_id``, ``assigned_id``, ``q`` (names, phones, e-mails)."""
    filters = filters or {}
    qs = Contact.objects.select_related("company", "assigned")
    for name in ("company_id", "assigned_id"):
        if (value := _int(filters, name)) is not None:
            qs = qs.filter(**{name: value})
    qs = _search(qs, filters.get("q"), ("name", "last_name", "second_name"), EntityType.CONTACT)
    return _order(qs, order)


def company_list(*, filters: Mapping[str, Any] | None = None, order: str | None = None) -> QuerySet[Company]:
    """Companies filtered by ``assigned_id``, ``q`` (title, phones, e-mails)."""
    filters = filters or {}
    qs = Company.objects.select_related("assigned")
    if (value := _int(filters, "assigned_id")) is not None:
        qs = qs.filter(assigned_id=value)
    qs = _search(qs, filters.get("q"), ("title",), EntityType.COMPANY)
    return _order(qs, order)


def activity_list(*, filters: Mapping[str, Any] | None = None, order: str | None = None) -> QuerySet[Activity]:
    """Activities filtered by ``entity`` + ``entity_id`` (a record's activities), ``responsible_id``,
    ``completed``, ``type``, ``q`` (subject)."""
    filters = filters or {}
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
        qs = qs.filter(completed=str(filters["completed"]).lower() in ("1", "true", "yes"))
    if filters.get("type"):
        qs = qs.filter(type=filters["type"])
    if (q := (filters.get("q") or "").strip()):
        qs = qs.filter(subject__icontains=q)
    return _order(qs, order or "-id")


def record_bindings(activity_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """``{activity_id: [{"entity": "deal", "id": 5}, …]}`` in one query."""
    out: dict[int, list[dict[str, Any]]] = {pk: [] for pk in activity_ids}
    for b in ActivityBinding.objects.filter(activity_id__in=activity_ids).order_by("id"):
        out[b.activity_id].append({"entity": EntityType(b.entity_type).name.lower(), "id": b.entity_id})
    return out


def record_communications(entity_type: EntityType, ids: list[int]) -> dict[int, dict[str, list[Communication]]]:
    """``{record_id: {"PHONE": [...], "EMAIL": [...]}}`` for many records in one query."""
    out: dict[int, dict[str, list[Communication]]] = {pk: {CommType.PHONE: [], CommType.EMAIL: []} for pk in ids}
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
