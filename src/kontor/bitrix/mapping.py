"""How Kontor's values look to Bitrix24 clients, and back.

- ids, amounts and numbers are strings, empty values ``null``, an empty date ``""``;
- dates ISO 8601 with the server's offset; flags ``Y``/``N``;
- Kontor's default pipeline is category ``0``, another pipeline is its primary key; a stage id is its
  code in the default pipeline and ``C<N>:<code>`` in pipeline N;
- semantics ``process``/``success``/``failure`` are ``P``/``S``/``F``.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone

from kontor.bitrix.errors import argument_error
from kontor.crm.enums import Semantic
from kontor.crm.fields import parse_moment
from kontor.crm.models import LeadStatus, Pipeline, Stage

SEMANTIC_CODE: dict[str, str] = {Semantic.PROCESS: "P", Semantic.SUCCESS: "S", Semantic.FAILURE: "F"}
CODE_SEMANTIC = {v: k for k, v in SEMANTIC_CODE.items()}
#: The record kind a prefix of Bitrix24's CRM binding values names ("C_12": contact 12).
LINK_PREFIXES = {"L": "lead", "D": "deal", "C": "contact", "CO": "company"}


def s(value: Any) -> str | None:
    """An id or number as Bitrix24 sends it: a string, or ``null`` for nothing."""
    if value is None:
        return None
    return str(value)


def money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def yn(value: bool) -> str:
    return "Y" if value else "N"


def dt(value: datetime | None) -> str:
    """A datetime as ISO 8601 with offset in server time; ``""`` when empty, as Bitrix24 does."""
    if value is None:
        return ""
    # The server's zone, not a per-request one: get_default_timezone is cached, localtime is not cheap.
    return value.astimezone(timezone.get_default_timezone()).isoformat(timespec="seconds")


_SPACED_OFFSET = re.compile(r"^(\d{4}-\d\d-\d\d[T ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?) (\d\d:?\d\d)$")


def parse_when(value: Any, name: str) -> datetime:
    """An aware datetime from ISO 8601, ``YYYY-MM-DD[ HH:MM:SS]`` or the portal's display format
    ``DD.MM.YYYY[ HH:MM[:SS]]`` (server time) — the one reader the record fields use too."""
    if isinstance(value, str):
        # "…T10:00:00 01:00": a "+" sent unencoded in a query string (bitrix24-rest does) reads as a space.
        value = _SPACED_OFFSET.sub(r"\1+\2", value.strip())
    parsed = parse_moment(value)
    if parsed is None:
        raise argument_error(f"'{name}': '{value}' is not a date and time.", name)
    return parsed


class Catalog:
    """Pipelines, stages and lead statuses, loaded once per call (they are small tables)."""

    def __init__(self) -> None:
        self.pipelines = {p.pk: p for p in Pipeline.objects.order_by("sort", "id")}
        default = next((p for p in self.pipelines.values() if p.is_default), None)
        if default is None and self.pipelines:
            default = next(iter(self.pipelines.values()))
        self.default_pk = default.pk if default else None
        self.stages = {st.pk: st for st in Stage.objects.order_by("pipeline_id", "sort", "id")}
        self.stage_by_key = {(st.pipeline_id, st.code): st for st in self.stages.values()}
        self.statuses = {st.code: st for st in LeadStatus.objects.order_by("sort", "code")}

    # pipelines ↔ categories
    def category_id(self, pipeline_id: int | None) -> int | None:
        if pipeline_id is None:
            return None
        return 0 if pipeline_id == self.default_pk else pipeline_id

    def pipeline_pk(self, category_id: Any) -> int | None:
        """The pipeline of Bitrix24 category ``category_id``; ``None`` when there is none."""
        from kontor.bitrix.params import to_int

        number = to_int(category_id)
        if number is None:
            return None
        if number == 0:
            return self.default_pk
        if number == self.default_pk or number not in self.pipelines:
            return None
        return number

    # stages
    def stage_id(self, stage_pk: int | None) -> str | None:
        stage = self.stages.get(stage_pk) if stage_pk is not None else None
        if stage is None:
            return None
        if stage.pipeline_id == self.default_pk:
            return stage.code
        return f"C{stage.pipeline_id}:{stage.code}"

    def stage_semantic(self, stage_pk: int | None) -> str | None:
        stage = self.stages.get(stage_pk) if stage_pk is not None else None
        return SEMANTIC_CODE.get(stage.semantic) if stage else None

    def resolve_stage(self, value: Any) -> Stage | None:
        """The stage Bitrix24 ``STAGE_ID`` names: ``WON`` in the default pipeline, ``C3:NEW`` in pipeline 3."""
        if not isinstance(value, str | int) or isinstance(value, bool):
            return None
        text = str(value).strip().upper()
        if text.startswith("C") and ":" in text:
            prefix, _, code = text.partition(":")
            number = prefix[1:]
            if not number.isdigit():
                return None
            pk = self.pipeline_pk(number)
            if pk is None or pk == self.default_pk:
                return None
            return self.stage_by_key.get((pk, code))
        return self.stage_by_key.get((self.default_pk, text)) if self.default_pk is not None else None

    def status_semantic(self, code: str | None) -> str | None:
        status = self.statuses.get(code) if code else None
        return SEMANTIC_CODE.get(status.semantic) if status else None
