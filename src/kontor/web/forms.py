"""Forms of the web UI. Field names are the wire names the services take, so a ``KontorError``'s
``field`` lands next to the input it is about; the services do the real validation."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from kontor.core.money import AmountError, amount_example, currency_choices, input_amount, is_currency, parse_amount
from kontor.crm.enums import ActivityType, EntityType
from kontor.crm.fields import FieldSpec, Kind, parse_moment, specs_for
from kontor.crm.models import Communication, Company, Contact, LeadStatus, Pipeline, Source

MULTILINE_HELP = _("One per line.")
MULTIPLE_HELP = _("Several values: one per input; save to get another empty input.")


def _lines(value: str) -> list[str]:
    return [line.strip() for line in (value or "").replace(",", "\n").replace(";", "\n").splitlines() if line.strip()]


def comm_payload(text: str, existing: list[Communication] | None) -> list[Any]:
    """Phones/e-mails typed one per line; lines equal to a stored value keep that row (and its type)."""
    by_value = {c.value: c for c in existing or []}
    out: list[Any] = []
    for line in _lines(text):
        row = by_value.pop(line, None)
        out.append({"id": row.pk, "value": row.value, "type": row.value_type} if row else line)
    return out


def user_choices() -> list[tuple[str, str]]:
    users = get_user_model().objects.filter(is_active=True).order_by("first_name", "last_name", "username")
    return [("", "—")] + [(str(u.pk), u.display_name) for u in users]


def source_choices() -> list[tuple[str, str]]:
    return [("", "—")] + [(s.code, s.name) for s in Source.objects.order_by("sort", "code")]


def stage_choices() -> list[tuple[str, Any]]:
    """Stages grouped by pipeline: picking a stage also picks its pipeline."""
    groups: list[tuple[str, Any]] = []
    for pipeline in Pipeline.objects.prefetch_related("stages").order_by("sort", "id"):
        groups.append((pipeline.name, [(str(s.pk), s.name) for s in pipeline.stages.all()]))
    return groups


class LookupWidget(forms.HiddenInput):
    """A hidden id with a search box beside it (htmx search of contacts or companies)."""

    template_name = "web/widgets/lookup.html"

    def __init__(self, kind: str, attrs=None):
        super().__init__(attrs)
        self.kind = kind

    def id_for_label(self, id_):
        return f"{id_}_search" if id_ else id_  # the label names the visible search box

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        label = ""
        model = _model_of(self.kind)
        # A re-rendered form may carry what was posted ("abc"): only a whole number is looked up;
        # the field itself reports the bad value.
        if value not in (None, "") and str(value).strip().isdigit():
            obj = model.objects.filter(pk=int(value)).first()
            label = str(obj) if obj else ""
        context["widget"].update({"kind": self.kind, "label": label})
        return context


class LookupField(forms.IntegerField):
    def __init__(self, kind: str, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", LookupWidget(kind))
        super().__init__(**kwargs)


# --- record forms, derived from the record specs ---------------------------------------------------

#: Fieldsets of a record form, in order: (key, legend). Which spec goes where: ``spec_group``.
GROUPS = (("main", _("Main")), ("contact", _("Contact details")), ("address", _("Address")),
          ("custom", _("Custom fields")), ("more", _("More")))

#: Lookup kinds (``/lookup/<kind>/``) per linked record kind.
LOOKUP_KINDS = {"contact": "contacts", "company": "companies", "lead": "leads", "deal": "deals"}

#: A custom money value as typed: an amount, optionally a currency after it ("12.500,50 EUR") or the
#: API's notation ("12500.50|EUR").
AMOUNT_CURRENCY = re.compile(r"^\s*(.*?)\s*(?:\|\s*|\s)([A-Za-z]{3})\s*$")

def spec_group(spec: FieldSpec) -> str:
    if spec.is_custom:
        return "custom"
    if spec.kind == Kind.MULTI:
        return "contact"
    if spec.name.startswith("address"):
        return "address"
    if spec.kind == Kind.LONGTEXT:
        return "more"
    return "main"


def amount_value(text: str, *, with_currency: bool = False, places: int | None = 2) -> str:
    """An amount typed in the active language ("12.500,50" in German, "12,500.50" in English) as the
    services read it ("12500.50"); ``with_currency``: a currency may follow ("12500.50|EUR").
    Text that is no amount in this language is a ``ValidationError`` showing how to write one:
    "12500,50" in German is 12500.50, never 1,250,050."""
    raw = (text or "").strip()
    if not raw:
        return ""
    currency = ""
    found = AMOUNT_CURRENCY.match(raw) if with_currency else None
    if found and not found[2].isdigit():
        raw, currency = found[1], found[2].upper()
        if not is_currency(currency):
            raise forms.ValidationError(_("%(code)s is not a currency code (ISO 4217, such as EUR).") %
                                        {"code": currency}, code="currency")
    if "|" in raw and not currency:
        raise forms.ValidationError(_("Enter an amount such as %(example)s.") % {"example": amount_example()},
                                    code="amount")
    try:
        amount = parse_amount(raw, places=places)
    except AmountError as exc:
        message = _("Enter an amount such as %(example)s.") % {"example": exc.example}
        if places is not None:
            message = _("Enter an amount such as %(example)s (at most %(places)s decimals).") % {
                "example": exc.example, "places": places}
        raise forms.ValidationError(message, code="amount") from None
    number = format(amount, "f") if amount is not None else ""
    return f"{number}|{currency}" if currency else number


def normalize_amount(text: str) -> str:
    """``amount_value`` for filters: text that is no amount stays as it is, so the service names the
    field in its error."""
    try:
        return amount_value(text, places=None)
    except forms.ValidationError:
        return (text or "").strip()


def custom_money(text: str) -> str:
    """A custom money filter value as stored ("12500.50|EUR") from "12.500,50 EUR"; else as typed."""
    try:
        return amount_value(text, with_currency=True, places=None)
    except forms.ValidationError:
        return (text or "").strip()


class AmountField(forms.CharField):
    """A text input with ``inputmode=decimal`` for an amount in the user's language (``amount_value``)."""

    def __init__(self, *, with_currency: bool = False, places: int | None = 2, **kwargs):
        self.with_currency, self.places = with_currency, places
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}))
        super().__init__(**kwargs)

    def clean(self, value):
        return amount_value(super().clean(value), with_currency=self.with_currency, places=self.places)


