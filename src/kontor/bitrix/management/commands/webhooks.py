"""``kontor webhooks list|revoke``: see and revoke Bitrix24-compatible inbound webhooks."""

from django.core.management.base import BaseCommand, CommandError

from kontor.bitrix.models import Webhook
from kontor.bitrix.services import webhook_revoke


class Command(BaseCommand):
    help = "List Bitrix24 webhooks, or revoke one by its id."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        lst = sub.add_parser("list")
        lst.add_argument("--user", default=None)
        rev = sub.add_parser("revoke")
        rev.add_argument("id", help="webhook id (see `kontor webhooks list`)")

    def handle(self, *args, action, **options):
        if action == "list":
            qs = Webhook.objects.select_related("user")
            if options.get("user"):
                qs = qs.filter(user__username=options["user"])
            self.stdout.write("id\tuser\tpath\tname\tstate\tcreated\tlast used")
            for w in qs:
                state = "revoked" if w.revoked_at else "active"
                used = f"{w.last_used_at:%Y-%m-%d %H:%M}" if w.last_used_at else "-"
                self.stdout.write(
                    f"{w.pk}\t{w.user.username}\t/rest/{w.user_id}/{w.prefix}…/\t{w.name}\t{state}"
                    f"\t{w.created_at:%Y-%m-%d}\t{used}"
                )
            return
        key = options["id"]
        webhook = Webhook.objects.filter(pk=int(key)).first() if key.isdigit() else None
        if webhook is None:
            raise CommandError(f"no webhook {key}")
        webhook_revoke(webhook=webhook)
        self.stdout.write(f"revoked webhook {webhook.pk} ({webhook.prefix}…)")
