"""Exporting a record list (its filters, order and columns) to CSV or XLSX, streamed.

Records are read in id-ordered chunks and rendered by ``kontor.api.serializers.records_out`` (one
query per chunk for phones/e-mails and links), so memory stays flat for any number of rows. CSV is
UTF-8 with a byte-order mark (Excel then reads umlauts right) and ``;`` as delimiter in German (the
list separator German Excel expects), ``,`` otherwise. XLSX is written by openpyxl's write-only
workbook into a temporary file that is then streamed.

Headers are the fields' labels in the current language, which ``kontor.data.importing`` maps back
to the same fields: an exported file imports again as the same records.
"""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import get_language

from kontor.accounts.models import Action
from kontor.api.serializers import records_out
from kontor.core.errors import ErrorCode, KontorError, validation
from kontor.crm import access, selectors
from kontor.crm.enums import COMM_VALUE_TYPES, EntityType
from kontor.crm.fields import FieldSpec, Kind, specs_for
from kontor.crm.models import RECORD_MODELS
from kontor.data.importing import KINDS

FORMATS = ("csv", "xlsx")
CHUNK = 2000
LISTS = {EntityType.LEAD: selectors.lead_list, EntityType.DEAL: selectors.deal_list,
         EntityType.CONTACT: selectors.contact_list, EntityType.COMPANY: selectors.company_list}


def export_columns(entity: EntityType, names: Sequence[str] | None = None) -> list[FieldSpec]:
    """The specs of the columns to export: ``names`` in that order (unknown ones are a 422 naming them),
    or every field of the kind, custom ones included."""
    specs = specs_for(entity)
    if not names:
        return list(specs)
    by_name = {s.name: s for s in specs}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        raise validation(f"unknown column(s): {', '.join(unknown)}", "columns")
    return [by_name[n] for n in names]


def export_queryset(entity: EntityType, filters: Mapping[str, Any], order: str | None = None) -> QuerySet:
    """The list's records, as the list selectors filter them (their errors name the parameter)."""
    return LISTS[entity](filters=dict(filters), order=order)


def _text(spec: FieldSpec, value: Any) -> Any:
    if value is None:
        return ""
    if spec.kind == Kind.MULTI:
        # A type other than the field's default travels in brackets, which the import reads back.
        default = "WORK" if "WORK" in COMM_VALUE_TYPES.get(spec.comm_type or "", ()) else "OTHER"
        return ", ".join(str(item["value"]) if item.get("type") in (None, default)
                         else f"{item['value']} ({item['type']})" for item in value)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, bool):
        return "Y" if value else "N"
    return value


def export_rows(entity: EntityType, qs: QuerySet, columns: Sequence[FieldSpec]) -> Iterator[list[Any]]:
    """The header row (labels in the current language), then one row per record, read in chunks."""
    yield [spec.label for spec in columns]
    ordered = qs.query.order_by or ()
    if ordered and tuple(ordered) not in (("id",), ("-id",)):
        # A custom order: walk it with offsets (stable, because every order ends with the id).
        offset = 0
        while True:
            chunk = list(qs[offset:offset + CHUNK])
            if not chunk:
                return
            yield from _render(entity, chunk, columns)
            offset += CHUNK
    descending = tuple(ordered) == ("-id",)
    last: int | None = None
    while True:
        page = qs.order_by("-id" if descending else "id")
        if last is not None:
            page = page.filter(id__lt=last) if descending else page.filter(id__gt=last)
        chunk = list(page[:CHUNK])
        if not chunk:
            return
        yield from _render(entity, chunk, columns)
        last = chunk[-1].pk


def _render(entity: EntityType, chunk: list[Any], columns: Sequence[FieldSpec]) -> Iterable[list[Any]]:
    for record in records_out(entity, chunk, columns):
        yield [_text(spec, record.get(spec.name)) for spec in columns]


def csv_delimiter() -> str:
    return ";" if (get_language() or "").startswith("de") else ","


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_stream(rows: Iterable[list[Any]], delimiter: str | None = None) -> Iterator[str]:
    """Rows as CSV text pieces: a byte-order mark first, then one line at a time."""
    writer = csv.writer(_Echo(), delimiter=delimiter or csv_delimiter())
    yield "\ufeff"
    for row in rows:
        yield writer.writerow(row)


def xlsx_file(rows: Iterable[list[Any]]) -> Path:
    """Rows written to a temporary XLSX file (openpyxl write-only: rows go to disk as they come)."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Export")
    for row in rows:
        sheet.append(row)
    fd, name = tempfile.mkstemp(prefix="kontor-export-", suffix=".xlsx")
    os.close(fd)
    book.save(name)
    return Path(name)


def records_export(*, kind: str, filters: Mapping[str, Any] | None = None, order: str | None = None,
                   columns: Sequence[str] | None = None, format: str = "csv",
                   user: Any = None) -> tuple[EntityType, Iterator[list[Any]]]:
    """Check an export's parameters and return its rows (lazily). Bad parameters are 422s naming them.
    ``user``'s role decides which records (``kontor.crm.access``, action export; a 403 when none);
    ``None`` is the command line, which exports everything."""
    if kind not in KINDS:
        raise validation(f"kind must be one of {', '.join(KINDS)}", "kind")
    if format not in FORMATS:
        raise validation(f"format must be one of {', '.join(FORMATS)}", "format")
    entity = KINDS[kind]
    specs = export_columns(entity, columns)
    record_kind = access.kind_of(RECORD_MODELS[entity])
    if not access.may(user, record_kind, Action.EXPORT):
        raise KontorError(ErrorCode.PERMISSION_DENIED, f"your role does not allow you to export {kind}")
    qs = access.scope(export_queryset(entity, filters or {}, order), user, Action.EXPORT)
    return entity, export_rows(entity, qs, specs)


def export_write(*, kind: str, path: Path, format: str = "csv", filters: Mapping[str, Any] | None = None,
                 order: str | None = None, columns: Sequence[str] | None = None) -> int:
    """An export into ``path``; returns the number of records."""
    _, rows = records_export(kind=kind, filters=filters, order=order, columns=columns, format=format)
    count = -1
    if format == "xlsx":
        def counted() -> Iterator[list[Any]]:
            nonlocal count
            for row in rows:
                count += 1
                yield row
        xlsx_file(counted()).replace(path)
        return count
    with open(path, "w", encoding="utf-8", newline="") as out:
        for piece in csv_stream(rows):
            out.write(piece)
            count += 1
    return count - 1  # the BOM and the header
