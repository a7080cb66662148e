"""Record values as people read them, derived from the record specs: money with thousands
separators and currency, dates in the active language, directory codes as names, custom
enumeration items by value, linked records and addresses as links. Detail pages and list columns
use the same ``RecordDisplay``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from kontor.core.money import format_amount
from kontor.crm.enums import EntityType
from kontor.crm.fields import FieldSpec, Kind, parse_moment, specs_for
from kontor.crm.models import Company, Contact, Deal, DirectoryItem, Lead, LeadStatus, Pipeline, Source, Stage
from kontor.web.views.common import record_url

LINK_MODELS = {"lead": (Lead, EntityType.LEAD), "deal": (Deal, EntityType.DEAL),
               "contact": (Contact, EntityType.CONTACT), "company": (Company, EntityType.COMPANY)}

#: Standard fields a detail page leaves out: the id and title are in the heading, the currency goes with
#: the amount, phones and e-mails have their own block (``includes/comms.html``), the pipeline is in the
#: stage bar.
HIDDEN = {"id", "title", "currency", "phones", "emails", "pipeline_id"}
#: Per kind: a deal's primary contact is the first of its contacts (``contact_ids``).
HIDDEN_OF = {EntityType.DEAL: {"contact_id"}}


@dataclass
class Shown:
    """One field's label and formatted value (HTML-safe)."""

    spec: FieldSpec
    label: str
    html: SafeString


def money(amount: Any, currency: str = "") -> str:
    """``12.500,50 EUR`` (de) / ``12,500.50 EUR`` (en)."""
    try:
        value = Decimal(str(amount))
    except (InvalidOperation, ValueError):
        return str(amount)
    return f"{format_amount(value)} {currency}".strip()


