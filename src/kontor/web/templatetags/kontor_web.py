"""Template helpers of the web UI: the CRM mode, money, timeline texts, form field rendering."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from kontor.accounts.models import Action
from kontor.core.money import format_amount, format_count
from kontor.crm import access
from kontor.crm.enums import ActivityType, CrmMode, EntityType, TimelineKind
from kontor.crm.fields import STANDARD, Kind
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
def may_add(user: Any, kind: str) -> bool:
    """Whether ``user``'s role lets them add records of ``kind`` ("lead", "deal", "contact",
    "company", "activity"): "New …" buttons are shown only then (the services refuse anyway)."""
    return access.may(user, kind, Action.ADD)


@register.filter
def mode_label(mode: str) -> str:
    return str(CrmMode(mode).label) if mode in CrmMode.values else mode


@register.filter
def money(value: Any) -> str:
    """``12.500,50`` (de) / ``12,500.50`` (en)."""
    return format_amount(value if value not in (None, "") else Decimal("0"))


@register.filter
def num(value: Any) -> str:
    """A count with the language's thousands separator: ``135.000`` (de) / ``135,000`` (en)."""
    return format_count(value)


@register.filter
def money_sums(sums: Any) -> str:
    """Per-currency totals ``[(currency, amount)]`` as ``12.500,00 EUR · 3.000,00 USD``; "0,00" if none."""
    parts = [f"{format_amount(amount)} {currency}".strip() for currency, amount in (sums or [])]
    return " · ".join(parts) or format_amount(Decimal("0"))


@register.filter
def on_color(color: str) -> str:
    """Black or white, whichever reads better on the background ``color`` ("#39A8EF"): the one with
    the higher WCAG contrast ratio (stage colours are chosen by admins)."""
    text = (color or "").strip().lstrip("#")
    if len(text) == 3:
        text = "".join(ch * 2 for ch in text)
    try:
        rgb = [int(text[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    except ValueError:
        return "#fff"
    if len(text) != 6:
        return "#fff"
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    luminance = 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    return "#000" if (luminance + 0.05) / 0.05 >= 1.05 / (luminance + 0.05) else "#fff"


@register.filter
def activity_type(value: str) -> str:
    return str(ActivityType(value).label) if value in ActivityType.values else value


@register.filter
def timeline_text(entry: TimelineEntry) -> str:
    """One readable line per timeline event, in the user's language (``timeline_line`` renders
    changed fields with their values)."""
    return timeline_line({}, entry)


@register.simple_tag(takes_context=True)
def timeline_line(context, entry: TimelineEntry) -> str:
    """One timeline event as HTML: "Betrag: 10.000,00 EUR → 12.500,00 EUR" for a change. The value
    formatting (``RecordDisplay``) is shared by the entries of one page."""
    data = entry.data or {}
    kind = entry.kind
    if kind == TimelineKind.CREATED:
        return _("Created")
    if kind == TimelineKind.UPDATED:
        changes = data.get("changes") or []
        if changes and all(isinstance(c, dict) for c in changes):
            cache = context.render_context if hasattr(context, "render_context") else {}
            displays = cache.setdefault("kontor_timeline_displays", {})
            return format_html_join("; ", "{}", ((_change_html(entry.entity_type, c, displays),) for c in changes))
        # Entries written before changes carried values: the changed fields' labels.
        labels = {s.name: s.label for s in STANDARD.get(EntityType(entry.entity_type), ())}
        return _("Changed: %(fields)s") % {"fields": ", ".join(labels.get(c, c) for c in changes) or "—"}
    if kind == TimelineKind.STAGE_CHANGED:
        return _("Stage changed: %(from)s → %(to)s") % {
            "from": data.get("from_name") or data.get("from", ""), "to": data.get("to_name") or data.get("to", "")}
    if kind == TimelineKind.STATUS_CHANGED:
        return _("Status changed: %(from)s → %(to)s") % {"from": data.get("from_name") or data.get("from", ""),
                                                         "to": data.get("to_name") or data.get("to", "")}
    if kind == TimelineKind.CONVERTED:
        return _("Converted")
    if kind == TimelineKind.CREATED_FROM_LEAD:
        return _("Created from lead #%(id)s") % {"id": data.get("lead_id", "?")}
    if kind == TimelineKind.ACTIVITY_ADDED:
        return _("Activity added: %(subject)s") % {"subject": data.get("subject", "")}
    if kind == TimelineKind.ACTIVITY_COMPLETED:
        return _("Activity completed: %(subject)s") % {"subject": data.get("subject", "")}
    if kind == TimelineKind.COMMENT:
        if data.get("lost_reason"):
            return _("Reason for the loss: %(text)s") % {"text": data.get("text", "")}
        return _("Note: %(text)s") % {"text": data.get("text", "")}
    return str(TimelineKind(kind).label) if kind in TimelineKind.values else kind


#: Longer texts are cut in the timeline (the record shows them whole).
TIMELINE_TEXT_CHARS = 80


def _change_html(entity_type: int, change: dict[str, Any], displays: dict) -> str:
    """``Label: old → new`` of one changed field, the values formatted as the detail page shows them."""
    from kontor.web.display import RecordDisplay, money

    entity = EntityType(entity_type)
    display = displays.get(entity)
    if display is None:
        display = displays[entity] = RecordDisplay(entity)
    spec = next((s for s in display.specs if s.name == change.get("field")), None)
    label = change.get("label_de") if (get_language() or "").startswith("de") else change.get("label_en")

    def shown(value: Any, side: str) -> str:
        if value is None or value == "" or value == []:
            return "—"
        if spec is None:
            return format_html("{}", value)
        if spec.kind == Kind.MONEY and not spec.is_custom:
            return format_html("{}", money(value, change.get(f"{side}_currency") or ""))
        if spec.kind == Kind.MULTI:
            return format_html("{}", ", ".join(str(v) for v in value) if isinstance(value, list) else value)
        name = change.get(f"{side}_name")
        if name and spec.kind in (Kind.USER, Kind.ENUM):  # as it was named at the change
            return format_html("{}", name)
        if name and spec.kind == Kind.LINK and display._record(spec.link or "", value) is None:
            return format_html("{}", name)  # the record is gone: its name then
        if spec.kind in (Kind.TEXT, Kind.LONGTEXT) and isinstance(value, str):
            return format_html("{}", Truncator(value).chars(TIMELINE_TEXT_CHARS))
        try:
            return display.format(spec, value)
        except (TypeError, ValueError, LookupError):
            return format_html("{}", value)

    return format_html("{}: {} → {}", label or change.get("field", ""), shown(change.get("old"), "old"),
                       shown(change.get("new"), "new"))


@register.simple_tag(takes_context=True)
def nav_current(context, prefix: str) -> str:
    request = context.get("request")
    if request is not None and request.path.startswith(prefix):
        return mark_safe('aria-current="page"')
    return ""
