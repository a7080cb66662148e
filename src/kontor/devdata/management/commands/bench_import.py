"""``kontor bench_import --contacts N [--fresh] [--keep FILE]``: the import benchmark.

Writes a German Excel-style CSV (``;``, UTF-8 with BOM) of N contacts — name, last name, phone,
e-mail, city, company name (one of 500), date of birth; every 1,000th row has a bad e-mail — and
imports it with ``kontor.data.importing.records_import`` (duplicates skipped) into the configured
database. Prints ``import: N rows in S s (R rows/s), C created, X rejected, peak RSS M MB`` as its last
line; the peak RSS shows the file is streamed (it stays flat as N grows).
"""

from __future__ import annotations

import csv
import resource
import tempfile
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from kontor.data.importing import records_import
from kontor.devdata.bulk import crm_data_wipe

HEADERS = ["Vorname", "Nachname", "Telefon geschäftlich", "E-Mail", "Ort", "Firma", "Geburtsdatum"]


def write_contacts_csv(path: Path, contacts: int, *, seed: int = 0) -> None:
    """N contacts as a German Excel CSV (every 1,000th e-mail is malformed)."""
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        out = csv.writer(f, delimiter=";")
        out.writerow(HEADERS)
        for i in range(1, contacts + 1):
            n = i + seed
            email = f"import{n}@beispiel.de" if i % 1000 else f"kaputt{n}-at-beispiel"
            out.writerow([f"Vorname{n}", f"Nachname{n}", f"+49 40 {7000000 + n}", email, "Hamburg",
                          f"Importfirma {n % 500}", f"{1 + n % 28:02d}.{1 + n % 12:02d}.{1950 + n % 50}"])


class Command(BaseCommand):
    help = "Time a CSV import of N contacts."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--contacts", type=int, required=True)
        parser.add_argument("--fresh", action="store_true", help="delete all CRM records first")
        parser.add_argument("--keep", help="write the CSV here and keep it")

    def handle(self, *args, contacts: int, fresh: bool, keep: str | None, **options) -> None:
        if contacts < 1:
            raise CommandError("--contacts must be positive")
        self.stdout.write(f"database: {connection.vendor} {connection.settings_dict.get('NAME')}")
        if fresh:
            crm_data_wipe()
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(keep) if keep else Path(tmp) / "contacts.csv"
            write_contacts_csv(path, contacts, seed=int(time.time()) % 1000 * 10_000_000)
            started = time.perf_counter()
            summary = records_import(path=path, kind="contacts", on_duplicate="skip",
                                     rejected_path=Path(tmp) / "rejected.csv")
            seconds = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        self.stdout.write(f"import: {contacts} rows in {seconds:.1f} s ({contacts / seconds:.0f} rows/s), "
                          f"{summary.created} created, {summary.rejected} rejected, peak RSS {peak:.0f} MB")