class AmountListField(forms.Field):
    """Several amounts (a custom money/number field with ``multiple``), each one as ``AmountField``."""

    def __init__(self, *, with_currency: bool = False, places: int | None = 2, **kwargs):
        self.with_currency, self.places = with_currency, places
        super().__init__(**kwargs)

    def to_python(self, value):
        values = value if isinstance(value, list | tuple) else ([] if value in (None, "") else [value])
        return [amount_value(str(v), with_currency=self.with_currency, places=self.places)
                for v in values if str(v).strip()]


def money_text(value: Any) -> str:
    """A stored amount for an input, in the active language's notation without grouping."""
    return input_amount(value)


def _model_of(kind: str):
    from kontor.crm.models import Deal, Lead

    return {"contacts": Contact, "companies": Company, "leads": Lead, "deals": Deal}[kind]


class MultiValueInput(forms.Widget):
    """Several inputs of one name (a custom field with ``multiple``): the stored values and one empty
    input for another."""

    template_name = "web/widgets/multi_value.html"

    def __init__(self, input_type: str = "text", attrs=None):
        super().__init__(attrs)
        self.input_type = input_type

    def value_from_datadict(self, data, files, name):
        return data.getlist(name) if hasattr(data, "getlist") else data.get(name, [])

    def value_omitted_from_data(self, data, files, name):
        return name not in data

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        values = [v for v in (value if isinstance(value, list | tuple) else [value]) if v not in (None, "")]
        context["widget"].update({"values": [*values, ""], "input_type": self.input_type})
        return context


class MultiLookupWidget(forms.Widget):
    """Several record pickers of one name (a deal's contacts, a multiple link custom field)."""

    template_name = "web/widgets/multi_lookup.html"

    def __init__(self, kind: str, attrs=None):
        super().__init__(attrs)
        self.kind = kind

    def id_for_label(self, id_):
        return f"{id_}_0_search" if id_ else id_

    def value_from_datadict(self, data, files, name):
        return data.getlist(name) if hasattr(data, "getlist") else data.get(name, [])

    def value_omitted_from_data(self, data, files, name):
        return name not in data

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        ids = [str(v) for v in (value if isinstance(value, list | tuple) else [value]) if v not in (None, "")]
        names = {str(o.pk): str(o) for o in _model_of(self.kind).objects.filter(pk__in=[i for i in ids
                                                                                          if i.isdigit()])}
        base = context["widget"]["attrs"].get("id", name)
        boxes = [{"id": f"{base}_{i}", "value": v, "label": names.get(v, "")} for i, v in enumerate([*ids, ""])]
        context["widget"].update({"kind": self.kind, "boxes": boxes})
        return context


class ListField(forms.Field):
    """The values of a ``MultiValueInput`` / ``MultiLookupWidget``: non-empty strings; the service
    checks each one by the field's type."""

    def to_python(self, value):
        values = value if isinstance(value, list | tuple) else ([] if value in (None, "") else [value])
        return [str(v).strip() for v in values if str(v).strip()]


