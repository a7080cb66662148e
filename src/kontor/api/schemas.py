"""Request and response shapes of the native REST API (SPEC §5 wire names).

Input schemas check types and ranges only; what a value means (does the stage exist, is this a
phone number) is the services' business, so the API, the UI and the facade reject the same things.
Every input schema forbids unknown fields, so a typo is a 422 instead of silently ignored.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Field, Schema
from pydantic import AfterValidator, BaseModel, ConfigDict, create_model, model_validator
from pydantic_core import PydanticCustomError

from kontor.core.errors import validation
from kontor.crm.enums import EntityType
from kontor.crm.fields import STANDARD, FieldSpec, Kind
from kontor.crm.models import RECORD_MODELS

#: Largest id a database integer column holds; larger ones are a 422, never an overflow (500).
MAX_ID = 2**63 - 1
MAX_LIMIT = 500


def _printable(value: str) -> str:
    # NUL and unpaired surrogates cannot be stored (PostgreSQL, UTF-8): reject them as input errors.
    if "\x00" in value or any("\ud800" <= ch <= "\udfff" for ch in value):
        raise ValueError("must not contain NUL characters or unpaired surrogates")
    return value


def _storable_datetime(value: datetime) -> datetime:
    # Keep a margin to the calendar's ends so conversion to UTC cannot overflow.
    probe = value if value.tzinfo is None else value.astimezone(UTC)
    if not 1900 <= probe.year <= 9998:
        raise ValueError("must be between the years 1900 and 9998")
    return value


Text = Annotated[str, AfterValidator(_printable)]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
DateTime = Annotated[datetime, AfterValidator(_storable_datetime)]
EntityName = Literal["lead", "deal", "contact", "company"]
SemanticName = Literal["process", "success", "failure"]


class InputSchema(Schema):
    model_config = ConfigDict(extra="forbid")


class Error(Schema):
    """Every error answer: a message, a machine-readable code, and the input field at fault."""

    detail: str
    code: str
    field: str | None = None


def errors(*statuses: int) -> dict[int, type[Error]]:
    """The error part of an operation's ``response=`` declaration."""
    return dict.fromkeys(statuses, Error)


# --- phones and e-mails --------------------------------------------------------------------------


class CommunicationIn(InputSchema):
    """A phone or e-mail with its type; ``id`` keeps an existing row on update."""

    value: Text
    type: Text | None = Field(None, description="WORK, MOBILE, HOME, FAX, PAGER, MAILING or OTHER")
    id: Id | None = None


class CommunicationOut(Schema):
    id: int
    value: str
    type: str
    normalized: str = Field(description="E.164 phone or lower-cased e-mail, how duplicates are found")


CommList = Annotated[list[Text | CommunicationIn], Field(max_length=50)]


# --- list envelope -------------------------------------------------------------------------------


class Paging(Schema):
    limit: int = Field(50, ge=1, le=MAX_LIMIT, description=f"page size, at most {MAX_LIMIT}")
    offset: int = Field(0, ge=0, le=2**62)
    order: Text | None = Field(None, description="field names, '-' for descending, e.g. -created_at")
    count: bool = Field(True, description="false: do not count the matching records (`total` is null; "
                        "`has_more` tells whether another page follows) — for big lists and endless scrolling")


def page_of(item: type[BaseModel], name: str) -> type[Schema]:
    """``{"items": [...], "total", "has_more", "limit", "offset"}`` for ``item``."""
    items: Any = list[item]  # type: ignore[valid-type]  # a class made at run time
    return create_model(name, __base__=Schema, items=(items, ...),
                        total=(int | None, Field(..., description="all matching records; null with count=false")),
                        has_more=(bool, Field(..., description="another page follows this one")),
                        limit=(int, ...), offset=(int, ...))


# --- records: lead, deal, contact, company, generated from their field specs ----------------------

