"""``kontor import_bitrix24 https://PORTAL/rest/USER/SECRET/ [--dry-run] [--rate R] [--burst B] [--actor U]``."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from kontor.data.bitrix24 import PortalImport, SourceError, SourcePortal


class Command(BaseCommand):
    help = ("Copy a Bitrix24 portal (through its inbound webhook) into Kontor: users, directories, pipelines, "
            "custom fields, products, companies, contacts, leads, deals, product rows, activities, comments "
            "and the CRM mode. A second run updates what changed.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("webhook_url", help="the source portal's inbound webhook, https://PORTAL/rest/USER/SECRET/")
        parser.add_argument("--dry-run", action="store_true", help="read and check everything, write nothing")
        parser.add_argument("--rate", type=float, default=2.0, help="requests per second (Bitrix24: 2)")
        parser.add_argument("--burst", type=int, default=50, help="requests allowed at once before the rate applies")
        parser.add_argument("--actor", help="the Kontor admin the copies are made by (default: the first admin)")
        parser.add_argument("--cafile", help="CA bundle for a portal with a certificate of its own")

    def handle(self, *args, webhook_url: str, dry_run: bool, rate: float, burst: int, actor: str | None,
               cafile: str | None, **options) -> None:
        if rate <= 0 or burst < 1:
            raise CommandError("--rate must be positive and --burst at least 1")
        User = get_user_model()
        users = User.objects.filter(is_active=True)
        user = users.filter(username=actor).first() if actor else next(
            (u for u in users.order_by("id") if u.is_crm_admin), None)
        if user is None or not user.is_crm_admin:
            raise CommandError(f"--actor: no active admin '{actor}'" if actor else
                               "no active admin to make the copies (create one or name it with --actor)")
        try:
            source = SourcePortal(webhook_url, rate=rate, burst=burst, cafile=cafile)
        except SourceError as exc:
            raise CommandError(str(exc)) from None
        with Progress(SpinnerColumn(), TextColumn("{task.description}"), TextColumn("{task.completed}"),
                      TimeElapsedColumn(), disable=not self.stdout.isatty()) as bar:
            tasks: dict[str, int] = {}

            def progress(kind: str, done: int) -> None:
                if kind not in tasks:
                    tasks[kind] = bar.add_task(kind, total=None)
                bar.update(tasks[kind], completed=done)

            try:
                summary = PortalImport(source, actor=user, dry_run=dry_run, progress=progress).run()
            except SourceError as exc:
                raise CommandError(f"source portal: {exc}") from None
        for line in summary.lines():
            self.stdout.write(line)
        failed = sum(c.failed for c in summary.counts.values())
        self.stdout.write(
            f"import_bitrix24{' (dry run, nothing written)' if dry_run else ''}: "
            f"{sum(c.created for c in summary.counts.values())} created, "
            f"{sum(c.updated for c in summary.counts.values())} updated, "
            f"{sum(c.unchanged for c in summary.counts.values())} unchanged, {failed} not copied; "
            f"{summary.requests} requests; CRM mode {summary.mode or 'unchanged'}")
