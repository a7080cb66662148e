"""Record specs: one declaration per field and record kind, from which everything else is derived.

A ``FieldSpec`` says what a field is (its kind, limits, whether it is required or read-only, which
directory or record it points to), how it is spelled on each transport (the native snake_case
name, the Bitrix24 UPPER_CASE name and type), how people see it (labels in German and English, the
form widget, whether lists show it) and how it travels when a lead is converted (``convert``, after
EspoCRM's ``convertFields``). The native API's schemas, the facade's field maps and ``*.fields``
answers, the filter engine (``kontor.crm.filtering``), the web forms and both conversion engines
read these specs instead of keeping lists of their own.

Custom fields (``CustomField`` rows, ``UF_CRM_*``) become specs of the same shape at run time
(``specs_for``), so every consumer treats them like standard fields.

Adding a standard field: a model column (and its migration) plus one ``FieldSpec`` line here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import get_language

from kontor.core.errors import ErrorCode, KontorError, validation
from kontor.core.money import AMOUNT_RANGE, MAX_AMOUNT, currency_error, is_currency
from kontor.crm.enums import EntityType

MAX_INT = 2**63 - 1
#: Longest text a "long text" field keeps (comments, descriptions): a limit, so no request can store
#: megabytes in one field.
LONGTEXT_MAX = 100_000
UF_CODE = re.compile(r"^UF_CRM_[A-Z0-9_]{1,40}$")


class Kind(StrEnum):
    """What a field holds; decides validation, storage, filter operators and widgets."""

    TEXT = "text"  # one line, ``max_length``
    LONGTEXT = "longtext"  # several lines (comments, descriptions)
    INT = "int"  # an integer within ``min_value``..``max_value``
    DOUBLE = "double"  # a floating-point number (custom fields)
    MONEY = "money"  # an amount with two decimals
    DATE = "date"  # a calendar day
    DATETIME = "datetime"  # an instant, stored in UTC
    BOOL = "bool"  # yes / no
    ENUM = "enum"  # a code of a directory (``directory``) or an item of a custom enumeration
    CURRENCY = "currency"  # an ISO 4217 code
    URL = "url"  # an http(s) address (custom fields)
    USER = "user"  # an active user's id
    LINK = "link"  # the id of another CRM record (``link``)
    LINKS = "links"  # ids of several CRM records (``link``), the first one primary
    MULTI = "multi"  # phones / e-mails / websites / messengers (``comm_type``)


#: Bitrix24's type names per kind (``crm.*.fields``), where a spec gives none of its own.
BITRIX_TYPES = {
    Kind.TEXT: "string", Kind.LONGTEXT: "string", Kind.INT: "integer", Kind.DOUBLE: "double",
    Kind.MONEY: "double", Kind.DATE: "date", Kind.DATETIME: "datetime", Kind.BOOL: "char",
    Kind.ENUM: "crm_status", Kind.CURRENCY: "crm_currency", Kind.URL: "url", Kind.USER: "user",
    Kind.LINK: "integer", Kind.LINKS: "integer", Kind.MULTI: "crm_multifield",
}

#: Directories whose codes are stored as foreign keys (``status_id``, ``source_id``): empty is ``NULL``.
REFERENCE_DIRECTORIES = ("STATUS", "SOURCE")

#: Operators a filter may use per kind (``kontor.crm.filtering.Op`` values).
EQUALITY = ("eq", "ne", "in", "not_in")
ORDERED = (*EQUALITY, "gt", "gte", "lt", "lte")
TEXTUAL = (*EQUALITY, "contains", "not_contains", "like", "not_like")
FILTER_OPS: dict[Kind, tuple[str, ...]] = {
    Kind.TEXT: TEXTUAL, Kind.LONGTEXT: TEXTUAL, Kind.URL: TEXTUAL, Kind.INT: ORDERED, Kind.DOUBLE: ORDERED,
    Kind.MONEY: ORDERED, Kind.DATE: ORDERED, Kind.DATETIME: ORDERED, Kind.BOOL: ("eq", "ne"),
    Kind.ENUM: EQUALITY, Kind.CURRENCY: EQUALITY, Kind.USER: EQUALITY, Kind.LINK: ORDERED,
    Kind.LINKS: ("eq", "in"), Kind.MULTI: ("eq", "ne", "in", "not_in"),
}

#: Form widgets per kind, where a spec gives none of its own.
WIDGETS = {
    Kind.TEXT: "text", Kind.LONGTEXT: "textarea", Kind.INT: "number", Kind.DOUBLE: "decimal",
    Kind.MONEY: "money", Kind.DATE: "date", Kind.DATETIME: "datetime", Kind.BOOL: "checkbox",
    Kind.ENUM: "select", Kind.CURRENCY: "currency", Kind.URL: "url", Kind.USER: "user", Kind.LINK: "record",
    Kind.LINKS: "records", Kind.MULTI: "multi",
}


@dataclass(frozen=True)
class FieldSpec:
    """One field of one record kind. See the module docstring."""

    name: str  # native wire name (snake_case): "second_name", "assigned_id", "uf_crm_shop_order"
    kind: Kind
    label_en: str
    label_de: str
    #: Bitrix24's name (UPPER_CASE); ``None``: not on the facade.
    bitrix: str | None = None
    #: Model attribute read and written (``None``: the name). References name the ``_id`` column.
    attr: str | None = None
    max_length: int | None = None
    min_value: int | None = None
    max_value: int | None = None
    required: bool = False
    read_only: bool = False
    #: Settable on create only (a deal's pipeline in Bitrix24's crm.deal.update).
    immutable: bool = False
    nullable: bool = True  # may be empty (``None`` / "")
    #: ENUM: the directory (``STATUS``, ``SOURCE``, ``HONORIFIC``, …; a custom field's own items: "").
    directory: str | None = None
    #: LINK / LINKS: the record kind pointed at ("lead", "deal", "contact", "company", "pipeline", "stage").
    link: str | None = None
    #: MULTI: ``PHONE``, ``EMAIL``, ``WEB`` or ``IM``.
    comm_type: str | None = None
    filterable: bool = True
    orderable: bool = False
    #: Shown in the web form (read-only and derived fields are not).
    form: bool = True
    #: A column of the list by default.
    list_column: bool = False
    widget: str | None = None
    #: Bitrix24 type where the kind's default does not fit (``crm_contact``, ``crm_category``, …).
    bitrix_type: str | None = None
    multiple: bool = False
    #: On conversion of a lead: ``{"deal": "title", "contact": "name"}`` (target kind → target field).
    convert: Mapping[str, str] = field(default_factory=dict)
    #: The ``CustomField`` this spec stands for (custom fields only).
    custom: Any = None
    #: Enumeration items of a custom field: ``((id, value), …)``.
    items: tuple[tuple[int, str], ...] = ()
    sort: int = 0

    @property
    def column(self) -> str:
        return self.attr or self.name

    @property
    def is_custom(self) -> bool:
        return self.custom is not None

    @property
    def ops(self) -> tuple[str, ...]:
        if not self.filterable:
            return ()
        ops = FILTER_OPS[self.kind]
        if self.multiple and self.kind not in (Kind.LINKS, Kind.MULTI):
            return ("eq", "in")  # a multiple custom field matches when any of its values does
        return ops

    @property
    def empty_value(self) -> Any:
        """What the column holds when the field is empty: ``""`` for text-like columns (text, urls,
        currencies, the simple directories' codes), ``None`` for everything else — numbers, dates and
        references, the lead statuses and sources (foreign keys) among them. The one rule behind
        cleaning, storing and the "is empty" filter."""
        if self.kind in (Kind.TEXT, Kind.LONGTEXT, Kind.URL, Kind.CURRENCY):
            return ""
        if self.kind == Kind.ENUM and not self.is_custom and self.directory not in REFERENCE_DIRECTORIES:
            return ""
        return None

    def item_id(self, value: Any) -> int | None:
        """The custom enumeration item ``value`` names: by its id first, then by its label (an item
        may be labelled like another item's id; the id wins). ``None`` when no item matches."""
        text = str(value).strip()
        by_id = {str(pk): pk for pk, _label in self.items}
        if text in by_id:
            return by_id[text]
        return next((pk for pk, label in self.items if label == text), None)

    @property
    def label(self) -> str:
        return self.label_de if (get_language() or "").startswith("de") else self.label_en

    @property
    def widget_name(self) -> str:
        return self.widget or WIDGETS[self.kind]

    @property
    def bitrix_type_name(self) -> str:
        if self.bitrix_type:
            return self.bitrix_type
        if self.kind in (Kind.LINK, Kind.LINKS) and self.link in ("lead", "deal", "contact", "company"):
            return f"crm_{self.link}"
        return BITRIX_TYPES[self.kind]


def _f(name: str, kind: Kind, en: str, de: str, bitrix: str | None = None, **kw: Any) -> FieldSpec:
    return FieldSpec(name=name, kind=kind, label_en=en, label_de=de, bitrix=bitrix, **kw)


def _text(name: str, en: str, de: str, bitrix: str | None = None, max_length: int = 255, **kw: Any) -> FieldSpec:
    return _f(name, Kind.TEXT, en, de, bitrix, max_length=max_length, **kw)


# --- the standard fields -------------------------------------------------------------------------

ID = _f("id", Kind.INT, "ID", "ID", "ID", read_only=True, orderable=True, form=False)
ASSIGNED = _f("assigned_id", Kind.USER, "Responsible person", "Verantwortlich", "ASSIGNED_BY_ID",
              orderable=True, list_column=True)
CREATED_BY = _f("created_by_id", Kind.USER, "Created by", "Erstellt von", "CREATED_BY_ID", read_only=True,
                form=False)
COMMENTS = _f("comments", Kind.LONGTEXT, "Comment", "Kommentar", "COMMENTS", max_length=LONGTEXT_MAX)
CREATED_AT = _f("created_at", Kind.DATETIME, "Created on", "Erstellt am", "DATE_CREATE", read_only=True,
                orderable=True, form=False)
UPDATED_AT = _f("updated_at", Kind.DATETIME, "Modified on", "Geändert am", "DATE_MODIFY", read_only=True,
                orderable=True, form=False)
OPENED = _f("opened", Kind.BOOL, "Available to everyone", "Für alle verfügbar", "OPENED", nullable=False,
            form=False)
ORIGIN = (
    _text("originator_id", "External system", "Externes System", "ORIGINATOR_ID", form=False),
    _text("origin_id", "External ID", "Externe ID", "ORIGIN_ID", form=False),
)
UTM = tuple(
    _text(f"utm_{part}", f"UTM {part}", f"UTM {part}", f"UTM_{part.upper()}", form=False)
    for part in ("source", "medium", "campaign", "content", "term")
)
ADDRESS = (
    _text("address", "Street address", "Straße und Hausnummer", "ADDRESS"),
    _text("address_2", "Address line 2", "Adresszusatz", "ADDRESS_2"),
    _text("address_postal_code", "Postal code", "PLZ", "ADDRESS_POSTAL_CODE", max_length=20),
    _text("address_city", "City", "Ort", "ADDRESS_CITY"),
    _text("address_region", "Region", "Region", "ADDRESS_REGION"),
    _text("address_province", "State / province", "Bundesland", "ADDRESS_PROVINCE"),
    _text("address_country", "Country", "Land", "ADDRESS_COUNTRY"),
    _text("address_country_code", "Country code", "Ländercode", "ADDRESS_COUNTRY_CODE", max_length=2, form=False),
)


def _multis(convert: bool = False) -> tuple[FieldSpec, ...]:
    to = (lambda name: {"contact": name}) if convert else (lambda name: {})
    return (
        _f("phones", Kind.MULTI, "Phone", "Telefon", "PHONE", comm_type="PHONE", multiple=True, list_column=True,
           convert=to("phones")),
        _f("emails", Kind.MULTI, "E-mail", "E-Mail", "EMAIL", comm_type="EMAIL", multiple=True, list_column=True,
           convert=to("emails")),
        _f("websites", Kind.MULTI, "Website", "Webseite", "WEB", comm_type="WEB", multiple=True,
           convert=to("websites")),
        _f("messengers", Kind.MULTI, "Messenger", "Messenger", "IM", comm_type="IM", multiple=True,
           convert=to("messengers")),
        _f("has_phone", Kind.BOOL, "Has phone", "Hat Telefon", "HAS_PHONE", read_only=True, form=False),
        _f("has_email", Kind.BOOL, "Has e-mail", "Hat E-Mail", "HAS_EMAIL", read_only=True, form=False),
    )


def _common(*, convert: tuple[str, ...] = ()) -> tuple[FieldSpec, ...]:
    """The fields every kind has; ``convert``: the kinds a lead's values of them go to (the deal keeps the
    lead's campaign and its origin in the external system, so an integration finds what its lead became)."""

    def to(spec: FieldSpec, targets: tuple[str, ...]) -> FieldSpec:
        return replace(spec, convert={t: spec.name for t in targets}) if targets else spec

    return (
        to(ASSIGNED, convert), CREATED_BY, to(COMMENTS, ("deal",) if convert else ()), CREATED_AT, UPDATED_AT,
        to(OPENED, convert), *(to(s, ("deal",) if convert else ()) for s in (*UTM, *ORIGIN)),
    )


SOURCE = _f("source", Kind.ENUM, "Source", "Quelle", "SOURCE_ID", attr="source_id", directory="SOURCE")
SOURCE_DESCRIPTION = _f("source_description", Kind.LONGTEXT, "Source information", "Quelleninformation",
                        "SOURCE_DESCRIPTION", max_length=LONGTEXT_MAX)
OPPORTUNITY = _f("opportunity", Kind.MONEY, "Amount", "Betrag", "OPPORTUNITY", orderable=True, nullable=False,
                 list_column=True)
CURRENCY = _f("currency", Kind.CURRENCY, "Currency", "Währung", "CURRENCY_ID", nullable=False)
HONORIFIC = _f("honorific", Kind.ENUM, "Salutation", "Anrede", "HONORIFIC", directory="HONORIFIC")
NAME = _text("name", "First name", "Vorname", "NAME", max_length=100, orderable=True)
SECOND_NAME = _text("second_name", "Second name", "Zweiter Vorname", "SECOND_NAME", max_length=100)
LAST_NAME = _text("last_name", "Last name", "Nachname", "LAST_NAME", max_length=100, orderable=True)
BIRTHDATE = _f("birthdate", Kind.DATE, "Date of birth", "Geburtsdatum", "BIRTHDATE")
POST = _text("post", "Position", "Position", "POST")
LEAD_ID = _f("lead_id", Kind.LINK, "Lead", "Lead", "LEAD_ID", link="lead", read_only=True, form=False)
IS_RETURN = _f("is_return_customer", Kind.BOOL, "Repeat customer", "Wiederholter Kunde", "IS_RETURN_CUSTOMER",
               read_only=True, form=False)

LEAD_FIELDS: tuple[FieldSpec, ...] = (
    ID,
    _text("title", "Lead name", "Leadname", "TITLE", orderable=True, list_column=True, convert={"deal": "title"}),
    replace(HONORIFIC, convert={"contact": "honorific"}),
    replace(NAME, convert={"contact": "name"}, list_column=True),
    replace(SECOND_NAME, convert={"contact": "second_name"}),
    replace(LAST_NAME, convert={"contact": "last_name"}, list_column=True),
    replace(BIRTHDATE, convert={"contact": "birthdate"}),
    replace(POST, convert={"contact": "post"}),
    _text("company_title", "Company name", "Firmenname", "COMPANY_TITLE", orderable=True, list_column=True,
          convert={"company": "title"}),
    # Empty means "the default" on create and "unchanged" on update (the lead service drops it).
    _f("status_id", Kind.ENUM, "Status", "Status", "STATUS_ID", directory="STATUS", orderable=True,
       list_column=True),
    _f("status_description", Kind.LONGTEXT, "Status information", "Statusinformation", "STATUS_DESCRIPTION",
       max_length=LONGTEXT_MAX),
    replace(SOURCE, convert={"deal": "source", "contact": "source"}, list_column=True),
    replace(SOURCE_DESCRIPTION, convert={"deal": "source_description", "contact": "source_description"}),
    replace(OPPORTUNITY, convert={"deal": "opportunity"}),
    replace(CURRENCY, convert={"deal": "currency"}),
    *(replace(s, convert={"contact": s.name, "company": s.name}) for s in ADDRESS),
    *_multis(convert=True),
    _f("contact_id", Kind.LINK, "Contact", "Kontakt", "CONTACT_ID", link="contact", orderable=True),
    _f("company_id", Kind.LINK, "Company", "Firma", "COMPANY_ID", link="company", orderable=True),
    _f("deal_id", Kind.LINK, "Deal", "Deal", None, link="deal", read_only=True, form=False),
    IS_RETURN,
    _f("converted_at", Kind.DATETIME, "Converted on", "Konvertiert am", "DATE_CLOSED", read_only=True, form=False),
    *_common(convert=("deal", "contact", "company")),
)

DEAL_FIELDS: tuple[FieldSpec, ...] = (
    ID,
    _text("title", "Name", "Name", "TITLE", orderable=True, list_column=True),
    _f("type_id", Kind.ENUM, "Deal type", "Dealtyp", "TYPE_ID", directory="DEAL_TYPE"),
    _f("pipeline_id", Kind.LINK, "Pipeline", "Pipeline", "CATEGORY_ID", link="pipeline",
       orderable=True, bitrix_type="crm_category", nullable=False),
    _f("stage_id", Kind.LINK, "Stage", "Phase", "STAGE_ID", link="stage", orderable=True, list_column=True,
       bitrix_type="crm_status", nullable=False),
    _f("probability", Kind.INT, "Probability, %", "Wahrscheinlichkeit, %", "PROBABILITY", min_value=0,
       max_value=100),
    OPPORTUNITY,
    CURRENCY,
    _f("contact_id", Kind.LINK, "Contact", "Kontakt", "CONTACT_ID", link="contact", orderable=True, form=False),
    _f("contact_ids", Kind.LINKS, "Contacts", "Kontakte", "CONTACT_IDS", link="contact", multiple=True),
    _f("company_id", Kind.LINK, "Company", "Firma", "COMPANY_ID", link="company", orderable=True,
       list_column=True),
    LEAD_ID,
    SOURCE,
    SOURCE_DESCRIPTION,
    _f("additional_info", Kind.LONGTEXT, "Additional information", "Zusätzliche Informationen", "ADDITIONAL_INFO",
       max_length=LONGTEXT_MAX),
    _f("begindate", Kind.DATE, "Start date", "Startdatum", "BEGINDATE", orderable=True),
    _f("closedate", Kind.DATE, "Close date", "Abschlussdatum", "CLOSEDATE", orderable=True),
    _f("closed", Kind.BOOL, "Closed", "Abgeschlossen", "CLOSED", read_only=True, form=False, nullable=False),
    _f("closed_at", Kind.DATETIME, "Closed on", "Abgeschlossen am", None, read_only=True, form=False,
       orderable=True),
    IS_RETURN,
    *_common(),
)

CONTACT_FIELDS: tuple[FieldSpec, ...] = (
    ID,
    HONORIFIC,
    replace(NAME, list_column=True),
    SECOND_NAME,
    replace(LAST_NAME, list_column=True),
    BIRTHDATE,
    _f("type_id", Kind.ENUM, "Contact type", "Kontakttyp", "TYPE_ID", directory="CONTACT_TYPE"),
    POST,
    _f("company_id", Kind.LINK, "Company", "Firma", "COMPANY_ID", link="company", orderable=True,
       list_column=True),
    _f("company_ids", Kind.LINKS, "Companies", "Firmen", "COMPANY_IDS", link="company", multiple=True,
       form=False),
    SOURCE,
    SOURCE_DESCRIPTION,
    _f("export", Kind.BOOL, "Included in export", "Im Export enthalten", "EXPORT", nullable=False, form=False),
    LEAD_ID,
    *ADDRESS,
    *_multis(),
    *_common(),
)

COMPANY_FIELDS: tuple[FieldSpec, ...] = (
    ID,
    _text("title", "Company name", "Firmenname", "TITLE", required=True, orderable=True, list_column=True),
    _f("company_type", Kind.ENUM, "Company type", "Firmentyp", "COMPANY_TYPE", directory="COMPANY_TYPE"),
    _f("industry", Kind.ENUM, "Industry", "Branche", "INDUSTRY", directory="INDUSTRY", list_column=True),
    _f("employees", Kind.ENUM, "Employees", "Mitarbeiter", "EMPLOYEES", directory="EMPLOYEES"),
    _f("revenue", Kind.MONEY, "Annual revenue", "Jahresumsatz", "REVENUE"),
    _f("currency", Kind.CURRENCY, "Currency", "Währung", "CURRENCY_ID"),
    _f("banking_details", Kind.LONGTEXT, "Banking details", "Bankverbindung", "BANKING_DETAILS",
       max_length=LONGTEXT_MAX),
    LEAD_ID,
    *ADDRESS,
    *_multis(),
    *_common(),
)

STANDARD: dict[EntityType, tuple[FieldSpec, ...]] = {
    EntityType.LEAD: LEAD_FIELDS,
    EntityType.DEAL: DEAL_FIELDS,
    EntityType.CONTACT: CONTACT_FIELDS,
    EntityType.COMPANY: COMPANY_FIELDS,
}

#: A lead's standard fields carried by conversion, per target: ``{"deal": {"title": "title", …}}``.
CONVERSION: dict[str, dict[str, str]] = {}
for _spec in LEAD_FIELDS:
    for _target, _name in _spec.convert.items():
        CONVERSION.setdefault(_target, {})[_spec.name] = _name


# --- custom fields as specs -----------------------------------------------------------------------


class CustomType(StrEnum):
    """Types of custom fields, named as Bitrix24's ``USER_TYPE_ID``."""

    STRING = "string"
    INTEGER = "integer"
    DOUBLE = "double"
    MONEY = "money"
    BOOLEAN = "boolean"
    DATE = "date"
    DATETIME = "datetime"
    ENUMERATION = "enumeration"
    URL = "url"
    EMPLOYEE = "employee"  # a user
    CRM = "crm"  # a CRM record (settings.entity says which kind)


CUSTOM_KINDS: dict[CustomType, Kind] = {
    CustomType.STRING: Kind.TEXT, CustomType.INTEGER: Kind.INT, CustomType.DOUBLE: Kind.DOUBLE,
    CustomType.MONEY: Kind.MONEY, CustomType.BOOLEAN: Kind.BOOL, CustomType.DATE: Kind.DATE,
    CustomType.DATETIME: Kind.DATETIME, CustomType.ENUMERATION: Kind.ENUM, CustomType.URL: Kind.URL,
    CustomType.EMPLOYEE: Kind.USER, CustomType.CRM: Kind.LINK,
}
#: Custom field types a value can be copied between on conversion (same storage form).
COMPATIBLE = {
    CustomType.STRING: {CustomType.STRING, CustomType.URL},
    CustomType.URL: {CustomType.URL, CustomType.STRING},
}


def custom_spec(cf: Any, items: Iterable[Any] = ()) -> FieldSpec:
    """The spec of a ``CustomField`` row (``items``: its enumeration items, when it has any)."""
    kind = CUSTOM_KINDS[CustomType(cf.type)]
    code = cf.code.upper()
    return FieldSpec(
        name=code.lower(), kind=kind, label_en=cf.label_en or cf.label_de or code,
        label_de=cf.label_de or cf.label_en or code, bitrix=code, attr=None,
        max_length=2000 if kind in (Kind.TEXT, Kind.URL) else None, required=cf.mandatory,
        directory="" if kind == Kind.ENUM else None,
        link=(cf.settings or {}).get("entity", "contact") if kind == Kind.LINK else None,
        filterable=cf.show_filter, list_column=cf.show_in_list, multiple=cf.multiple,
        bitrix_type=cf.type, custom=cf, items=tuple((i.pk, i.value) for i in items), sort=cf.sort,
    )


def custom_specs(entity: EntityType) -> tuple[FieldSpec, ...]:
    """The custom fields of ``entity`` in their order (one query, two with enumeration items).

    Read from the database each time: a per-transaction memo went stale when a savepoint that had
    defined a field was rolled back, and Django tells nobody about that."""
    from kontor.crm.models import CustomField, CustomFieldItem

    rows = list(CustomField.objects.filter(entity_type=entity).order_by("sort", "id"))
    items: dict[int, list[Any]] = {}
    if any(r.type == CustomType.ENUMERATION for r in rows):
        for item in CustomFieldItem.objects.filter(field__in=rows).order_by("sort", "id"):
            items.setdefault(item.field_id, []).append(item)
    return tuple(custom_spec(r, items.get(r.pk, ())) for r in rows)


def specs_for(entity: EntityType, *, custom: bool = True) -> tuple[FieldSpec, ...]:
    """Every field of ``entity``: the standard ones, then its custom fields."""
    return STANDARD[entity] + (custom_specs(entity) if custom else ())


def spec_map(entity: EntityType, *, custom: bool = True) -> dict[str, FieldSpec]:
    """``{native name: spec}``."""
    return {s.name: s for s in specs_for(entity, custom=custom)}


def bitrix_map(entity: EntityType, *, custom: bool = True) -> dict[str, FieldSpec]:
    """``{Bitrix24 name: spec}`` of the fields the facade knows by name."""
    return {s.bitrix: s for s in specs_for(entity, custom=custom) if s.bitrix}


# --- values in ------------------------------------------------------------------------------------


def _bad(spec: FieldSpec, message: str) -> KontorError:
    return validation(f"{spec.name}: {message}", spec.name)


def _printable(spec: FieldSpec, text: str) -> str:
    if "\x00" in text or any("\ud800" <= ch <= "\udfff" for ch in text):
        raise _bad(spec, "must not contain NUL characters or unpaired surrogates")
    return text


def parse_day(value: Any) -> date | None:
    """A day from ``YYYY-MM-DD``, an ISO datetime (its local day) or ``DD.MM.YYYY``; ``None`` if none."""
    if isinstance(value, datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        return None
    text = value.strip()
    try:
        day = parse_date(text)
        if day is not None:
            return day
        moment = parse_datetime(text.replace(" ", "T", 1))
        if moment is not None:
            return parse_day(moment)
    except ValueError:
        return None
    found = re.fullmatch(r"(\d{1,2})\.(\d{1,2})\.(\d{4})(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?", text)
    if found:
        try:
            return date(int(found[3]), int(found[2]), int(found[1]))
        except ValueError:
            return None
    return None


def parse_moment(value: Any) -> datetime | None:
    """An aware datetime from ISO 8601 (with or without offset: server time), ``YYYY-MM-DD``,
    ``DD.MM.YYYY[ HH:MM[:SS]]``; ``None`` if it is none of these."""
    moment: datetime | None = None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str) and value.strip():
        text = value.strip()
        try:
            moment = parse_datetime(text.replace(" ", "T", 1))
        except ValueError:
            moment = None
        if moment is None:
            found = re.fullmatch(r"(\d{1,2})\.(\d{1,2})\.(\d{4})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?)?", text)
            try:
                if found:
                    moment = datetime(int(found[3]), int(found[2]), int(found[1]), int(found[4] or 0),
                                      int(found[5] or 0), int(found[6] or 0))
                else:
                    day = parse_date(text)
                    moment = datetime.combine(day, time.min) if day else None
            except ValueError:
                moment = None
    if moment is None:
        return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    probe = moment.astimezone(UTC)
    if not 1900 <= probe.year <= 9998:
        return None
    return moment


def _amount(spec: FieldSpec, value: Any) -> Decimal:
    if isinstance(value, bool):
        raise _bad(spec, "must be a number")
    try:
        amount = Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        raise _bad(spec, "must be a number") from None
    if not amount.is_finite() or amount < 0 or amount >= MAX_AMOUNT:
        raise _bad(spec, f"must be {AMOUNT_RANGE}")
    return amount.quantize(Decimal("0.01"))


def _integer(spec: FieldSpec, value: Any) -> int:
    if isinstance(value, bool):
        raise _bad(spec, "must be an integer")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d{1,19}\s*", value):
        value = int(value)
    if not isinstance(value, int):
        raise _bad(spec, "must be an integer")
    low = spec.min_value if spec.min_value is not None else -MAX_INT
    high = spec.max_value if spec.max_value is not None else MAX_INT
    if not low <= value <= high:
        raise _bad(spec, f"must be between {low} and {high}")
    return value


def parse_bool(value: Any) -> bool | None:
    """``True``/``False`` from booleans, ``Y``/``N``, ``1``/``0``, ``true``/``false``; else ``None``."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("y", "yes", "1", "true", "on"):
            return True
        if text in ("n", "no", "0", "false", "off"):
            return False
    return None


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


def clean_scalar(spec: FieldSpec, value: Any, *, directories: Directories | None = None) -> Any:
    """One value of ``spec`` as stored (a code, a ``Decimal``, a date, an id …); ``None`` for empty.

    References are checked for existence (an unknown id is a 422 naming the field).
    """
    kind = spec.kind
    if _is_empty(value):
        return spec.empty_value
    if kind in (Kind.TEXT, Kind.LONGTEXT, Kind.URL):
        if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            raise _bad(spec, "must be a string")
        text = _printable(spec, value.strip())
        if spec.max_length and len(text) > spec.max_length:
            raise _bad(spec, f"is longer than {spec.max_length} characters")
        if kind == Kind.URL and not re.match(r"^(https?|ftp)://\S+$", text, re.I):
            raise _bad(spec, f"'{text[:80]}' is not an http(s) address")
        return text
    if kind == Kind.INT:
        return _integer(spec, value)
    if kind == Kind.DOUBLE:
        try:
            number = float(str(value).replace(",", ".")) if not isinstance(value, bool) else None
        except ValueError:
            number = None
        if number is None or number != number or abs(number) > 1e300:
            raise _bad(spec, "must be a number")
        return number
    if kind == Kind.MONEY:
        if spec.is_custom:  # Bitrix24's money custom field: "12.50|EUR"
            amount_text, _, currency = str(value).partition("|")
            amount = _amount(spec, amount_text)
            currency = (currency or "EUR").strip().upper()
            if not is_currency(currency):
                raise _bad(spec, f"currency {currency_error(currency)}")
            return f"{amount}|{currency}"
        return _amount(spec, value)
    if kind == Kind.DATE:
        day = parse_day(value)
        if day is None or not 1900 <= day.year <= 9998:
            raise _bad(spec, f"'{value}' is not a date (YYYY-MM-DD)")
        return day
    if kind == Kind.DATETIME:
        moment = parse_moment(value)
        if moment is None:
            raise _bad(spec, f"'{value}' is not a date and time (ISO 8601)")
        return moment
    if kind == Kind.BOOL:
        flag = parse_bool(value)
        if flag is None:
            raise _bad(spec, "must be true or false (Y or N)")
        return flag
    if kind == Kind.CURRENCY:
        text = str(value).strip().upper()
        if not is_currency(text):
            raise _bad(spec, currency_error(value))
        return text
    if kind == Kind.ENUM:
        if spec.is_custom:
            if (pk := spec.item_id(value)) is not None:
                return pk
            choices = ", ".join(f"{pk} ({label})" for pk, label in spec.items)
            raise _bad(spec, f"'{value}' is not one of its items: {choices}")
        code = str(value).strip().upper()
        codes = (directories or Directories()).codes(spec.directory or "")
        if code not in codes:
            raise _bad(spec, f"unknown code '{value}' (one of {', '.join(codes)})")
        return code
    if kind in (Kind.USER, Kind.LINK):
        pk = _integer(replace(spec, min_value=1, max_value=None), value)
        if not _exists(spec, pk):
            what = "active user" if kind == Kind.USER else (spec.link or "record")
            raise _bad(spec, f"no {what} {pk}")
        return pk
    raise _bad(spec, "cannot be set this way")  # LINKS and MULTI are cleaned by the services


def _exists(spec: FieldSpec, pk: int) -> bool:
    if spec.link in ("pipeline", "stage"):
        return True  # the deal service loads them and refuses an unknown one itself
    if spec.kind == Kind.USER:
        return get_user_model().objects.filter(pk=pk, is_active=True).exists()
    from kontor.crm import models

    model = {"lead": models.Lead, "deal": models.Deal, "contact": models.Contact, "company": models.Company,
             "pipeline": models.Pipeline, "stage": models.Stage}.get(spec.link or "")
    return model is not None and model._default_manager.filter(pk=pk).exists()


class Directories:
    """The codes of every directory, read once per use (they are small tables)."""

    def __init__(self) -> None:
        self._codes: dict[str, list[str]] = {}

    def codes(self, directory: str) -> list[str]:
        if directory not in self._codes:
            from kontor.crm.models import DirectoryItem, LeadStatus, Source

            if directory == "SOURCE":
                found = list(Source.objects.order_by("sort", "code").values_list("code", flat=True))
            elif directory == "STATUS":
                found = list(LeadStatus.objects.order_by("sort", "code").values_list("code", flat=True))
            else:
                found = list(DirectoryItem.objects.filter(directory=directory).order_by("sort", "id")
                             .values_list("code", flat=True))
            self._codes[directory] = found
        return self._codes[directory]


def clean_custom(spec: FieldSpec, value: Any) -> Any:
    """A custom field's value as stored in ``uf`` (JSON): one value, or a list when multiple."""
    if spec.multiple:
        values = value if isinstance(value, list | tuple) else ([] if _is_empty(value) else [value])
        if len(values) > 100:
            raise _bad(spec, "takes at most 100 values")
        cleaned = [_custom_json(spec, clean_scalar(spec, v)) for v in values if not _is_empty(v)]
        return cleaned or None
    if isinstance(value, list | tuple):
        raise _bad(spec, "takes a single value")
    return _custom_json(spec, clean_scalar(spec, value))


def _custom_json(spec: FieldSpec, value: Any) -> Any:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, date):
        return value.isoformat()
    return value


@dataclass
class Cleaned:
    """A record's input after validation: what the services write, keyed by model attribute."""

    values: dict[str, Any] = field(default_factory=dict)
    #: ``{"PHONE": [...], …}`` for the multi-fields named in the input.
    comms: dict[str, Any] = field(default_factory=dict)
    #: ``{"contact_ids": [ids]}`` for LINKS fields named in the input.
    links: dict[str, list[int]] = field(default_factory=dict)
    #: Custom values named in the input (``None``: cleared).
    uf: dict[str, Any] = field(default_factory=dict)
    #: Native names given, in input order.
    given: list[str] = field(default_factory=list)


def ordered_links(cleaned: Cleaned, name: str) -> list[int] | None:
    """The ids of a LINKS field (``contact_ids``, ``company_ids``) in order, the primary first, from the
    list and/or its primary (``contact_id``, ``company_id``) in ``cleaned``; ``None`` when the input
    names neither."""
    primary_column = name.removesuffix("s")
    values = cleaned.values
    if name in cleaned.links:
        ids = cleaned.links[name]
        primary = values.get(primary_column)
        if primary is not None:
            ids = [primary, *[pk for pk in ids if pk != primary]]
        return ids
    if primary_column in values:
        return [values[primary_column]] if values[primary_column] else []
    return None


def clean_record(entity: EntityType, data: Mapping[str, Any], *, create: bool,
                 specs: Mapping[str, FieldSpec] | None = None) -> Cleaned:
    """Validate a record's input once, by its specs: unknown and read-only names are 422s naming the
    field (an undefined ``uf_crm_*`` too: its value would be lost); custom fields marked mandatory
    are required on create and cannot be emptied."""
    from kontor.crm.services.common import clean_communications_of

    specs = specs if specs is not None else spec_map(entity)
    unknown = sorted(k for k in data if k not in specs)
    if unknown:
        raise KontorError(ErrorCode.VALIDATION, f"unknown field(s): {', '.join(unknown)}", field=unknown[0])
    out = Cleaned(given=list(data))
    directories = Directories()
    for name, value in data.items():
        spec = specs[name]
        if spec.read_only:
            raise validation(f"{name} is read-only", name)
        if spec.immutable and not create:
            raise validation(f"{name} cannot be changed after creation", name)
        if spec.is_custom:
            out.uf[name] = clean_custom(spec, value)
            if spec.required and out.uf[name] is None:
                raise validation(f"{name} is required", name)
        elif spec.kind == Kind.MULTI:
            out.comms[spec.comm_type or ""] = value
        elif spec.kind == Kind.LINKS:
            if value is None:
                continue
            if not isinstance(value, list | tuple):
                raise validation(f"{name} must be a list of ids", name)
            ids = [clean_scalar(replace(spec, kind=Kind.LINK), v) for v in value if not _is_empty(v)]
            out.links[name] = list(dict.fromkeys(ids))
        else:
            cleaned = clean_scalar(spec, value, directories=directories)
            if cleaned is None and not spec.nullable:
                raise validation(f"{name} must not be empty", name)
            if spec.required and _is_empty(cleaned):
                raise validation(f"{name} is required", name)
            out.values[spec.column] = cleaned
    if create:
        for spec in specs.values():
            if spec.is_custom and spec.required and spec.name not in data:
                raise validation(f"{spec.name} is required", spec.name)
    if out.comms:
        out.comms = clean_communications_of(out.comms)
    return out


# --- values out -----------------------------------------------------------------------------------


def native_value(spec: FieldSpec, value: Any) -> Any:
    """A stored value as the native API sends it: money as a decimal string, dates ISO, ids numbers."""
    if value is None:
        return None
    if spec.kind == Kind.MONEY and isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def uf_values(obj: Any) -> dict[str, Any]:
    """A record's custom values (``{}`` when it has none)."""
    return obj.uf or {} if hasattr(obj, "uf") else {}


def uf_json(values: Mapping[str, Any]) -> str:
    """``uf`` as JSON text for the bulk paths' plain SQL."""
    return json.dumps(dict(values), ensure_ascii=False, separators=(",", ":"))