def directory_choices(spec: FieldSpec) -> list[tuple[str, str]]:
    """The entries of an enumeration field: a directory's codes with names, or a custom field's items."""
    from kontor.crm.models import DirectoryItem

    if spec.is_custom:
        return [(str(pk), value) for pk, value in spec.items]
    if spec.directory == "STATUS":
        # a lead becomes "converted" only by conversion
        return [(s.code, s.name) for s in LeadStatus.objects.exclude(semantic="success").order_by("sort", "code")]
    if spec.directory == "SOURCE":
        return [(s.code, s.name) for s in Source.objects.order_by("sort", "code")]
    return [(d.code, d.name) for d in DirectoryItem.objects.filter(directory=spec.directory).order_by("sort", "id")]


INPUT_TYPES = {Kind.DATE: "date", Kind.DATETIME: "datetime-local", Kind.INT: "number", Kind.URL: "url"}


def form_field(spec: FieldSpec, *, entity: EntityType) -> forms.Field:
    """The form field of one spec, chosen by its widget name."""
    widget = spec.widget_name
    required = spec.required or (not spec.nullable and spec.kind in (Kind.ENUM, Kind.LINK, Kind.CURRENCY))
    kw: dict[str, Any] = {"label": spec.label, "required": required}
    if spec.multiple and spec.kind in (Kind.ENUM, Kind.USER):
        choices = directory_choices(spec) if spec.kind == Kind.ENUM else user_choices()[1:]
        widget_class = forms.CheckboxSelectMultiple if spec.kind == Kind.ENUM else forms.SelectMultiple
        return forms.MultipleChoiceField(choices=choices, widget=widget_class, **kw)
    if spec.kind == Kind.LINKS or (spec.multiple and spec.kind == Kind.LINK):
        return ListField(widget=MultiLookupWidget(LOOKUP_KINDS.get(spec.link or "", "contacts"),
                                                  attrs={"title": spec.label}), **kw)
    if spec.multiple and spec.kind in (Kind.MONEY, Kind.DOUBLE):
        return AmountListField(widget=MultiValueInput("text", attrs={"title": spec.label, "inputmode": "decimal"}),
                               help_text=MULTIPLE_HELP, with_currency=spec.kind == Kind.MONEY,
                               places=2 if spec.kind == Kind.MONEY else None, **kw)
    if spec.multiple and spec.kind != Kind.MULTI:
        input_type = INPUT_TYPES.get(spec.kind, "text")
        return ListField(widget=MultiValueInput(input_type, attrs={"title": spec.label}), help_text=MULTIPLE_HELP,
                         **kw)
    if widget == "multi":
        return forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), help_text=MULTILINE_HELP, **kw)
    if widget == "textarea":
        return forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=spec.max_length, **kw)
    if widget == "checkbox":
        kw["required"] = False
        return forms.BooleanField(**kw)
    if widget == "select":
        choices = directory_choices(spec)
        if not kw["required"]:
            choices = [("", "—"), *choices]
        return forms.ChoiceField(choices=choices, **kw)
    if widget == "user":
        return forms.ChoiceField(choices=user_choices(), **kw)
    if widget == "date":
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                               input_formats=["%Y-%m-%d", "%d.%m.%Y"], **kw)
    if widget == "datetime":
        return forms.DateTimeField(
            widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
            input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%d.%m.%Y %H:%M"], **kw)
    if widget == "number":
        attrs = {k: v for k, v in (("min", spec.min_value), ("max", spec.max_value)) if v is not None}
        # the service checks the range and names the field; the browser only helps typing
        return forms.CharField(widget=forms.NumberInput(attrs={**attrs, "step": "1"}), **kw)
    if widget in ("money", "decimal"):
        help_text = _("Amount, optionally with a currency: 12.500,50 EUR") if spec.is_custom and \
            spec.kind == Kind.MONEY else ""
        return AmountField(help_text=help_text, with_currency=spec.is_custom and spec.kind == Kind.MONEY,
                           places=2 if spec.kind == Kind.MONEY else None, **kw)
    if widget == "currency":
        return forms.ChoiceField(choices=[] if kw["required"] else [("", "—")], **kw)
    if widget == "record":
        if entity == EntityType.DEAL and spec.name == "stage_id":
            return forms.ChoiceField(choices=stage_choices(), **{**kw, "label": _("Pipeline and stage")})
        return LookupField(LOOKUP_KINDS.get(spec.link or "", "contacts"), **kw)
    if widget == "url":
        return forms.CharField(widget=forms.URLInput(attrs={"placeholder": "https://"}), max_length=spec.max_length,
                               **kw)
    return forms.CharField(max_length=spec.max_length, **kw)


def form_specs(entity: EntityType) -> list[FieldSpec]:
    """The specs a record form shows: writable ones with ``form=True``, in spec order (a deal's
    pipeline follows from its stage)."""
    return [s for s in specs_for(entity) if s.form and not s.read_only
            and not (entity == EntityType.DEAL and s.name == "pipeline_id")]


class RecordForm(forms.Form):
    """A lead, deal, contact or company form built from the record specs (custom fields included).

    Field names are the native wire names, so ``payload()`` goes to the service as it is and a
    ``KontorError``'s ``field`` lands next to its input.
    """

    entity: EntityType

    def __init__(self, *args, entity: EntityType, **kwargs):
        super().__init__(*args, **kwargs)
        self.entity = entity
        self.specs = {s.name: s for s in form_specs(entity)}
        for name, spec in self.specs.items():
            self.fields[name] = form_field(spec, entity=entity)
            if spec.kind == Kind.CURRENCY:
                field = self.fields[name]
                stored = str(self.initial.get(name) or "")
                field.choices = [*field.choices, *currency_choices(keep=stored)]  # type: ignore[attr-defined]

    @property
    def fieldsets(self) -> list[dict[str, Any]]:
        """``[{"key", "legend", "fields": [bound fields]}]`` of the non-empty groups."""
        out = []
        for key, legend in GROUPS:
            fields = [self[name] for name, spec in self.specs.items() if spec_group(spec) == key]
            if fields:
                out.append({"key": key, "legend": legend, "fields": fields})
        return out

    def clean(self):
        data = super().clean()
        if self.entity == EntityType.LEAD and not any(
                data.get(k) for k in ("title", "name", "last_name", "company_title")):
            self.add_error("title", _("Enter a title, a name or a company name."))
        if self.entity == EntityType.CONTACT and not (data.get("name") or data.get("last_name")):
            self.add_error("name", _("Enter a first or a last name."))
        return data

    def payload(self, existing_comms: dict[str, list[Communication]] | None = None) -> dict[str, Any]:
        """The cleaned values as the record service takes them (native names)."""
        out: dict[str, Any] = {}
        for name, spec in self.specs.items():
            value = self.cleaned_data.get(name)
            if spec.kind == Kind.MULTI:
                value = comm_payload(value or "", (existing_comms or {}).get(spec.comm_type or "", []))
            elif spec.kind == Kind.MONEY:  # AmountField: already "12500.50" (or "12500.50|EUR")
                if value in ("", None) and not spec.nullable:
                    value = "0"
            elif spec.kind in (Kind.LINK, Kind.USER, Kind.INT) and not isinstance(value, list):
                value = None if value in (None, "") else value
            elif spec.kind == Kind.ENUM and spec.is_custom and value == "":
                value = None
            if isinstance(value, str):
                # Browsers send a textarea's lines with CRLF: unchanged text must not read as a change.
                value = value.replace("\r\n", "\n")
            out[name] = value
        return out


def record_initial(entity: EntityType, obj: Any, comms: dict[str, list[Communication]]) -> dict[str, Any]:
    """A record's current values as a ``RecordForm``'s initial data."""
    initial: dict[str, Any] = {}
    uf = getattr(obj, "uf", None) or {}
    for spec in form_specs(entity):
        if spec.is_custom:
            value = uf.get(spec.name)
            values = value if isinstance(value, list) else [value]
            shown = [_custom_input(spec, v) for v in values if v is not None]
            initial[spec.name] = shown if spec.multiple else (shown[0] if shown else None)
        elif spec.kind == Kind.MULTI:
            initial[spec.name] = "\n".join(c.value for c in comms.get(spec.comm_type or "", []))
        elif spec.kind == Kind.LINKS:
            if spec.name == "contact_ids":
                initial[spec.name] = list(obj.deal_contacts.order_by("-is_primary", "sort", "id")
                                          .values_list("contact_id", flat=True))
            elif spec.name == "company_ids":
                initial[spec.name] = list(obj.companies.values_list("pk", flat=True))
        else:
            value = getattr(obj, spec.column, None)
            if spec.kind == Kind.MONEY:
                value = money_text(value)
            elif spec.kind in (Kind.USER, Kind.ENUM) or spec.name == "stage_id":
                value = "" if value is None else str(value)
            initial[spec.name] = value
    return initial


def _custom_input(spec: FieldSpec, value: Any) -> Any:
    if spec.kind == Kind.MONEY and isinstance(value, str):
        amount, _bar, currency = value.partition("|")
        return f"{money_text(amount)} {currency}".strip()
    if spec.kind == Kind.DATETIME and isinstance(value, str):
        moment = parse_moment(value)
        return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M") if moment else value
    if spec.kind in (Kind.ENUM, Kind.USER, Kind.LINK):
        return str(value)
    if spec.kind == Kind.DOUBLE:
        return number_format(value, use_l10n=True, force_grouping=False)
    return value

class ActivityForm(forms.Form):
    type = forms.ChoiceField(label=_("Type"), choices=ActivityType.choices, initial=ActivityType.CALL)
    subject = forms.CharField(label=_("Subject"), max_length=255)
    deadline = forms.DateTimeField(label=_("Deadline"), required=False,
                                   widget=forms.DateTimeInput(attrs={"type": "datetime-local"},
                                                              format="%Y-%m-%dT%H:%M"),
                                   input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"])
    start_time = forms.DateTimeField(label=_("Start"), required=False,
                                     widget=forms.DateTimeInput(attrs={"type": "datetime-local"},
                                                                format="%Y-%m-%dT%H:%M"),
                                     input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"])
    end_time = forms.DateTimeField(label=_("End"), required=False,
                                   widget=forms.DateTimeInput(attrs={"type": "datetime-local"},
                                                              format="%Y-%m-%dT%H:%M"),
                                   input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"])
    communications = forms.CharField(
        label=_("Phone numbers and e-mail addresses"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Who the activity is with: one phone number, e-mail address or website per line "
                    "(\u201cIM: name\u201d for a messenger)."))
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    responsible_id = forms.ChoiceField(label=_("Responsible"), required=False, choices=())

    def __init__(self, *args, communications: list[dict[str, Any]] | None = None, **kwargs):
        """``communications``: the activity's stored ones, shown one per line; a line kept as it was
        keeps the record it names."""
        self.stored_communications = list(communications or [])
        super().__init__(*args, **kwargs)
        self.fields["responsible_id"].choices = user_choices()
        if communications and not self.is_bound:
            self.initial["communications"] = "\n".join(communication_line(c) for c in communications)

    def clean(self):
        data = super().clean()
        start, end = data.get("start_time"), data.get("end_time")
        if start and end and end < start:
            self.add_error("end_time", _("The end is before the start."))
        return data

    def payload(self) -> dict[str, Any]:
        """The activity service's fields from the form (no bindings)."""
        d = self.cleaned_data
        kept = {(c.get("type"), c.get("value")): c for c in self.stored_communications}
        communications = []
        for line in (d.get("communications") or "").splitlines():
            entry = communication_entry(line)
            if entry is not None:
                communications.append(kept.get((entry["type"], entry["value"]), entry))
        return {"type": d["type"], "subject": d["subject"], "description": d["description"],
                "deadline": d["deadline"], "start_time": d.get("start_time"), "end_time": d.get("end_time"),
                "communications": communications,
                "responsible_id": int(d["responsible_id"]) if d.get("responsible_id") else None}


def communication_line(item: Mapping[str, Any]) -> str:
    """An activity's communication as one line of the form: the value, "IM: " before a messenger."""
    value = str(item.get("value") or "")
    return f"IM: {value}" if item.get("type") == "IM" else value


def communication_entry(line: str) -> dict[str, Any] | None:
    """A line of the form as the service's communication: an e-mail (has "@"), a website (http…,
    www.…), a messenger ("IM: …"), else a phone number; ``None`` for an empty line."""
    text = line.strip()
    if not text:
        return None
    if text[:3].upper() == "IM:":
        kind, text = "IM", text[3:].strip()
    elif text.lower().startswith(("http://", "https://", "www.")):
        kind = "WEB"
    elif "@" in text:
        kind = "EMAIL"
    else:
        kind = "PHONE"
    return {"type": kind, "value": text}


class ActivityRecordsForm(forms.Form):
    """The records a new activity from the activities page belongs to (at least one)."""

    deal_id = LookupField("deals", label=_("Deal"))
    contact_id = LookupField("contacts", label=_("Contact"))
    company_id = LookupField("companies", label=_("Company"))
    lead_id = LookupField("leads", label=_("Lead"))

    def clean(self):
        data = super().clean()
        if not any(data.get(f"{kind}_id") for kind in ("deal", "contact", "company", "lead")):
            raise forms.ValidationError(_("Choose the record the activity belongs to."))
        return data

    def bindings(self) -> list[dict[str, Any]]:
        return [{"entity": kind, "id": self.cleaned_data[f"{kind}_id"]}
                for kind in ("deal", "contact", "company", "lead") if self.cleaned_data.get(f"{kind}_id")]


class NoteForm(forms.Form):
    """A note (timeline comment) on a record."""

    text = forms.CharField(label=_("Note"), max_length=20000, widget=forms.Textarea(attrs={"rows": 3}))


class LostForm(forms.Form):
    """Moving a deal to a failure stage: why, and whether its open activities are closed."""

    reason = forms.CharField(label=_("Reason for the loss"), max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 3}))
    close_activities = forms.BooleanField(label=_("Complete the open activities of this deal"), required=False,
                                          initial=True)


class ConvertForm(forms.Form):
    """Manual conversion of a lead (classic mode)."""

    create_deal = forms.BooleanField(label=_("Create a deal"), required=False, initial=True)
    stage_id = forms.ChoiceField(label=_("Pipeline and stage"), choices=(), required=False)
    contact = forms.ChoiceField(label=_("Contact"), choices=(), initial="create")
    company = forms.ChoiceField(label=_("Company"), choices=(), initial="create")
    #: "Link another existing one": the searchable pickers beside the choices.
    contact_pick = LookupField("contacts", label=_("Existing contact"))
    company_pick = LookupField("companies", label=_("Existing company"))
    keep_open_activities = forms.BooleanField(label=_("Do not close activities after conversion"),
                                              required=False, initial=True)

    def __init__(self, *args, lead=None, matches=None, **kwargs):
        """``matches``: ``{"contact": [(id, label)], "company": [(id, label)]}`` — existing customers
        with the lead's phone, e-mail or company name, offered first."""
        super().__init__(*args, **kwargs)
        matches = matches or {}
        self.fields["stage_id"].choices = stage_choices()
        contact_choices = [("create", _("Create a new contact")), ("pick", _("Link another existing contact")),
                           ("none", _("No contact"))]
        for pk, label in reversed(matches.get("contact", [])):
            contact_choices.insert(0, (str(pk), _("Existing: %(name)s") % {"name": label}))
        if lead is not None and lead.contact_id:
            contact_choices.insert(0, (str(lead.contact_id), _("Existing: %(name)s") % {"name": lead.contact}))
        if len(contact_choices) > 3:
            self.fields["contact"].initial = contact_choices[0][0]
        company_choices = [("create", _("Create a new company")), ("pick", _("Link another existing company")),
                           ("none", _("No company"))]
        for pk, label in reversed(matches.get("company", [])):
            company_choices.insert(0, (str(pk), _("Existing: %(name)s") % {"name": label}))
        if lead is not None and lead.company_id:
            company_choices.insert(0, (str(lead.company_id), _("Existing: %(name)s") % {"name": lead.company}))
        if len(company_choices) > 3:
            self.fields["company"].initial = company_choices[0][0]
        elif lead is not None and not lead.company_title:
            self.fields["company"].initial = "none"
        self.fields["contact"].choices = list(dict(contact_choices).items())
        self.fields["company"].choices = list(dict(company_choices).items())

    def clean(self):
        data = super().clean()
        for kind in ("contact", "company"):
            if data.get(kind) == "pick" and not data.get(f"{kind}_pick"):
                self.add_error(f"{kind}_pick", _("Search and choose the record to link."))
        return data

    def choice(self, kind: str):
        """What ``lead_convert`` takes for ``kind``: "create", "none" or ``{"id": n}``."""
        value = self.cleaned_data[kind]
        if value == "pick" or (value == "create" and self.cleaned_data.get(f"{kind}_pick")):  # a picked one wins
            return {"id": self.cleaned_data[f"{kind}_pick"]}
        return value if value in ("create", "none") else {"id": int(value)}


class SwitchToSimpleForm(forms.Form):
    """The wizard's options for classic → simple (the seed's: pipeline, customers, open activities)."""

    PIPELINE_NEW = "new"

    pipeline = forms.ChoiceField(label=_("Pipeline for the deals"), choices=())
    new_pipeline_name = forms.CharField(label=_("Name of the new pipeline"), max_length=255, required=False)
    create_contacts = forms.BooleanField(label=_("Create contacts"), required=False, initial=True)
    create_companies = forms.BooleanField(label=_("Create companies"), required=False, initial=True)
    keep_open_activities = forms.BooleanField(label=_("Keep the leads' open activities"), required=False,
                                              initial=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(str(p.pk), p.name) for p in Pipeline.objects.order_by("sort", "id")]
        self.fields["pipeline"].choices = [*choices, (self.PIPELINE_NEW, _("A new pipeline…"))]
        default = Pipeline.objects.filter(is_default=True).first()
        if default:
            self.fields["pipeline"].initial = str(default.pk)

    def clean(self):
        data = super().clean()
        if data.get("pipeline") == self.PIPELINE_NEW and not (data.get("new_pipeline_name") or "").strip():
            self.add_error("new_pipeline_name", _("Enter a name for the new pipeline."))
        return data


class SimpleSettingsForm(forms.Form):
    pipeline_id = forms.ChoiceField(label=_("Pipeline for new deals"), choices=())
    create_company = forms.BooleanField(label=_("Also create a company from an inquiry with a company name"),
                                        required=False)
    match_existing_customers = forms.BooleanField(
        label=_("Link inquiries to existing customers (same phone or e-mail)"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pipeline_id"].choices = [(str(p.pk), p.name) for p in Pipeline.objects.order_by("sort", "id")]


class WebFormSettingsForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    slug = forms.SlugField(label=_("Address"), max_length=80,
                           help_text=_("Letters, digits and hyphens; the form is published at /forms/<address>/."))
    heading = forms.CharField(label=_("Heading"), max_length=200, required=False)
    success_message = forms.CharField(label=_("Thank-you message"), max_length=500, required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    responsible = forms.ChoiceField(label=_("Responsible person"), required=False, choices=(),
                                    help_text=_("Gets each inquiry (assigned and notified)."))
    round_robin_users = forms.MultipleChoiceField(
        label=_("Or take turns among"), required=False, choices=(), widget=forms.CheckboxSelectMultiple,
        help_text=_("When users are ticked here, each inquiry goes to the next of them in turn instead."))
    ask_company = forms.BooleanField(label=_("Ask for the company"), required=False, initial=True,
                                     help_text=_("A company given becomes a company record (in simple mode "
                                                 "whatever the simple-mode settings say)."))
    consent_required = forms.BooleanField(label=_("Consent checkbox (required to send)"), required=False)
    privacy_url = forms.URLField(label=_("Privacy policy address"), max_length=500, required=False,
                                 assume_scheme="https", help_text=_("Linked from the consent checkbox."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        users = user_choices()
        self.fields["responsible"].choices = users
        self.fields["round_robin_users"].choices = users[1:]

    def clean(self):
        data = super().clean()
        if data.get("consent_required") and not data.get("privacy_url"):
            self.add_error("privacy_url", _("The consent checkbox needs the address of your privacy policy."))
        return data


class PublicInquiryForm(forms.Form):
    """What a visitor fills in. ``website`` is a honeypot: hidden from people, filled by bots.
    ``company`` is asked only when the web form says so; ``consent`` only when it wants consent."""

    name = forms.CharField(label=_("Your name"), max_length=200,
                           widget=forms.TextInput(attrs={"autocomplete": "name"}))
    phone = forms.CharField(label=_("Phone"), max_length=50, required=False,
                            widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}))
    email = forms.EmailField(label=_("E-mail"), max_length=254, required=False,
                             widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    company = forms.CharField(label=_("Company"), max_length=255, required=False,
                              widget=forms.TextInput(attrs={"autocomplete": "organization"}))
    message = forms.CharField(label=_("Message"), max_length=5000, required=False,
                              widget=forms.Textarea(attrs={"rows": 4}))
    website = forms.CharField(label=_("Leave this field empty"), required=False,
                              widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}))
    token = forms.CharField(widget=forms.HiddenInput, required=False)
    consent = forms.BooleanField(label=_("I agree that my details are stored and used to answer my inquiry."),
                                 required=True)

    def __init__(self, *args, webform=None, **kwargs):
        super().__init__(*args, **kwargs)
        if webform is not None and not webform.ask_company:
            del self.fields["company"]
        if webform is None or not webform.consent_required:
            del self.fields["consent"]
        else:
            self.fields["consent"].error_messages["required"] = _("Please agree so that we may answer you.")

    def clean(self):
        data = super().clean()
        if not (data.get("phone") or data.get("email")) and not self.errors.get("email"):
            self.add_error("phone", _("Enter a phone number or an e-mail address so we can reach you."))
        return data


# --- custom fields (settings) ------------------------------------------------------------------

#: Custom field types as the settings page names them.
CUSTOM_TYPE_LABELS = {
    "string": _("Text"), "integer": _("Integer"), "double": _("Number"), "money": _("Money"),
    "boolean": _("Yes/No"), "date": _("Date"), "datetime": _("Date and time"), "enumeration": _("List"),
    "url": _("Link (web address)"), "employee": _("User"), "crm": _("CRM record"),
}
RECORD_KINDS = (("lead", _("Leads")), ("deal", _("Deals")), ("contact", _("Contacts")),
                ("company", _("Companies")))
LINK_TARGET_CHOICES = (("lead", _("Lead")), ("deal", _("Deal")), ("contact", _("Contact")),
                       ("company", _("Company")))


class CustomFieldForm(forms.Form):
    """A custom field's definition. On edit, code, type, ``multiple`` and the record kind are fixed
    (the stored values depend on them) and each existing list item is an input of its own, so
    renaming an item keeps the records that chose it."""

    entity = forms.ChoiceField(label=_("Record kind"), choices=RECORD_KINDS)
    code = forms.CharField(label=_("Code"), max_length=47,
                           help_text=_("Letters, digits and _; UF_CRM_ is added (UF_CRM_SHOP_ORDER)."))
    type = forms.ChoiceField(label=_("Type"), choices=list(CUSTOM_TYPE_LABELS.items()))
    label_de = forms.CharField(label=_("Name (German)"), max_length=255, required=False)
    label_en = forms.CharField(label=_("Name (English)"), max_length=255, required=False)
    link_entity = forms.ChoiceField(label=_("Links to"), choices=LINK_TARGET_CHOICES, initial="contact",
                                    required=False)
    items = forms.CharField(label=_("List items"), required=False, widget=forms.Textarea(attrs={"rows": 4}),
                            help_text=MULTILINE_HELP)
    multiple = forms.BooleanField(label=_("Multiple values"), required=False)
    mandatory = forms.BooleanField(label=_("Mandatory"), required=False)
    show_in_list = forms.BooleanField(label=_("Can be shown as a list column"), required=False, initial=True)
    show_filter = forms.BooleanField(label=_("Can be filtered"), required=False, initial=True)
    sort = forms.IntegerField(label=_("Sort"), initial=100, min_value=-(2**31), max_value=2**31 - 1)

    FIXED = ("entity", "code", "type", "multiple")

    def __init__(self, *args, field=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance = field
        if field is None:
            return
        for name in self.FIXED:
            del self.fields[name]
        if field.type != "crm":
            del self.fields["link_entity"]
        else:
            self.fields["link_entity"].initial = (field.settings or {}).get("entity", "contact")
        del self.fields["items"]
        if field.type == "enumeration":
            for item in field.items.order_by("sort", "id"):
                self.fields[f"item_{item.pk}"] = forms.CharField(
                    label=_("List item"), max_length=255, required=False, initial=item.value,
                    help_text=_("Empty: the item is removed."))
            self.fields["new_items"] = forms.CharField(
                label=_("New list items"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
                help_text=MULTILINE_HELP)
        for name in ("label_de", "label_en", "mandatory", "show_in_list", "show_filter", "sort"):
            self.fields[name].initial = getattr(field, name)
        self.order_fields(["label_de", "label_en", "link_entity", *[n for n in self.fields if n.startswith("item_")],
                           "new_items", "mandatory", "show_in_list", "show_filter", "sort"])

    def create_kwargs(self) -> dict[str, Any]:
        """Keyword arguments of ``custom_field_create``."""
        d = self.cleaned_data
        type_ = d["type"]
        return {
            "entity_type": EntityType.from_name(d["entity"]), "code": d["code"], "type": type_,
            "label_de": d["label_de"], "label_en": d["label_en"], "multiple": d["multiple"],
            "mandatory": d["mandatory"], "sort": d["sort"], "show_in_list": d["show_in_list"],
            "show_filter": d["show_filter"],
            "settings": {"entity": d.get("link_entity") or "contact"} if type_ == "crm" else None,
            "items": [{"value": v} for v in _lines_only(d.get("items", ""))] if type_ == "enumeration" else None,
        }

    def update_data(self) -> dict[str, Any]:
        """The ``data`` of ``custom_field_update``."""
        d = self.cleaned_data
        data: dict[str, Any] = {name: d[name] for name in ("label_de", "label_en", "mandatory", "show_in_list",
                                                           "show_filter", "sort")}
        if "link_entity" in self.fields:
            data["settings"] = {**(self.instance.settings or {}), "entity": d.get("link_entity") or "contact"}
        if self.instance.type == "enumeration":
            items: list[dict[str, Any]] = []
            for name in self.fields:
                if name.startswith("item_"):
                    pk = int(name.removeprefix("item_"))
                    value = (d.get(name) or "").strip()
                    items.append({"id": pk, "value": value} if value else {"id": pk, "delete": True})
            last = max([i.sort for i in self.instance.items.all()] or [0])
            items += [{"value": v, "sort": last + (n + 1) * 10} for n, v in enumerate(_lines_only(d["new_items"]))]
            for item in items:
                if "value" in item and item.get("id"):
                    item["sort"] = self.instance.items.get(pk=item["id"]).sort
            data["items"] = items
        return data


def _lines_only(text: str) -> list[str]:
    """Non-empty lines (list items may contain commas, unlike phones)."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]
