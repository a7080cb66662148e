"""``kontor export --kind … [--format csv|xlsx] [-o FILE] [--filter NAME=VALUE …] [--order F] [--columns A,B]``."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from kontor.core.errors import KontorError
from kontor.data.exporting import FORMATS, csv_stream, records_export
from kontor.data.importing import KINDS


class Command(BaseCommand):
    help = "Export leads, deals, contacts or companies (with the list's filters) to CSV or XLSX."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--kind", required=True, choices=list(KINDS))
        parser.add_argument("--format", choices=FORMATS, default=None, help="default: from -o's suffix, else csv")
        parser.add_argument("-o", "--output", help="file to write (default: standard output; xlsx needs a file)")
        parser.add_argument("--filter", action="append", default=[], metavar="NAME=VALUE",
                            help="a list filter as the API takes it (stage_id=3, assigned_id=2, q=Müller, …); "
                            "repeatable")
        parser.add_argument("--order", help="e.g. -created_at")
        parser.add_argument("--columns", help="comma-separated field names (default: every field)")

    def handle(self, *args, kind: str, format: str | None, output: str | None, filter: list[str],
               order: str | None, columns: str | None, **options) -> None:
        fmt = format or ("xlsx" if output and output.lower().endswith(".xlsx") else "csv")
        if fmt == "xlsx" and not output:
            raise CommandError("xlsx needs -o FILE")
        filters: dict[str, list[str]] = {}
        for item in filter:
            name, sep, value = item.partition("=")
            if not sep:
                raise CommandError(f"--filter {item}: write NAME=VALUE")
            filters.setdefault(name, []).append(value)
        given = {k: v[0] if len(v) == 1 else v for k, v in filters.items()}
        try:
            _, rows = records_export(kind=kind, filters=given, order=order, format=fmt,
                                     columns=[c.strip() for c in columns.split(",") if c.strip()] if columns else None)
            if fmt == "xlsx":
                from kontor.data.exporting import xlsx_file

                count = -1

                def counted():
                    nonlocal count
                    for row in rows:
                        count += 1
                        yield row

                xlsx_file(counted()).replace(Path(output or ""))
            else:
                with contextlib.ExitStack() as stack:
                    out = stack.enter_context(open(output, "w", encoding="utf-8", newline="")) if output \
                        else sys.stdout
                    count = -2
                    for piece in csv_stream(rows):
                        out.write(piece if output else piece.lstrip("\ufeff"))
                        count += 1
        except KontorError as exc:
            raise CommandError(exc.message) from None
        if output:
            self.stderr.write(f"export: {count} {kind} to {output}")