#: Custom fields' flat keys in native records (``uf_crm_<name>``).
UF_KEY = re.compile(r"^uf_crm_[a-z0-9_]+$")
#: Filter operators of the list endpoints' ``?<field>__<op>=`` parameters.
FILTER_OPS = ("gt", "gte", "lt", "lte", "ne", "in", "not_in", "contains", "not_contains", "like", "not_like")
Money = Annotated[Decimal, Field(description="an amount with two decimals, e.g. 1500.50")]


def _reject_unknown(extra: dict[str, Any] | None) -> None:
    # ``extra="allow"`` lets custom fields through; any other unknown key is a 422 naming it, as the
    # error handler reads ``ctx.field``. Whether a ``uf_crm_*`` key is defined is clean_record's call.
    for key in extra or {}:
        if not UF_KEY.match(key):
            raise PydanticCustomError("extra_forbidden", "unknown field (custom fields are uf_crm_<name>)",
                                     {"field": key})


class RecordIn(BaseModel):
    """A record's input: the fields of its specs, plus any ``uf_crm_*`` key (checked by the service).

    A pydantic model rather than a ninja ``Schema``: ninja's schema reads declared attributes only
    and would drop the custom fields.
    """

    model_config = ConfigDict(extra="allow", json_schema_extra={
        "additionalProperties": False,
        "patternProperties": {UF_KEY.pattern: {"description": "a custom field (GET /api/v1/custom-fields)"}},
    })

    @model_validator(mode="after")
    def _only_custom_extras(self) -> RecordIn:
        _reject_unknown(self.__pydantic_extra__)
        return self


class RecordOut(BaseModel):
    """A record as the API answers it: every field of its specs, custom fields as flat keys."""

    model_config = ConfigDict(extra="allow", json_schema_extra={
        "patternProperties": {UF_KEY.pattern: {"description": "a custom field's value (null when empty)"}},
    })


def _describe(spec: FieldSpec) -> str:
    text = spec.label_en
    if spec.kind == Kind.ENUM and spec.directory:
        text += f" (a code of the {spec.directory} directory)"
    elif spec.kind == Kind.CURRENCY:
        text += " (ISO 4217, e.g. EUR)"
    elif spec.kind in (Kind.LINK, Kind.LINKS) and spec.link:
        text += f" ({spec.link} id{'s' if spec.kind == Kind.LINKS else ''})"
    return text


def _in_type(spec: FieldSpec) -> Any:
    kind = spec.kind
    if kind in (Kind.TEXT, Kind.LONGTEXT, Kind.URL):
        return Annotated[Text, Field(max_length=spec.max_length)] if spec.max_length else Text
    if kind in (Kind.ENUM, Kind.CURRENCY):
        return Annotated[Text, Field(max_length=50)]
    if kind == Kind.INT:
        low = spec.min_value if spec.min_value is not None else -MAX_ID
        high = spec.max_value if spec.max_value is not None else MAX_ID
        return Annotated[int, Field(ge=low, le=high)]
    if kind == Kind.LINKS:
        return Annotated[list[Id], Field(max_length=100)]
    return {
        Kind.DOUBLE: float, Kind.MONEY: Money, Kind.DATE: date, Kind.DATETIME: DateTime, Kind.BOOL: bool,
        Kind.USER: Id, Kind.LINK: Id, Kind.MULTI: CommList,
    }[kind]


OUT_TYPES: dict[Kind, Any] = {
    Kind.TEXT: str, Kind.LONGTEXT: str, Kind.URL: str, Kind.ENUM: str, Kind.CURRENCY: str, Kind.INT: int,
    Kind.DOUBLE: float, Kind.MONEY: Annotated[str, Field(description="a decimal string, e.g. 1500.50")],
    Kind.DATE: date, Kind.DATETIME: datetime, Kind.BOOL: bool, Kind.USER: int, Kind.LINK: int,
    Kind.LINKS: list[int], Kind.MULTI: list[CommunicationOut],
}


