"""``kontor backup [FILE]``: a consistent snapshot of the running database (see ``kontor.data.backup``)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from kontor.data.backup import BackupError, database_backup


class Command(BaseCommand):
    help = "Write a consistent backup of the database (SQLite file copy or pg_dump custom format) while it runs."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", nargs="?", help="where to write it (default: var/backups/kontor-<time>.*)")

    def handle(self, *args, file: str | None = None, **options) -> None:
        try:
            result = database_backup(path=Path(file) if file else None)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"backup: {result.path} ({result.vendor}, {result.size} bytes)")
