"""``kontor bench_convert --leads N --activities-per-lead K [--fresh]``: the conversion benchmark.

Fills the configured database like ``kontor demo --leads N --activities-per-lead K`` (plus
``--custom-fields N`` custom fields on leads and deals, default 3, filled in every lead), then runs the
real classic → simple switch through ``crm_mode_switch`` and the job the worker would run
(``switch_run``, here in this process), and prints as its last line
``convert: <converted> leads in <seconds> s (<rate> leads/s), peak RSS <MB> MB``.
"""

from __future__ import annotations

import resource
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from kontor.crm.enums import CrmMode
from kontor.crm.models import CrmSettings, Pipeline
from kontor.devdata.bulk import (
    bench_custom_fields,
    bench_user,
    crm_data_wipe,
    demo_leads_bulk_create,
    reference_convert,
)
from kontor.modes.jobs import switch_run
from kontor.modes.services import active_switch, crm_mode_switch


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Command(BaseCommand):
    help = "Fill the database with N in-progress leads and time the classic → simple conversion."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--leads", type=int, required=True)
        parser.add_argument("--activities-per-lead", type=int, default=2)
        parser.add_argument("--fresh", action="store_true", help="delete all CRM records first")
        parser.add_argument("--batch-size", type=int, default=None, help="leads per transaction")
        parser.add_argument("--custom-fields", type=int, default=3,
                            help="custom fields defined on leads (and the same codes on deals) and filled in every"
                                 " generated lead; the conversion carries them")
        parser.add_argument("--fill-only", action="store_true", help="only create the leads")
        parser.add_argument("--reference", nargs="?", const="full", choices=["full", "minimal"], default=None,
                            help="instead of the switch, time the same writes as plain set-based SQL in one"
                                 " transaction (the yardstick; prints a 'reference:' line); 'minimal' times only"
                                 " the contacts, deals, activity owners and leads")

    def handle(self, *args, leads: int, activities_per_lead: int, fresh: bool, batch_size: int | None,
               fill_only: bool, reference: str | None, custom_fields: int, **options) -> None:
        if leads < 0 or activities_per_lead < 0 or custom_fields < 0:
            raise CommandError("--leads, --activities-per-lead and --custom-fields must not be negative")
        db = connection.settings_dict
        self.stdout.write(f"database: {connection.vendor} {db.get('NAME')}")
        if fresh:
            crm_data_wipe()
        if active_switch() is not None:
            raise CommandError("a CRM-mode switch is running on this database (use --fresh)")
        keys = bench_custom_fields(custom_fields, actor=bench_user())
        started = time.perf_counter()
        made = demo_leads_bulk_create(leads=leads, activities_per_lead=activities_per_lead, custom_fields=keys)
        fill = time.perf_counter() - started
        self.stdout.write(f"fill: {made['leads']} leads, {made['activities']} activities in {fill:.1f} s")
        if fill_only:
            return
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("ANALYZE")
        CrmSettings.objects.filter(pk=1).update(mode=CrmMode.CLASSIC)
        actor = bench_user()
        if reference:
            pipeline = Pipeline.objects.get(is_default=True)
            stage = pipeline.stages.order_by("sort", "id").first()
            started = time.perf_counter()
            converted = reference_convert(pipeline_id=pipeline.pk, stage_id=stage.pk, actor_id=actor.pk,
                                          minimal=reference == "minimal")
            seconds = time.perf_counter() - started
            label = "reference" if reference == "full" else "reference (minimal)"
            self.stdout.write(f"{label}: {converted} leads in {seconds:.1f} s ({converted / seconds:.0f} leads/s), "
                              f"peak RSS {peak_rss_mb():.0f} MB")
            return
        started = time.perf_counter()
        switch = crm_mode_switch(actor=actor, mode=CrmMode.SIMPLE, new_pipeline_name=f"Benchmark {time.strftime('%X')}",
                                 create_contacts=True, create_companies=True, keep_open_activities=True)
        last = [started]

        def progress(sw) -> None:
            now = time.perf_counter()
            if now - last[0] >= 5:
                last[0] = now
                self.stdout.write(f"  {sw.converted}/{sw.total} after {now - started:.1f} s")

        if switch.active:
            switch = switch_run(switch.pk, batch_size=batch_size, progress=progress)
        seconds = time.perf_counter() - started
        if switch.status != "done":
            raise CommandError(f"switch ended {switch.status}: {switch.errors[:3]}")
        rate = switch.converted / seconds if seconds else 0.0
        if switch.failed:
            self.stdout.write(f"failed: {switch.failed}")
        self.stdout.write(f"convert: {switch.converted} leads in {seconds:.1f} s ({rate:.0f} leads/s), "
                          f"peak RSS {peak_rss_mb():.0f} MB")