def _out_type(entity: EntityType, spec: FieldSpec) -> Any:
    kind_type = OUT_TYPES[spec.kind]
    if spec.kind in (Kind.LINKS, Kind.MULTI) or spec.name in ("has_phone", "has_email"):
        return kind_type
    column = RECORD_MODELS[entity]._meta.get_field(spec.column)
    return kind_type | None if column.null else kind_type


def record_in(entity: EntityType, name: str) -> type[RecordIn]:
    """The input schema of ``entity``: its writable standard fields, all optional (PATCH sends some)."""
    fields: dict[str, Any] = {
        spec.name: (_in_type(spec) | None, Field(None, description=_describe(spec)))
        for spec in STANDARD[entity] if not spec.read_only
    }
    return create_model(name, __base__=RecordIn, **fields)


def record_out(entity: EntityType, name: str) -> type[RecordOut]:
    """The output schema of ``entity``: every standard field (custom fields are extra keys)."""
    fields: dict[str, Any] = {
        spec.name: (_out_type(entity, spec), Field(description=_describe(spec))) for spec in STANDARD[entity]
    }
    return create_model(name, __base__=RecordOut, **fields)


def record_filters(entity: EntityType, name: str, **extra: Any) -> type[Paging]:
    """The list query of ``entity``: paging, ``q``, ``extra``, and ``?<field>=`` for every filterable
    standard field. ``?<field>__<op>=`` and custom fields' ``?uf_crm_<name>=`` are read from the
    query string by ``list_filters`` (they are too many, or not known, to declare)."""
    fields: dict[str, Any] = dict(extra)
    for spec in STANDARD[entity]:
        if spec.ops:
            ops = ", ".join(op for op in spec.ops if op != "eq")
            fields[spec.name] = (Text | None, Field(None, description=(
                f"{spec.label_en}: equal to (a comma-separated list: one of); also {spec.name}__<op> "
                f"with <op> one of {ops}")))
    return create_model(name, __base__=Paging, **fields)


if TYPE_CHECKING:  # the generated classes, as the type checker can see them
    class LeadIn(RecordIn): ...
    class DealIn(RecordIn): ...
    class ContactIn(RecordIn): ...
    class CompanyIn(RecordIn): ...
    class LeadOut(RecordOut): ...
    class DealOut(RecordOut): ...
    class ContactOut(RecordOut): ...
    class CompanyOut(RecordOut): ...
    class LeadFilters(Paging): ...
    class DealFilters(Paging): ...
    class ContactFilters(Paging): ...
    class CompanyFilters(Paging): ...
else:
    LeadIn = record_in(EntityType.LEAD, "LeadIn")
    DealIn = record_in(EntityType.DEAL, "DealIn")
    ContactIn = record_in(EntityType.CONTACT, "ContactIn")
    CompanyIn = record_in(EntityType.COMPANY, "CompanyIn")
    LeadOut = record_out(EntityType.LEAD, "LeadOut")
    DealOut = record_out(EntityType.DEAL, "DealOut")
    ContactOut = record_out(EntityType.CONTACT, "ContactOut")
    CompanyOut = record_out(EntityType.COMPANY, "CompanyOut")
    LeadFilters = record_filters(
        EntityType.LEAD, "LeadFilters",
        semantic=(SemanticName | None, Field(None, description="process, success (converted) or failure (junk)")),
        q=(Text | None, Field(None, description="search in title, names, company title, phones, e-mails")),
    )
    DealFilters = record_filters(EntityType.DEAL, "DealFilters", q=(
        Text | None, Field(None, description="search in title, phones, e-mails")))
    ContactFilters = record_filters(EntityType.CONTACT, "ContactFilters", q=(
        Text | None, Field(None, description="search in names, phones, e-mails")))
    CompanyFilters = record_filters(EntityType.COMPANY, "CompanyFilters", q=(
        Text | None, Field(None, description="search in title, phones, e-mails")))


