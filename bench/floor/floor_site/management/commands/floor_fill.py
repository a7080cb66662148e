"""``floor_fill --contacts N``: tops the floor's contacts up to N, the n-th with e-mail
``kunde<n>@beispiel.de`` and phone ``4930<1000000+n>`` (what Kontor's benchmark contacts normalise to)."""

from django.core.management.base import BaseCommand
from django.db import connection, transaction

from floor_site.models import Contact


class Command(BaseCommand):
    def add_arguments(self, parser):
        parser.add_argument("--contacts", type=int, required=True)

    def handle(self, *args, contacts, **options):
        have = Contact.objects.count()
        lo = have + 1
        while lo <= contacts:
            hi = min(contacts, lo + 99_999)
            with transaction.atomic(), connection.cursor() as cur:
                if connection.vendor == "postgresql":
                    cur.execute(
                        "INSERT INTO floor_site_contact (name, email, phone, created_at) "
                        "SELECT 'Kunde ' || n, 'kunde' || n || '@beispiel.de', '4930' || (1000000 + n), now() "
                        "FROM generate_series(%s, %s) AS n", [lo, hi])
                else:
                    cur.execute(
                        "WITH RECURSIVE seq(n) AS (SELECT %s UNION ALL SELECT n + 1 FROM seq WHERE n < %s) "
                        "INSERT INTO floor_site_contact (name, email, phone, created_at) "
                        "SELECT 'Kunde ' || n, 'kunde' || n || '@beispiel.de', '4930' || (1000000 + n), "
                        "datetime('now') FROM seq", [lo, hi])
            lo = hi + 1
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("ANALYZE floor_site_contact")
        self.stdout.write(f"floor contacts: {Contact.objects.count()}")