class RecordDisplay:
    """Formats the values of one record kind; names of directory entries, users and linked records
    are read once per instance (one page), not once per value."""

    def __init__(self, entity: EntityType):
        self.entity = entity
        self.specs = specs_for(entity)
        self._names: dict[str, dict[str, str]] = {}
        self._records: dict[tuple[str, int], Any] = {}

    # --- look-ups ---------------------------------------------------------------------------------

    def _directory(self, directory: str) -> dict[str, str]:
        if directory not in self._names:
            if directory == "STATUS":
                rows = LeadStatus.objects.values_list("code", "name")
            elif directory == "SOURCE":
                rows = Source.objects.values_list("code", "name")
            else:
                rows = DirectoryItem.objects.filter(directory=directory).values_list("code", "name")
            self._names[directory] = dict(rows)
        return self._names[directory]

    def _user(self, pk: Any) -> str:
        users = self._names.setdefault("@users", {})
        key = str(pk)
        if key not in users:
            user = get_user_model().objects.filter(pk=pk).first()
            users[key] = user.display_name if user else f"#{pk}"
        return users[key]

    def _record(self, link: str, pk: Any) -> Any:
        key = (link, int(pk))
        if key not in self._records:
            model = {**{k: m for k, (m, _e) in LINK_MODELS.items()}, "pipeline": Pipeline, "stage": Stage}.get(link)
            self._records[key] = model.objects.filter(pk=pk).first() if model else None
        return self._records[key]

    def _link(self, link: str, pk: Any) -> SafeString:
        obj = self._record(link, pk)
        if obj is None:
            return format_html("#{}", pk)
        if link in LINK_MODELS:
            return format_html('<a href="{}">{}</a>', record_url(LINK_MODELS[link][1], obj.pk), str(obj))
        if link == "stage":
            return format_html('<span class="dot" style="--stage-color: {}"></span>{}', obj.color or "#8aa",
                               obj.name)
        return format_html("{}", getattr(obj, "name", str(obj)))

    # --- values -----------------------------------------------------------------------------------

    def raw(self, spec: FieldSpec, obj: Any, comms: dict[str, list] | None = None) -> Any:
        """The stored value of ``spec`` on ``obj`` (a list for multiple values)."""
        if spec.is_custom:
            return (getattr(obj, "uf", None) or {}).get(spec.name)
        if spec.kind == Kind.MULTI:
            return list((comms or {}).get(spec.comm_type or "", []))
        if spec.kind == Kind.LINKS:
            if spec.name == "contact_ids":
                return list(obj.deal_contacts.order_by("-is_primary", "sort", "id").values_list("contact_id",
                                                                                               flat=True))
            if spec.name == "company_ids":
                return list(obj.companies.values_list("pk", flat=True))
            return []
        return getattr(obj, spec.column, None)

    def is_empty(self, spec: FieldSpec, value: Any) -> bool:
        if spec.kind == Kind.BOOL and not spec.is_custom:
            return not value  # "no" is every record's default; only "yes" says something
        return value is None or value == "" or value == [] or (spec.kind == Kind.MONEY and not spec.is_custom
                                                                and spec.nullable and value is None)

    def format(self, spec: FieldSpec, value: Any, obj: Any = None) -> SafeString:
        """``value`` of ``spec`` as HTML."""
        if isinstance(value, list):
            if spec.kind == Kind.MULTI:
                return format_html_join(", ", "{}", ((self._comm(spec, c),) for c in value))
            return format_html_join(", ", "{}", ((self.format(spec, v, obj),) for v in value))
        kind = spec.kind
        if kind == Kind.MONEY:
            if spec.is_custom:
                amount, _bar, currency = str(value).partition("|")
                return format_html("{}", money(amount, currency))
            currency = getattr(obj, "currency", "") if obj is not None else ""
            return format_html("{}", money(value, currency))
        if kind == Kind.DATE:
            day = value if isinstance(value, date) else None
            if day is None:
                try:
                    day = date.fromisoformat(str(value))
                except ValueError:
                    return format_html("{}", value)
            return format_html("{}", date_format(day, "SHORT_DATE_FORMAT"))
        if kind == Kind.DATETIME:
            moment = value if isinstance(value, datetime) else parse_moment(value)
            if moment is None:
                return format_html("{}", value)
            return format_html("{}", date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT"))
        if kind == Kind.BOOL:
            return format_html("{}", _("Yes") if value else _("No"))
        if kind == Kind.ENUM:
            if spec.is_custom:
                return format_html("{}", dict(spec.items).get(int(value), f"#{value}") if str(value).isdigit()
                                   else value)
            return format_html("{}", self._directory(spec.directory or "").get(str(value), value))
        if kind == Kind.USER:
            return format_html("{}", self._user(value))
        if kind in (Kind.LINK, Kind.LINKS):
            return self._link(spec.link or "", value)
        if kind == Kind.URL:
            return format_html('<a href="{}" rel="noopener noreferrer" target="_blank">{}</a>', value, value)
        if kind in (Kind.INT, Kind.DOUBLE):
            return format_html("{}", number_format(value, use_l10n=True, force_grouping=True))
        if kind == Kind.LONGTEXT:
            return format_html('<span class="pre">{}</span>', value)
        return format_html("{}", value)

    def _comm(self, spec: FieldSpec, comm: Any) -> SafeString:
        if spec.comm_type == "WEB":
            href = comm.value if "://" in comm.value else f"https://{comm.value}"
            return format_html('<a href="{}" rel="noopener noreferrer" target="_blank">{}</a>', href, comm.value)
        if spec.comm_type == "PHONE":
            return format_html('<a href="tel:{}">{}</a>', comm.normalized, comm.value)
        if spec.comm_type == "EMAIL":
            return format_html('<a href="mailto:{}">{}</a>', comm.value, comm.value)
        return format_html("{} <small class=\"muted\">{}</small>", comm.value, comm.value_type)

    def fields(self, obj: Any, comms: dict[str, list] | None = None) -> list[Shown]:
        """Every field of ``obj`` that has a value, in spec order: a detail page's list."""
        hidden = HIDDEN | HIDDEN_OF.get(self.entity, set())
        out = []
        for spec in self.specs:
            if spec.name in hidden:
                continue
            value = self.raw(spec, obj, comms)
            if self.is_empty(spec, value):
                continue
            out.append(Shown(spec, spec.label, self.format(spec, value, obj)))
        return out

    def cell(self, spec: FieldSpec, obj: Any, comms: dict[str, list] | None = None) -> SafeString:
        """One list cell (empty text when the record has no value)."""
        value = self.raw(spec, obj, comms)
        if self.is_empty(spec, value):
            return mark_safe("")
        if spec.kind == Kind.MULTI:
            value = value[:1]
        return self.format(spec, value, obj)
