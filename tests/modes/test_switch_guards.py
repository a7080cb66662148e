"""The guards of the conversion job: the flip's stragglers, one count per failed lead, one runner at a
time, counts committed with their batch, and the task queued when a switch starts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from kontor.crm.enums import CrmMode
from kontor.crm.models import Deal, Lead
from kontor.modes import jobs
from kontor.modes.jobs import switch_run
from kontor.modes.models import ModeSwitch

from .conftest import make_lead, set_mode

SWITCH = "/api/v1/crm-mode/switch"
IN_PROGRESS = ["NEW", "IN_PROCESS", "PROCESSED"]


def _leads(api, n):
    return [make_lead(api, title=f"L{i}", name=f"Kunde{i}", emails=[f"k{i}@x.de"]) for i in range(n)]


def _start(api) -> dict:
    r = api.post(SWITCH, {"mode": "simple"})
    assert r.status_code == 202, r.content
    return r.json()


def test_leads_created_during_the_flip_are_converted_too(admin_api, classic):
    _leads(admin_api, 3)
    sw = _start(admin_api)
    # A request that read the mode before the flip commits its lead after it: a classic lead above
    # the switch's max_lead_id.
    set_mode(CrmMode.CLASSIC)
    late = make_lead(admin_api, title="Late", name="Spät", emails=["spaet@x.de"])
    set_mode(CrmMode.SIMPLE)
    assert late["id"] > ModeSwitch.objects.get(pk=sw["id"]).max_lead_id
    final = switch_run(sw["id"], batch_size=2)
    assert (final.status, final.converted, final.total, final.failed) == ("done", 4, 4, 0)
    lead = Lead.objects.get(pk=late["id"])
    assert lead.status_id == "CONVERTED" and Deal.objects.get(pk=lead.deal_id).title == "Late"
    assert not Lead.objects.filter(status_id__in=IN_PROGRESS).exists()


def test_a_lead_failing_again_after_a_crash_is_counted_once(admin_api, classic, monkeypatch):
    leads = _leads(admin_api, 4)
    bad = leads[0]["id"]
    original = jobs.LeadBulkConverter.convert_range

    def failing(self, lo, hi):
        if lo < bad <= hi:
            raise RuntimeError(f"cannot convert lead {bad}")
        return original(self, lo, hi)

    monkeypatch.setattr(jobs.LeadBulkConverter, "convert_range", failing)
    sw = _start(admin_api)
    half = switch_run(sw["id"], batch_size=2, max_batches=1)
    assert (half.converted, half.failed) == (1, 1)
    # The worker died after the batch committed but before the cursor moved on: the range runs again.
    ModeSwitch.objects.filter(pk=sw["id"]).update(cursor=0)
    final = switch_run(sw["id"], batch_size=2)
    assert (final.status, final.converted, final.failed, final.total) == ("done", 3, 1, 4)
    assert [e["lead_id"] for e in final.errors] == [bad]
    assert Lead.objects.filter(status_id="CONVERTED").count() == 3


def test_no_claim_while_another_runners_lease_lives(admin_api, classic):
    _leads(admin_api, 1)
    sw = _start(admin_api)
    state, switch = jobs._claim(sw["id"], "worker-a")
    assert state == "claimed" and switch.runner == "worker-a"
    state, switch = jobs._claim(sw["id"], "worker-b")
    assert state == "busy" and ModeSwitch.objects.get(pk=sw["id"]).runner == "worker-a"
    assert jobs._claim(sw["id"], "worker-a")[0] == "claimed"  # a runner renews its own lease
    ModeSwitch.objects.filter(pk=sw["id"]).update(lease_until=timezone.now() - timedelta(seconds=1))
    state, switch = jobs._claim(sw["id"], "worker-b")
    assert state == "claimed" and ModeSwitch.objects.get(pk=sw["id"]).runner == "worker-b"


def test_a_batch_whose_lease_is_lost_converts_nothing(admin_api, classic):
    _leads(admin_api, 6)
    sw = _start(admin_api)

    def steal(switch):
        # Another worker took the switch over (this runner's lease ran out while it worked).
        ModeSwitch.objects.filter(pk=switch.pk).update(runner="thief", lease_until=timezone.now() + timedelta(hours=1))

    stopped = switch_run(sw["id"], batch_size=2, progress=steal)
    assert stopped.runner == "thief" and stopped.converted == 2
    # The batch after the theft rolled back with its counts: rows and counts agree.
    assert Lead.objects.filter(status_id="CONVERTED").count() == 2
    assert Deal.objects.filter(lead__isnull=False).count() == 2
    ModeSwitch.objects.filter(pk=sw["id"]).update(lease_until=timezone.now() - timedelta(seconds=1))
    final = switch_run(sw["id"], batch_size=2)
    assert (final.status, final.converted, final.total) == ("done", 6, 6)
    assert Deal.objects.filter(lead__isnull=False).count() == 6


@pytest.mark.django_db(transaction=True)  # the worker closes its connection: no test transaction around it
def test_starting_a_switch_queues_its_task_for_the_worker(admin_api, classic):
    _leads(admin_api, 3)
    sw = _start(admin_api)  # its transaction commits; the task is queued on commit
    queued = DBTaskResult.objects.filter(task_path="kontor.modes.tasks.switch_task", status="READY")
    assert [t.args_kwargs["args"] for t in queued] == [[sw["id"]]]
    # The worker (in this process, one pass over the queue) runs it; no watchdog re-queue is needed.
    call_command("db_worker", "--batch", "--no-startup-delay", "--queue-name", "default")
    switch = ModeSwitch.objects.get(pk=sw["id"])
    assert (switch.status, switch.converted, switch.total) == ("done", 3, 3)
    assert not Lead.objects.filter(status_id__in=IN_PROGRESS).exists()
