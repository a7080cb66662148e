"""``kontor tokens list|revoke``: see and revoke API tokens."""

from django.core.management.base import BaseCommand, CommandError

from kontor.accounts.models import ApiToken
from kontor.accounts.services import token_revoke


class Command(BaseCommand):
    help = "List API tokens, or revoke one by its id or prefix."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        lst = sub.add_parser("list")
        lst.add_argument("--user", default=None)
        rev = sub.add_parser("revoke")
        rev.add_argument("token", help="token id or prefix")

    def handle(self, *args, action, **options):
        if action == "list":
            qs = ApiToken.objects.select_related("user")
            if options.get("user"):
                qs = qs.filter(user__username=options["user"])
            for t in qs:
                state = "revoked" if t.revoked_at else "active"
                self.stdout.write(f"{t.pk}\t{t.prefix}…\t{t.user.username}\t{t.name}\t{state}\t{t.created_at:%Y-%m-%d}")
            return
        key = options["token"]
        token = ApiToken.objects.filter(pk=int(key)).first() if key.isdigit() else None
        token = token or ApiToken.objects.filter(prefix=key[:12]).first()
        if token is None:
            raise CommandError(f"no token {key}")
        token_revoke(token=token)
        self.stdout.write(f"revoked {token.prefix}…")
