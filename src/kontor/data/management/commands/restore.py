"""``kontor restore FILE``: replace the database's contents by a backup made with ``kontor backup``."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from kontor.data.backup import BackupError, database_restore


class Command(BaseCommand):
    help = "Replace the database's contents by a backup from `kontor backup`. Stop the server first."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file")
        parser.add_argument("--noinput", "--no-input", action="store_false", dest="interactive",
                            help="do not ask for confirmation")

    def handle(self, *args, file: str, interactive: bool = True, **options) -> None:
        if interactive:
            answer = input(f"This replaces everything in the database by {file}. Type 'yes' to continue: ")
            if answer.strip().lower() != "yes":
                raise CommandError("restore cancelled")
        try:
            database_restore(path=Path(file))
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"restored: {file}")
