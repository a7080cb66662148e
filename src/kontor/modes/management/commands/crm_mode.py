"""``kontor crm_mode [simple|classic] [options]``: show or switch the CRM mode from the shell.

Runs the same ``crm_mode_switch`` as the API and the wizard, then follows the conversion job with a
progress bar until it ends. The job is the background worker's; when no worker claims it within a
few seconds (none running, or its runner died), this command runs it itself — the lease in
``ModeSwitch`` makes sure only one process converts at a time, so it is safe either way.
"""

from __future__ import annotations

import argparse
import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from kontor.core.errors import KontorError
from kontor.modes.jobs import switch_run
from kontor.modes.models import ModeSwitch
from kontor.modes.selectors import crm_mode_state
from kontor.modes.services import crm_mode_switch

WORKER_GRACE_SECONDS = 3.0


class Command(BaseCommand):
    help = "Show the CRM mode, or switch it (classic → simple converts the leads in progress)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("mode", nargs="?", choices=["simple", "classic"])
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--new-pipeline", metavar="NAME", help="convert into a new pipeline with this name")
        group.add_argument("--pipeline", type=int, metavar="ID", help="convert into this existing pipeline")
        parser.add_argument("--contacts", action=argparse.BooleanOptionalAction, default=True,
                            help="create (or match) a contact per lead (default: yes)")
        parser.add_argument("--companies", action=argparse.BooleanOptionalAction, default=True,
                            help="create (or match) a company for leads with a company title (default: yes)")
        parser.add_argument("--keep-activities", action=argparse.BooleanOptionalAction, default=True,
                            help="keep the leads' open activities open (default: yes)")
        parser.add_argument("--actor", metavar="USERNAME", help="user recorded in the audit log")
        parser.add_argument("--no-wait", action="store_true", help="leave the conversion to the worker")

    def handle(self, *args, mode=None, new_pipeline=None, pipeline=None, contacts=True, companies=True,
               keep_activities=True, actor=None, no_wait=False, **options) -> None:
        if mode is None:
            state = crm_mode_state()
            self.stdout.write(f"mode: {state['mode']}")
            self.stdout.write(f"simple mode: {state['simple_mode']}")
            if state["active_switch"]:
                self.stdout.write(f"active switch: {state['active_switch']}")
            return
        user = None
        if actor:
            user = get_user_model().objects.filter(username=actor).first()
            if user is None:
                raise CommandError(f"no user {actor!r}")
        try:
            switch = crm_mode_switch(actor=user, mode=mode, pipeline_id=pipeline, new_pipeline_name=new_pipeline,
                                     create_contacts=contacts, create_companies=companies,
                                     keep_open_activities=keep_activities)
        except KontorError as exc:
            raise CommandError(exc.message) from None
        if switch.active and not no_wait:
            switch = self._follow(switch)
        self.stdout.write(f"switch {switch.pk}: {switch.status}, {switch.converted} of {switch.total} leads "
                          f"converted, {switch.failed} failed")
        for error in (switch.errors or [])[:20]:
            self.stdout.write(f"  lead {error.get('lead_id')}: {error.get('error')}")
        self.stdout.write(f"mode: {mode}")
        if switch.status == "failed":
            raise CommandError("the switch failed")

    def _follow(self, switch: ModeSwitch) -> ModeSwitch:
        with Progress(TextColumn("converting leads"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=None, transient=False) as bar:
            task = bar.add_task("convert", total=switch.total or 1)

            def show(sw: ModeSwitch) -> None:
                bar.update(task, total=sw.total or 1, completed=sw.converted + sw.failed)

            waited_since = time.monotonic()
            while True:
                switch.refresh_from_db()
                show(switch)
                if not switch.active:
                    return switch
                lease_alive = switch.lease_until is not None and switch.lease_until > timezone.now()
                if not lease_alive and time.monotonic() - waited_since > WORKER_GRACE_SECONDS:
                    # Nobody is working on it: run the job here (resumes after the last batch).
                    result = switch_run(switch.pk, progress=show)
                    if result is not None:
                        switch = result
                    waited_since = time.monotonic()
                    continue
                if lease_alive:
                    waited_since = time.monotonic()
                time.sleep(0.5)
