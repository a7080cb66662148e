"""Conversion-job behaviour the mutation run found untested: the watchdog's re-queue of switches whose
runner died, and the customer keys a batch holds while batches run side by side."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from kontor.crm.enums import CrmMode, Semantic
from kontor.crm.models import Lead, LeadStatus, Pipeline
from kontor.modes import jobs
from kontor.modes.jobs import requeue_stale_switches
from kontor.modes.models import ModeSwitch, SwitchKey, SwitchStatus

from .conftest import make_lead, start_switch

TASK = "kontor.modes.tasks.switch_task"


def _switch(status: str, *, lease: timedelta | None, age: timedelta = timedelta(hours=1),
            runner: str = "dead-worker") -> ModeSwitch:
    now = timezone.now()
    # is_active stays NULL: the one-active-switch constraint would allow only one of these rows.
    return ModeSwitch.objects.create(status=status, from_mode=CrmMode.CLASSIC, to_mode=CrmMode.SIMPLE, total=1,
                                     runner=runner, lease_until=now + lease if lease is not None else None,
                                     created_at=now - age, is_active=None)


def _queued_tasks() -> list[int]:
    return sorted(t.args_kwargs["args"][0] for t in DBTaskResult.objects.filter(task_path=TASK, status="READY"))


def test_requeue_hands_back_only_switches_whose_runner_died(db, django_capture_on_commit_callbacks):
    expired = _switch(SwitchStatus.RUNNING, lease=-timedelta(seconds=1))
    no_lease = _switch(SwitchStatus.RUNNING, lease=None)
    old_queued = _switch(SwitchStatus.QUEUED, lease=None, runner="")
    alive = _switch(SwitchStatus.RUNNING, lease=timedelta(seconds=30))
    fresh_queued = _switch(SwitchStatus.QUEUED, lease=None, age=timedelta(seconds=1), runner="")
    done = _switch(SwitchStatus.DONE, lease=-timedelta(seconds=1))
    failed = _switch(SwitchStatus.FAILED, lease=None)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        ids = requeue_stale_switches()

    stale = sorted([expired.pk, no_lease.pk, old_queued.pk])
    assert sorted(ids) == stale
    assert len(callbacks) == 3
    assert _queued_tasks() == stale  # each one's task is queued again for the worker
    now = timezone.now()
    for pk in stale:
        switch = ModeSwitch.objects.get(pk=pk)
        # nobody runs it now; the new lease keeps the watchdog from queueing it twice meanwhile
        assert switch.runner == ""
        assert now < switch.lease_until <= now + timedelta(seconds=jobs.LEASE_SECONDS)
        assert switch.lease_until > now + timedelta(seconds=jobs.LEASE_SECONDS / 2)
    for untouched, runner in ((alive, "dead-worker"), (fresh_queued, ""), (done, "dead-worker"),
                              (failed, "dead-worker")):
        row = ModeSwitch.objects.get(pk=untouched.pk)
        assert (row.runner, row.lease_until) == (runner, untouched.lease_until)


def test_requeue_a_second_time_finds_nothing(db, django_capture_on_commit_callbacks):
    _switch(SwitchStatus.RUNNING, lease=-timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert len(requeue_stale_switches()) == 1
        assert requeue_stale_switches() == []  # its fresh lease protects it until the worker claims it
    assert len(_queued_tasks()) == 1


# --- the customer keys a batch holds (PostgreSQL runs batches side by side; the statement is plain SQL
# that SQLite runs too, so it is checked here on the converter directly) ----------------------------

def _converter(switch: ModeSwitch, *, match: bool = True, **options) -> jobs.LeadBulkConverter:
    pipeline = Pipeline.objects.get(pk=switch.pipeline_id)
    stage = pipeline.stages.filter(semantic=Semantic.PROCESS).order_by("sort", "id").first()
    process = list(LeadStatus.objects.filter(semantic=Semantic.PROCESS).values_list("code", flat=True))
    return jobs.LeadBulkConverter(
        switch_id=switch.pk, pipeline_id=pipeline.pk, stage_id=stage.pk, actor_id=None,
        create_contacts=options.get("create_contacts", True), create_companies=options.get("create_companies", True),
        keep_open=True, match=match, process_codes=process, success_code="CONVERTED", lock_keys=True,
        stage_code=stage.code)


def _keys() -> set[str]:
    return set(SwitchKey.objects.values_list("key", flat=True))


LOCK_CASES = [
    # (create_contacts, create_companies, match, keys held)
    (True, True, True, {"PHONE:+4930123456", "EMAIL:anna@example.de", "EMAIL:bob@example.de", "company:acme gmbh"}),
    (True, False, True, {"PHONE:+4930123456", "EMAIL:anna@example.de", "EMAIL:bob@example.de"}),
    (False, True, True, {"company:acme gmbh"}),
    (True, True, False, set()),  # without matching nobody can find another batch's customer: nothing to hold
]


def test_a_batch_holds_the_customer_keys_of_its_leads(admin_api, classic):
    leads = [
        make_lead(admin_api, title="A", name="Anna", phones=["+49 30 123456"], emails=["Anna@Example.de"],
                  websites=["https://anna.example"], company_title="ACME GmbH"),
        make_lead(admin_api, title="B", name="Bob", emails=["bob@example.de"], company_title="acme  GMBH"),
        make_lead(admin_api, title="C", name="Carl"),
    ]
    outside = make_lead(admin_api, title="D", name="Dora", emails=["dora@example.de"], company_title="Dora AG")
    r = admin_api.post("/api/v1/crm-mode/switch", {"mode": "simple"})
    assert r.status_code == 202, r.content
    switch = ModeSwitch.objects.get(pk=r.json()["id"])
    for contacts, companies, match, expected in LOCK_CASES:
        with pytest.raises(_Rollback), transaction.atomic():
            SwitchKey.objects.create(key="EMAIL:bob@example.de")  # held before: taken over, no error
            converter = _converter(switch, match=match, create_contacts=contacts, create_companies=companies)
            assert converter.convert_range(0, leads[-1]["id"]) == 3
            assert _keys() == expected | {"EMAIL:bob@example.de"}, (contacts, companies, match)
            raise _Rollback
    assert outside["id"] > leads[-1]["id"]


class _Rollback(Exception):
    pass


# --- the batch pools: on PostgreSQL batches run in threads, each with its own connection ---------------

@pytest.mark.parametrize("pool_class", ["inline", "threads"])
def test_every_batch_handed_out_comes_back_with_its_error(pool_class):
    ran: list[tuple[int, int, str]] = []

    def work(lo, hi):
        ran.append((lo, hi, threading.current_thread().name))
        if lo == 10:
            raise ValueError("lead 11 is broken")

    pool = jobs._Inline(work) if pool_class == "inline" else jobs._Threads(work, 2)
    for lo, hi in ((0, 10), (10, 20), (20, 30)):
        pool.submit(lo, hi)
    results = sorted((pool.result() for _ in range(3)), key=lambda r: r[0])
    pool.close()
    assert [(lo, hi) for lo, hi, _ in results] == [(0, 10), (10, 20), (20, 30)]
    assert [type(e).__name__ if e else None for _, _, e in results] == [None, "ValueError", None]
    assert sorted((lo, hi) for lo, hi, _ in ran) == [(0, 10), (10, 20), (20, 30)]
    names = {name for _, _, name in ran}
    if pool_class == "threads":
        assert names <= {"kontor-switch-0", "kontor-switch-1"}
        assert all(not t.is_alive() for t in pool.threads) and len(pool.threads) == 2  # close() ends them
        # a batch stuck in the database must not keep a stopping worker process alive
        assert [t.daemon for t in pool.threads] == [True, True]
    else:
        assert names == {threading.current_thread().name}


# --- what a batch announces and logs --------------------------------------------------------------

def test_the_batch_event_lists_only_the_leads_that_batch_converted(admin_api, classic, monkeypatch):
    first = make_lead(admin_api, title="A", name="Anna")
    earlier = make_lead(admin_api, title="B", name="Bea")
    last = make_lead(admin_api, title="C", name="Cem")
    r = admin_api.post(f"/api/v1/leads/{earlier['id']}/convert", {"deal": None, "contact": "create"})
    assert r.status_code == 200, r.content
    events = []
    monkeypatch.setattr(jobs, "emit", events.append)
    switch_id = start_switch(admin_api)
    final = jobs.switch_run(switch_id)
    assert final.converted == 2
    assert [e.name for e in events] == ["lead.converted_batch"]
    data = events[0].data
    leads = {lead.pk: lead for lead in Lead.objects.filter(pk__in=[first["id"], last["id"]])}
    assert data["switch_id"] == switch_id and data["count"] == 2
    assert data["leads"] == [{"lead_id": pk, "deal_id": leads[pk].deal_id, "contact_id": leads[pk].contact_id,
                              "company_id": None} for pk in (first["id"], last["id"])]


def test_a_failed_batch_is_logged_with_its_reason(admin_api, classic, monkeypatch, caplog):
    leads = [make_lead(admin_api, title=f"L{i}", name=f"N{i}") for i in range(2)]
    original = jobs.LeadBulkConverter.convert_range

    def failing(self, lo, hi):
        if lo < leads[0]["id"] <= hi:
            raise RuntimeError("lead is locked elsewhere")
        return original(self, lo, hi)

    monkeypatch.setattr(jobs.LeadBulkConverter, "convert_range", failing)
    switch_id = start_switch(admin_api)
    caplog.set_level(logging.WARNING, logger="kontor.modes.jobs")
    final = jobs.switch_run(switch_id)
    assert (final.converted, final.failed) == (1, 1)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [f"switch {switch_id}: batch 0..{leads[1]['id']} failed (lead is locked elsewhere); "
                        "converting lead by lead"]
    assert final.errors == [{"lead_id": leads[0]["id"], "error": "lead is locked elsewhere"}]


def test_only_a_deadlock_or_serialization_failure_runs_a_batch_again():
    from django.db import DatabaseError

    def error(sqlstate):
        class Cause(Exception):
            pass

        cause = Cause("from the driver")
        cause.sqlstate = sqlstate  # type: ignore[attr-defined]
        exc = DatabaseError("deadlock detected")
        exc.__cause__ = cause
        return exc

    assert jobs._is_deadlock(error("40P01")) and jobs._is_deadlock(error("40001"))
    assert not jobs._is_deadlock(error("23505"))  # a unique violation is the lead's own failure
    assert not jobs._is_deadlock(DatabaseError("database is locked"))  # SQLite: no sqlstate


def test_a_batch_retried_lead_by_lead_counts_its_breakdown_and_cuts_long_errors(admin_api, classic, monkeypatch):
    leads = [make_lead(admin_api, title=f"L{i}", name=f"N{i}", emails=[f"n{i}@example.de"]) for i in range(4)]
    bad = leads[1]["id"]
    original = jobs.LeadBulkConverter.convert_range

    def failing(self, lo, hi):
        if hi - lo > 1:
            raise RuntimeError("the batch failed")  # every lead then goes alone
        if hi == bad:
            raise RuntimeError("x" * 600)
        return original(self, lo, hi)

    monkeypatch.setattr(jobs.LeadBulkConverter, "convert_range", failing)
    final = jobs.switch_run(start_switch(admin_api))
    assert (final.status, final.converted, final.failed) == ("done", 3, 1)
    assert (final.contacts_created, final.contacts_matched) == (3, 0)
    assert final.errors == [{"lead_id": bad, "error": "x" * 500}]


def _yield_with(monkeypatch, fake_sleep, answers: list[bool], *, max_seconds: float) -> list[float]:
    """Run ``_yield_to_writers`` on a fake clock (sleeping advances it); ``answers`` are what
    ``writers_active`` says, one per look (then: nobody). Returns the sleeps."""
    from django.db import connections

    clock = [0.0]
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        clock[0] += seconds

    monkeypatch.setattr(jobs, "SQLITE_YIELD_SECONDS", 0.25)  # binary fractions: exact sums
    monkeypatch.setattr(jobs, "SQLITE_QUIET_SECONDS", 1.0)
    monkeypatch.setattr(jobs.time, "monotonic", lambda: clock[0])
    fake_sleep(sleep)
    monkeypatch.setattr(connections["default"], "writers_active", lambda: answers.pop(0) if answers else False,
                        raising=False)
    jobs._yield_to_writers(max_seconds=max_seconds)
    return sleeps


def test_between_batches_the_job_steps_back_only_once_when_nobody_waits(monkeypatch, fake_sleep):
    assert _yield_with(monkeypatch, fake_sleep, [], max_seconds=60) == [0.25]


def test_the_job_takes_the_lock_back_once_no_writer_has_waited_for_the_quiet_time(monkeypatch, fake_sleep):
    # waiting at 0.25 and 0.75 (not at 0.5): the job goes on at 1.75, a quiet second after the last
    sleeps = _yield_with(monkeypatch, fake_sleep, [True, False, True], max_seconds=60)
    assert sum(sleeps) == 1.75 and set(sleeps) == {0.25}


def test_writers_that_keep_waiting_hold_the_job_back_only_until_its_limit(monkeypatch, fake_sleep):
    assert sum(_yield_with(monkeypatch, fake_sleep, [True] * 100, max_seconds=2.0)) == 2.0
    assert _yield_with(monkeypatch, fake_sleep, [True] * 100, max_seconds=0) == [0.25]  # no time left: one step back


def test_sqlite_batches_are_sized_by_time():
    sizer = jobs._TimeSizedBatches(0.1, ceiling=1000)
    assert (sizer.size, sizer.floor) == (200, 20)  # starts small
    sizer.took(0, 1.0)
    sizer.took(5, 0.0)  # nothing measured: the size stays
    assert sizer.size == 200
    sizer.took(1, 0.001)  # 1,000 leads a second: a tenth of a second is 100 leads
    assert sizer.size == 100
    sizer.took(100, 0.01)  # much faster: at most double per batch
    assert sizer.size == 200
    sizer.took(200, 10.0)  # very slow: down at once, but not below the floor
    assert sizer.size == 20
    for _ in range(10):
        sizer.took(sizer.size, 0.0001)
    assert sizer.size == 1000  # never above the ceiling
