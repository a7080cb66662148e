"""``kontor create_token USERNAME [--admin]``: print a new API token as the last line."""

from django.core.management.base import BaseCommand

from kontor.accounts.models import Role
from kontor.accounts.services import token_create, user_get_or_create


class Command(BaseCommand):
    help = "Create an API token for USERNAME (creating the user if missing); prints the token last."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--admin", action="store_true", help="give the user the admin role")
        parser.add_argument("--name", default="", help="a label for the token")

    def handle(self, *args, username, admin, name, **options):
        user, created = user_get_or_create(username=username, role=Role.ADMIN if admin else None)
        _, raw = token_create(user=user, name=name)
        if created:
            self.stderr.write(f"Created user {user.username} ({user.role}).")
        self.stderr.write("Store this token now; it is not shown again.")
        self.stdout.write(raw)
