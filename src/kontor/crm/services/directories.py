"""Simple directories (Bitrix24 ``HONORIFIC``, ``CONTACT_TYPE``, ``COMPANY_TYPE``, ``DEAL_TYPE``,
``INDUSTRY``, ``EMPLOYEES``): settings, changed by admins. Lead statuses, sources and stages have
services of their own."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction

from kontor.core.errors import ErrorCode, KontorError, validation
from kontor.crm.enums import DEFAULT_DIRECTORIES
from kontor.crm.fields import STANDARD
from kontor.crm.models import RECORD_MODELS, AuditLog, DirectoryItem
from kontor.crm.services.common import apply_changes, clean_text, unknown_fields
from kontor.crm.services.pipelines import _clean_code, _clean_int, clean_name_sort

#: The directories these services manage.
DIRECTORIES = tuple(DEFAULT_DIRECTORIES)


def _directory(value: Any) -> str:
    directory = str(value or "").strip().upper()
    if directory not in DIRECTORIES:
        raise validation(f"directory must be one of {', '.join(DIRECTORIES)}", "directory")
    return directory


def directory_item_create(*, actor=None, directory: Any, data: Mapping[str, Any]) -> DirectoryItem:
    """Add an entry with a code new in its directory."""
    with transaction.atomic():
        directory = _directory(directory)
        unknown_fields(data, ("code", "name", "sort"))
        code = _clean_code(data.get("code"))
        if DirectoryItem.objects.filter(directory=directory, code=code).exists():
            raise KontorError(ErrorCode.CONFLICT, f"{directory} entry '{code}' exists", field="code")
        item = DirectoryItem.objects.create(directory=directory, code=code,
                                            name=clean_text(data.get("name"), "name", required=True),
                                            sort=_clean_int(data.get("sort", 100), "sort"))
        AuditLog.objects.create(action="directory_item_created", actor=actor,
                                data={"directory": directory, "code": code})
        return item


def directory_item_update(*, item: DirectoryItem, actor=None, data: Mapping[str, Any]) -> DirectoryItem:
    """Rename or re-sort an entry; its code stays (records store it)."""
    with transaction.atomic():
        values = clean_name_sort(data)
        changes = apply_changes(item, values)
        if changes:
            item.save()
            AuditLog.objects.create(action="directory_item_updated", actor=actor,
                                    data={"directory": item.directory, "code": item.code, "changes": changes})
        return item


def directory_item_delete(*, item: DirectoryItem, actor=None) -> None:
    """Delete an entry no record uses (the fields naming the directory come from the record specs)."""
    with transaction.atomic():
        for entity, specs in STANDARD.items():
            for spec in specs:
                if spec.directory == item.directory and RECORD_MODELS[entity]._default_manager.filter(
                        **{spec.column: item.code}).exists():
                    raise KontorError(ErrorCode.IN_USE, f"{item.directory} entry {item.code} is still in use")
        AuditLog.objects.create(action="directory_item_deleted", actor=actor,
                                data={"directory": item.directory, "code": item.code})
        item.delete()
