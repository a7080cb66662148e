"""``kontor create_webhook USERNAME [--admin]``: print a new Bitrix24 webhook path as the last line."""

from django.core.management.base import BaseCommand

from kontor.accounts.models import Role
from kontor.accounts.services import user_get_or_create
from kontor.bitrix.services import webhook_create, webhook_path


class Command(BaseCommand):
    help = "Create a Bitrix24-compatible inbound webhook for USERNAME (creating the user if missing)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--admin", action="store_true", help="give the user the admin role")
        parser.add_argument("--name", default="", help="a label for the webhook")

    def handle(self, *args, username, admin, name, **options):
        user, created = user_get_or_create(username=username, role=Role.ADMIN if admin else None)
        webhook, raw = webhook_create(user=user, name=name)
        if created:
            self.stderr.write(f"Created user {user.username} ({user.role}).")
        self.stderr.write(f"Webhook {webhook.pk} acts as {user.username}. Store the path now; it is not shown again.")
        self.stdout.write(webhook_path(webhook, raw))
