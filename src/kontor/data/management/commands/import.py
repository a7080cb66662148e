"""``kontor import FILE --kind contacts|companies|leads|deals [--mapping JSON] [--on-duplicate …] [--dry-run]``."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from kontor.core.errors import KontorError
from kontor.data.importing import KINDS, ON_DUPLICATE, Summary, records_import


class Command(BaseCommand):
    help = "Import contacts, companies, leads or deals from a CSV or XLSX file."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file")
        parser.add_argument("--kind", required=True, choices=list(KINDS))
        parser.add_argument("--mapping", help='JSON {"column header": "field name" or null}, or @file.json; '
                            "columns not named keep their default field")
        parser.add_argument("--on-duplicate", choices=ON_DUPLICATE, default="skip")
        parser.add_argument("--dry-run", action="store_true", help="check every row, write nothing")
        parser.add_argument("--rejected", help="where to write the rejected rows (default: FILE.rejected.csv)")
        parser.add_argument("--actor", help="username the records are created by (default: none)")

    def handle(self, *args, file: str, kind: str, mapping: str | None, on_duplicate: str, dry_run: bool,
               rejected: str | None, actor: str | None, **options) -> None:
        given = None
        if mapping:
            try:
                text = Path(mapping[1:]).read_text() if mapping.startswith("@") else mapping
                given = json.loads(text)
            except (OSError, ValueError) as exc:
                raise CommandError(f"--mapping: {exc}") from None
            if not isinstance(given, dict):
                raise CommandError("--mapping must be a JSON object")
        user = None
        if actor:
            from django.contrib.auth import get_user_model

            user = get_user_model().objects.filter(username=actor).first()
            if user is None:
                raise CommandError(f"--actor: no user '{actor}'")
        rejected_path = Path(rejected) if rejected else Path(f"{file}.rejected.csv")
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      disable=not self.stdout.isatty()) as bar:
            task = bar.add_task(f"import {kind}", total=None)

            def progress(summary: Summary) -> None:
                bar.update(task, completed=summary.processed, total=summary.total or None)

            try:
                summary = records_import(path=file, kind=kind, mapping=given, on_duplicate=on_duplicate,
                                         dry_run=dry_run, actor=user, rejected_path=rejected_path,
                                         progress=progress, count=True)
            except KontorError as exc:
                raise CommandError(exc.message) from None
        if not summary.rejected:
            rejected_path.unlink(missing_ok=True)
        self.stdout.write(
            f"import{' (dry run)' if dry_run else ''}: {summary.created} created, {summary.updated} updated, "
            f"{summary.skipped} skipped, {summary.rejected} rejected of {summary.total} rows"
            + (f"; rejected rows: {rejected_path}" if summary.rejected else ""))
