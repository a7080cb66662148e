"""``kontor demo``: sample data in German and English, so a newcomer sees a living CRM.

Without options it fills an empty CRM (and refuses when records exist, unless ``--reset`` deletes
them first). ``--leads N --activities-per-lead K`` instead bulk-creates N in-progress leads through
``kontor.devdata.bulk`` (the benchmark's data) and leaves the CRM in classic mode.
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from kontor.devdata.demo import DemoData, crm_has_records, crm_records_delete


class Command(BaseCommand):
    help = (
        "Fill the CRM with realistic sample data (German and English names, companies, phones, deals in every "
        "stage of two pipelines, leads in every status, activities) and switch it to classic mode. Refuses when "
        "the CRM already has records, unless --reset. With --leads N, bulk-creates N in-progress leads instead."
    )

    def add_arguments(self, parser):
        parser.add_argument("--reset", action="store_true",
                            help="delete all leads, deals, contacts, companies and activities (and every pipeline "
                                 "but the default one) first; users and settings stay")
        parser.add_argument("--seed", type=int, default=2026, help="random seed: the same seed, the same data")
        parser.add_argument("--leads", type=int, default=None, metavar="N",
                            help="bulk mode: add N in-progress leads (about 10%% junk, half with a company "
                                 "title) to what is there, for the mode-switch benchmark; with --reset, to an "
                                 "emptied CRM")
        parser.add_argument("--activities-per-lead", type=int, default=2, metavar="K",
                            help="bulk mode: activities per lead, one of them open (default 2)")

    def handle(self, *args, reset, seed, leads, activities_per_lead, **options):
        started = time.monotonic()
        if leads is not None:
            self._bulk(leads, activities_per_lead, reset)
        else:
            if crm_has_records() and not reset:
                raise CommandError("the CRM already has records; run `kontor demo --reset` to replace them "
                                   "with the sample data (this deletes all leads, deals, contacts, companies and "
                                   "activities)")
            if reset:
                crm_records_delete()
            summary = DemoData(seed=seed).create()
            self.stdout.write(f"Created {summary}.")
            self.stdout.write("CRM mode: classic (switch to simple mode to see the open leads become deals).")
        self.stdout.write(f"Done in {time.monotonic() - started:.1f} s.")

    def _bulk(self, leads: int, activities_per_lead: int, reset: bool) -> None:
        if leads < 0 or activities_per_lead < 0:
            raise CommandError("--leads and --activities-per-lead must not be negative")
        try:
            from kontor.devdata.bulk import demo_leads_bulk_create
        except ImportError as exc:
            raise CommandError(f"bulk demo data is not available: {exc}") from None
        if reset:
            crm_records_delete()
        result = demo_leads_bulk_create(leads=leads, activities_per_lead=activities_per_lead)
        detail = ", ".join(f"{value} {name}" for name, value in result.items()) if isinstance(result, dict) else ""
        self.stdout.write(f"Created {leads} leads with {activities_per_lead} activities each"
                          + (f" ({detail})." if detail else "."))
        self.stdout.write("CRM mode: classic.")
