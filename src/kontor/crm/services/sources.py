"""Sources (Bitrix24 directory SOURCE): where inquiries come from. Settings: admins change them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction

from kontor.core.errors import ErrorCode, KontorError
from kontor.crm.models import AuditLog, Contact, Deal, Lead, Source
from kontor.crm.services.common import apply_changes, clean_text, unknown_fields
from kontor.crm.services.pipelines import _clean_code, _clean_int, clean_name_sort


def source_create(*, actor=None, data: Mapping[str, Any]) -> Source:
    """Add a source with a unique code (``WEB``, ``FAIR_2026`` …)."""
    with transaction.atomic():
        unknown_fields(data, ("code", "name", "sort"))
        code = _clean_code(data.get("code"))
        if Source.objects.filter(code=code).exists():
            raise KontorError(ErrorCode.CONFLICT, f"source '{code}' exists", field="code")
        source = Source.objects.create(code=code, name=clean_text(data.get("name"), "name", required=True),
                                       sort=_clean_int(data.get("sort", 100), "sort"))
        AuditLog.objects.create(action="source_created", actor=actor, data={"code": code})
        return source


def source_update(*, source: Source, actor=None, data: Mapping[str, Any]) -> Source:
    """Rename or re-sort a source; its code stays."""
    with transaction.atomic():
        values = clean_name_sort(data)
        changes = apply_changes(source, values)
        if changes:
            source.save()
            AuditLog.objects.create(action="source_updated", actor=actor,
                                    data={"code": source.code, "changes": changes})
        return source


def source_delete(*, source: Source, actor=None) -> None:
    """Delete a source no lead, deal or contact names."""
    with transaction.atomic():
        for model in (Lead, Deal, Contact):
            if model.objects.filter(source=source).exists():
                raise KontorError(ErrorCode.IN_USE, f"source {source.code} is still in use")
        AuditLog.objects.create(action="source_deleted", actor=actor, data={"code": source.code})
        source.delete()
