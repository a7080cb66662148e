"""Request and response shapes of the native REST API (SPEC §5 wire names).

Input schemas check types and ranges only; what a value means (does the stage exist, is this a
phone number) is the services' business, so the API, the UI and the facade reject the same things.
Every input schema forbids unknown fields, so a typo is a 422 instead of silently ignored.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import AfterValidator, ConfigDict, create_model

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


def page_of(item: type[Schema], name: str) -> type[Schema]:
    """``{"items": [...], "total", "limit", "offset"}`` for ``item``."""
    return create_model(name, __base__=Schema, items=(list[item], ...), total=(int, ...), limit=(int, ...),
                        offset=(int, ...))


# --- leads ---------------------------------------------------------------------------------------


class LeadIn(InputSchema):
    title: Text | None = None
    name: Text | None = None
    second_name: Text | None = None
    last_name: Text | None = None
    post: Text | None = None
    company_title: Text | None = None
    phones: CommList | None = None
    emails: CommList | None = None
    status_id: Text | None = None
    source: Text | None = None
    source_description: Text | None = None
    opportunity: Decimal | None = None
    currency: Text | None = None
    assigned_id: Id | None = None
    comments: Text | None = None
    contact_id: Id | None = None
    company_id: Id | None = None


class LeadOut(Schema):
    id: int
    title: str
    name: str
    second_name: str
    last_name: str
    post: str
    company_title: str
    phones: list[CommunicationOut]
    emails: list[CommunicationOut]
    status_id: str
    source: str | None
    source_description: str
    opportunity: float
    currency: str
    assigned_id: int | None
    comments: str
    contact_id: int | None
    company_id: int | None
    deal_id: int | None
    is_return_customer: bool
    converted_at: datetime | None
    created_at: datetime
    updated_at: datetime


class LeadFilters(Paging):
    status_id: Text | None = None
    semantic: SemanticName | None = Field(None, description="process, success (converted) or failure (junk)")
    source: Text | None = None
    assigned_id: Id | None = None
    q: Text | None = Field(None, description="search in title, names, company title, phones, e-mails")


# --- deals ---------------------------------------------------------------------------------------


class DealIn(InputSchema):
    title: Text | None = None
    pipeline_id: Id | None = None
    stage_id: Id | None = None
    opportunity: Decimal | None = None
    currency: Text | None = None
    contact_id: Id | None = None
    contact_ids: Annotated[list[Id], Field(max_length=100)] | None = None
    company_id: Id | None = None
    source: Text | None = None
    assigned_id: Id | None = None
    comments: Text | None = None


class DealOut(Schema):
    id: int
    title: str
    pipeline_id: int
    stage_id: int
    opportunity: float
    currency: str
    contact_id: int | None
    contact_ids: list[int]
    company_id: int | None
    lead_id: int | None
    source: str | None
    assigned_id: int | None
    comments: str
    closed: bool
    closed_at: datetime | None
    is_return_customer: bool
    created_at: datetime
    updated_at: datetime


class DealFilters(Paging):
    pipeline_id: Id | None = None
    stage_id: Id | None = None
    assigned_id: Id | None = None
    contact_id: Id | None = None
    company_id: Id | None = None
    lead_id: Id | None = None
    closed: bool | None = None
    q: Text | None = Field(None, description="search in title, phones, e-mails")


# --- contacts ------------------------------------------------------------------------------------


class ContactIn(InputSchema):
    name: Text | None = None
    second_name: Text | None = None
    last_name: Text | None = None
    post: Text | None = None
    company_id: Id | None = None
    phones: CommList | None = None
    emails: CommList | None = None
    source: Text | None = None
    assigned_id: Id | None = None
    comments: Text | None = None


class ContactOut(Schema):
    id: int
    name: str
    second_name: str
    last_name: str
    post: str
    company_id: int | None
    phones: list[CommunicationOut]
    emails: list[CommunicationOut]
    source: str | None
    assigned_id: int | None
    comments: str
    lead_id: int | None
    created_at: datetime
    updated_at: datetime


class ContactFilters(Paging):
    company_id: Id | None = None
    assigned_id: Id | None = None
    q: Text | None = Field(None, description="search in names, phones, e-mails")


# --- companies -----------------------------------------------------------------------------------


class CompanyIn(InputSchema):
    title: Text | None = None
    industry: Text | None = None
    phones: CommList | None = None
    emails: CommList | None = None
    assigned_id: Id | None = None
    comments: Text | None = None


class CompanyOut(Schema):
    id: int
    title: str
    industry: str
    phones: list[CommunicationOut]
    emails: list[CommunicationOut]
    assigned_id: int | None
    comments: str
    lead_id: int | None
    created_at: datetime
    updated_at: datetime


class CompanyFilters(Paging):
    assigned_id: Id | None = None
    q: Text | None = Field(None, description="search in title, phones, e-mails")


# --- activities ----------------------------------------------------------------------------------


class BindingIn(InputSchema):
    entity: EntityName
    id: Id


class BindingOut(Schema):
    entity: EntityName
    id: int


ActivityType = Literal["call", "meeting", "email", "task", "todo"]


class ActivityIn(InputSchema):
    type: ActivityType | None = None
    subject: Text | None = None
    description: Text | None = None
    deadline: DateTime | None = None
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


# --- users and tokens ----------------------------------------------------------------------------


class UserOut(Schema):
    id: int
    username: str
    first_name: str
    last_name: str
    email: str
    role: Literal["admin", "manager"]
    is_active: bool


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


def body(payload: Schema) -> dict[str, Any]:
    """The fields the client sent, with wire names, as the services take them."""
    return payload.model_dump(exclude_unset=True)


def filters_of(params: Paging) -> dict[str, Any]:
    """The filter part of a list query (without paging and order)."""
    return params.model_dump(exclude={"limit", "offset", "order"}, exclude_none=True)
