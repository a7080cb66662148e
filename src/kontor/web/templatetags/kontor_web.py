"""Template helpers of the web UI: the CRM mode, money, timeline texts, form field rendering."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.utils.formats import number_format
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from kontor.crm.enums import ActivityType, CrmMode, TimelineKind
from kontor.crm.models import CrmSettings, TimelineEntry

register = template.Library()


@register.simple_tag(takes_context=True)
def crm_mode(context) -> str:
    """The CRM mode, read once per request (the navigation and the gear menu both ask)."""
    request = context.get("request")
    cached = getattr(request, "_kontor_crm_mode", None) if request is not None else None
    if cached is None:
        cached = CrmSettings.load().mode
        if request is not None:
            request._kontor_crm_mode = cached
    return cached


@register.filter
def mode_label(mode: str) -> str:
    return str(CrmMode(mode).label) if mode in CrmMode.values else mode


@register.filter
def money(value: Any) -> str:
    if value in (None, ""):
        value = Decimal("0")
    return number_format(value, 2, use_l10n=True, force_grouping=True)


@register.filter
def activity_type(value: str) -> str:
    return str(ActivityType(value).label) if value in ActivityType.values else value


@register.filter
def timeline_text(entry: TimelineEntry) -> str:
    """One readable line per timeline event, in the user's language."""
    data = entry.data or {}
    kind = entry.kind
    if kind == TimelineKind.CREATED:
        return _("Created")
    if kind == TimelineKind.UPDATED:
        return _("Changed: %(fields)s") % {"fields": ", ".join(data.get("changes") or []) or "—"}
    if kind == TimelineKind.STAGE_CHANGED:
        return _("Stage changed: %(from)s → %(to)s") % {
            "from": data.get("from_name") or data.get("from", ""), "to": data.get("to_name") or data.get("to", "")}
    if kind == TimelineKind.STATUS_CHANGED:
        return _("Status changed: %(from)s → %(to)s") % {"from": data.get("from", ""), "to": data.get("to", "")}
    if kind == TimelineKind.CONVERTED:
        return _("Converted")
    if kind == TimelineKind.CREATED_FROM_LEAD:
        return _("Created from lead #%(id)s") % {"id": data.get("lead_id", "?")}
    if kind == TimelineKind.ACTIVITY_ADDED:
        return _("Activity added: %(subject)s") % {"subject": data.get("subject", "")}
    if kind == TimelineKind.ACTIVITY_COMPLETED:
        return _("Activity completed: %(subject)s") % {"subject": data.get("subject", "")}
    if kind == TimelineKind.COMMENT:
        return _("Comment: %(text)s") % {"text": data.get("text", "")}
    return str(TimelineKind(kind).label) if kind in TimelineKind.values else kind


@register.simple_tag(takes_context=True)
def nav_current(context, prefix: str) -> str:
    request = context.get("request")
    if request is not None and request.path.startswith(prefix):
        return mark_safe('aria-current="page"')
    return ""