#: How a record list is filtered and ordered (the list operations' description).
FILTER_HELP = (
    "Filters: `?<field>=value` (equal; a comma-separated value of a non-text field, or a repeated "
    "parameter, means one of; an empty value means the field is empty) and `?<field>__<op>=value` with "
    "`<op>` one of gt, gte, lt, lte, ne, in, not_in, contains, not_contains, like, not_like (the field's "
    "own operators are listed with it), for every field of the record, custom fields included "
    "(`?uf_crm_shop_order=SO-1`, `?uf_crm_weight__gte=10`). An unknown field, operator or parameter is a "
    "422 naming it. `?order=` takes orderable fields, comma-separated, `-` before one for descending."
)


def list_filters(request: HttpRequest) -> dict[str, Any]:
    """Every query parameter except paging and order, as the selectors take them (a repeated
    parameter as a list). The selectors reject unknown names."""
    return {key: values[0] if len(values) == 1 else values for key, values in request.GET.lists()
            if key not in ("limit", "offset", "order", "count")}


def no_query(request: HttpRequest, *allowed: str) -> None:
    """A 422 naming the first query parameter that is neither ``allowed`` nor paging, for endpoints
    whose parameters ninja does not check by itself."""
    for key in request.GET:
        if key not in allowed:
            raise validation(f"unknown query parameter '{key}'", key)


# --- activities ----------------------------------------------------------------------------------


class BindingIn(InputSchema):
    entity: EntityName
    id: Id


class BindingOut(Schema):
    entity: EntityName
    id: int


ActivityType = Literal["call", "meeting", "email", "task", "todo"]


class ActivityCommunicationIn(InputSchema):
    """Who an activity is with (Bitrix24's COMMUNICATIONS): a phone or address and, optionally, its record."""

    type: Literal["PHONE", "EMAIL", "IM", "WEB", ""] = "PHONE"
    value: Text
    entity_type: EntityName | None = None
    entity_id: Id | None = None


class ActivityCommunicationOut(Schema):
    type: str
    value: str
    entity_type: EntityName | None
    entity_id: int | None


class ActivityIn(InputSchema):
    type: ActivityType | None = None
    subject: Text | None = None
    description: Text | None = None
    deadline: DateTime | None = None
    start_time: DateTime | None = Field(None, description="a call's or meeting's start (the deadline if none given)")
    end_time: DateTime | None = Field(None, description="the end (a task's deadline when none is given)")
    communications: Annotated[list[ActivityCommunicationIn], Field(max_length=50)] | None = None
    completed: bool | None = None
    responsible_id: Id | None = None
    bindings: Annotated[list[BindingIn], Field(max_length=50)] | None = None
    direction: Literal[1, 2] | None = Field(None, description="1 incoming, 2 outgoing")
    priority: Literal[1, 2, 3] | None = None


class ActivityOut(Schema):
    id: int
    type: ActivityType
    subject: str
    description: str
    deadline: datetime | None
    start_time: datetime | None
    end_time: datetime | None
    communications: list[ActivityCommunicationOut]
    completed: bool
    completed_at: datetime | None
    responsible_id: int | None
    direction: int | None
    priority: int
    bindings: list[BindingOut]
    created_at: datetime
    updated_at: datetime


class ActivityFilters(Paging):
    entity: EntityName | None = Field(None, description="with entity_id: the activities of one record")
    entity_id: Id | None = None
    responsible_id: Id | None = None
    completed: bool | None = None
    type: ActivityType | None = None
    q: Text | None = Field(None, description="search in subject")


# --- pipelines, stages, lead statuses ------------------------------------------------------------


class StageUpdateIn(InputSchema):
    name: Text | None = None
    sort: int | None = None
    semantic: SemanticName | None = None
    color: Text | None = None


class StageIn(StageUpdateIn):
    code: Text | None = Field(None, description="unique in the pipeline; made from the name when missing")


class StageOut(Schema):
    id: int
    pipeline_id: int
    code: str
    name: str
    sort: int
    semantic: SemanticName
    color: str


class PipelineIn(InputSchema):
    name: Text | None = None
    sort: int | None = None


class PipelineCreateIn(PipelineIn):
    default_stages: bool = Field(True, description="give the pipeline Bitrix24's default stages")


class PipelineOut(Schema):
    id: int
    name: str
    sort: int
    is_default: bool
    created_at: datetime
    stages: list[StageOut]


class LeadStatusUpdateIn(InputSchema):
    name: Text | None = None
    sort: int | None = None
    semantic: SemanticName | None = None
    color: Text | None = None


class LeadStatusIn(LeadStatusUpdateIn):
    code: Text | None = None


class LeadStatusOut(Schema):
    id: str = Field(description="the status code, as leads name it in status_id")
    code: str
    name: str
    sort: int
    semantic: SemanticName
    color: str
    system: bool


# --- custom fields -------------------------------------------------------------------------------

CustomFieldType = Literal["string", "integer", "double", "money", "boolean", "date", "datetime", "enumeration", "url",
                          "employee", "crm"]
Label = Annotated[Text, Field(max_length=255)]


class CustomFieldItemIn(InputSchema):
    """An enumeration item; ``id`` changes an existing one, ``delete: true`` removes it."""

    id: Id | None = None
    value: Label | None = None
    sort: Annotated[int, Field(ge=-(2**31), lt=2**31)] | None = None
    is_default: bool | None = None
    xml_id: Label | None = None
    delete: bool | None = None


CustomFieldItems = Annotated[list[CustomFieldItemIn | Label], Field(max_length=500)]


class CustomFieldUpdateIn(InputSchema):
    label_de: Label | None = None
    label_en: Label | None = None
    mandatory: bool | None = None
    sort: Annotated[int, Field(ge=-(2**31), lt=2**31)] | None = None
    show_in_list: bool | None = None
    show_filter: bool | None = None
    settings: dict[str, Any] | None = Field(None, description='type settings; a "crm" field: {"entity": "contact"}')
    items: CustomFieldItems | None = Field(None, description="enumeration items (values or objects)")
    xml_id: Label | None = None


class CustomFieldIn(CustomFieldUpdateIn):
    entity: EntityName
    code: Annotated[Text, Field(min_length=1, max_length=50, description="UF_CRM_SHOP_ORDER or shop_order")]
    type: CustomFieldType
    multiple: bool = False


class CustomFieldItemOut(Schema):
    id: int
    value: str
    sort: int
    is_default: bool
    xml_id: str


class CustomFieldOut(Schema):
    id: int
    entity: EntityName
    code: str = Field(description="UF_CRM_<NAME>, the facade's name")
    key: str = Field(description="uf_crm_<name>, the key in native records and filters")
    type: CustomFieldType
    label_de: str
    label_en: str
    multiple: bool
    mandatory: bool
    sort: int
    show_in_list: bool
    show_filter: bool
    settings: dict[str, Any]
    xml_id: str
    items: list[CustomFieldItemOut]
    created_at: datetime


class CustomFieldFilters(Schema):
    entity: EntityName | None = None


# --- users and tokens ----------------------------------------------------------------------------


class UserOut(Schema):
    id: int
    username: str
    first_name: str
    last_name: str
    email: str
    role: Literal["admin", "manager"]
    is_active: bool
    access_role_id: int | None = Field(None, description="custom role narrowing which records a manager "
                                                          "sees (null: the built-in role)")
    department_id: int | None = None


class UserIn(InputSchema):
    username: Annotated[Text, Field(min_length=1, max_length=150)]
    password: Annotated[Text, Field(max_length=128)] | None = None
    role: Literal["admin", "manager"] = "manager"
    email: Annotated[Text, Field(max_length=254)] = ""
    first_name: Annotated[Text, Field(max_length=150)] = ""
    last_name: Annotated[Text, Field(max_length=150)] = ""


class TokenIn(InputSchema):
    name: Annotated[Text, Field(max_length=100)] = ""


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreatedOut(TokenOut):
    token: str = Field(description="the token itself; shown only in this answer")


def body(payload: BaseModel) -> dict[str, Any]:
    """The fields the client sent, with wire names, as the services take them."""
    return payload.model_dump(exclude_unset=True)


