"""What the switch does when a batch deadlocks with another batch (PostgreSQL runs two side by side),
when matching is off, and with its pauses: behaviour the surviving mutants of ``kontor.modes.jobs``
showed untested (docs/mutation.md). A deadlock is the driver's error with SQLSTATE 40P01; SQLite has
none, so it is raised here the way psycopg raises it through Django."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

import pytest
from django.db import DatabaseError, connection
from django.utils import timezone

from kontor.crm.enums import Semantic
from kontor.crm.models import AuditLog, Contact, CrmSettings, Deal, Lead, LeadStatus, Pipeline, Stage
from kontor.modes import jobs
from kontor.modes.models import ModeSwitch, SwitchKey

from .conftest import make_lead, start_switch

pytestmark = pytest.mark.django_db


def _deadlock() -> DatabaseError:
    class DriverError(Exception):
        sqlstate = "40P01"

    exc = DatabaseError("deadlock detected")
    exc.__cause__ = DriverError("deadlock detected")
    return exc


def _leads(api, count: int) -> list[int]:
    return [make_lead(api, title=f"L{i}", name=f"N{i}", emails=[f"n{i}@example.de"])["id"] for i in range(count)]


def test_a_deadlocked_batch_runs_again_whole(admin_api, classic, monkeypatch, caplog):
    leads = _leads(admin_api, 3)
    original = jobs.LeadBulkConverter.convert_range
    calls = []

    def deadlocking_once(self, lo, hi):
        calls.append((lo, hi))
        if len(calls) == 1:
            raise _deadlock()
        return original(self, lo, hi)

    monkeypatch.setattr(jobs.LeadBulkConverter, "convert_range", deadlocking_once)
    caplog.set_level(logging.INFO, logger="kontor.modes.jobs")
    switch_id = start_switch(admin_api)
    final = jobs.switch_run(switch_id)
    assert (final.status, final.converted, final.failed, final.errors) == ("done", 3, 0, [])
    assert calls == [(0, leads[-1]), (0, leads[-1])]  # the whole batch again, not lead by lead
    assert [r.getMessage() for r in caplog.records if r.name == "kontor.modes.jobs"] == [
        f"switch {switch_id}: batch 0..{leads[-1]} deadlocked with another batch; running it again",
        f"switch {switch_id} done: 3 converted, 0 failed"]


def test_a_batch_that_deadlocks_three_times_goes_lead_by_lead(admin_api, classic, monkeypatch):
    leads = _leads(admin_api, 3)
    original = jobs.LeadBulkConverter.convert_range
    batches = []

    def deadlocking_whole(self, lo, hi):
        if hi - lo > 1:
            batches.append((lo, hi))
            raise _deadlock()
        return original(self, lo, hi)

    monkeypatch.setattr(jobs.LeadBulkConverter, "convert_range", deadlocking_whole)
    final = jobs.switch_run(start_switch(admin_api))
    assert (final.status, final.converted, final.failed) == ("done", 3, 0)
    assert batches == [(0, leads[-1])] * 3
    assert Lead.objects.filter(pk__in=leads, deal__isnull=False).count() == 3


@pytest.mark.parametrize(("error", "runs"), [(_deadlock, 3), (lambda: DatabaseError("disk I/O error"), 1)])
def test_a_batch_whose_counts_cannot_be_written_stops_the_switch(admin_api, classic, monkeypatch, error, runs):
    leads = _leads(admin_api, 2)
    tries = []

    def failing(*args, **kwargs):
        tries.append(args[0])
        raise error()

    monkeypatch.setattr(jobs, "_add_counts", failing)
    switch_id = start_switch(admin_api)
    final = jobs.switch_run(switch_id)
    # a deadlock is tried three times, any other database error once; then the job stops with nothing
    # converted (the batch rolled back) and the switch waits for a runner to go on
    assert len(tries) == runs
    assert (final.status, final.converted, final.cursor) == ("running", 0, 0)
    assert not Lead.objects.filter(pk__in=leads, deal__isnull=False).exists()


def test_without_matching_two_leads_of_one_person_make_two_contacts(admin_api, classic):
    CrmSettings.objects.filter(pk=1).update(match_existing_customers=False)
    first = make_lead(admin_api, title="A", name="Anna", phones=["030 1234567"])
    second = make_lead(admin_api, title="B", name="Anna", phones=["+49 30 1234567"])
    final = jobs.switch_run(start_switch(admin_api))
    assert (final.status, final.converted, final.contacts_created, final.contacts_matched) == ("done", 2, 2, 0)
    contacts = dict(Lead.objects.filter(pk__in=[first["id"], second["id"]]).values_list("pk", "contact_id"))
    assert None not in contacts.values() and len(set(contacts.values())) == 2
    assert Contact.objects.count() == 2


def test_the_pauses_between_and_inside_batches_are_kept(admin_api, classic, monkeypatch, fake_sleep):
    _leads(admin_api, 3)
    sleeps = []
    monkeypatch.setattr(jobs, "PAUSE_SECONDS", 0.0625)
    monkeypatch.setattr(jobs, "BATCH_PAUSE_SECONDS", 0.125)
    monkeypatch.setattr(jobs, "SQLITE_BATCH_SECONDS", 0)  # batches by size: no yielding to writers
    fake_sleep(sleeps.append)
    final = jobs.switch_run(start_switch(admin_api), batch_size=2)
    assert (final.status, final.converted, final.failed) == ("done", 3, 0)
    assert sleeps == [0.125, 0.0625, 0.125, 0.0625]  # two batches: inside each, then after it


def test_a_switch_whose_pipeline_is_gone_fails_saying_why_and_the_audit_log_says_how_it_ended(admin_api, classic):
    _leads(admin_api, 3)  # the audit entry's total at the start: 3
    switch_id = start_switch(admin_api)
    earlier = {"lead_id": 7, "error": "an earlier run's failure"}
    # as if a runner had converted one lead and failed one before the pipeline went
    ModeSwitch.objects.filter(pk=switch_id).update(errors=[earlier], converted=1, failed=1)
    switch = ModeSwitch.objects.get(pk=switch_id)
    Deal.objects.all().delete()
    Pipeline.objects.filter(pk=switch.pipeline_id).delete()
    jobs.switch_run(switch_id)
    shown = admin_api.get(f"/api/v1/crm-mode/switches/{switch_id}").json()
    assert shown["status"] == "failed" and shown["finished_at"]
    assert shown["errors"] == [earlier, {"lead_id": None, "error": "the target pipeline, its first stage or the "
                                                                     "converted lead status no longer exists"}]
    audit = AuditLog.objects.get(pk=switch.audit_id)
    assert {k: audit.data[k] for k in ("status", "total", "converted", "failed")} == {
        "status": "failed", "total": 2, "converted": 1, "failed": 1}
    assert audit.data["finished_at"] == ModeSwitch.objects.get(pk=switch_id).finished_at.isoformat()
    # the next switch may start: the failed one is no longer the active one
    r = admin_api.post("/api/v1/crm-mode/switch", {"mode": "classic"})
    assert r.status_code == 200, r.content


def test_a_finished_switch_run_again_is_left_as_it_is(admin_api, classic):
    _leads(admin_api, 2)
    switch_id = start_switch(admin_api)
    done = jobs.switch_run(switch_id)
    again = jobs.switch_run(switch_id)  # a task queued twice, or re-queued after the end
    assert (again.status, again.converted, again.finished_at) == ("done", 2, done.finished_at)


def test_a_switch_keeps_the_moment_it_was_started_when_a_runner_takes_it(admin_api, classic):
    _leads(admin_api, 2)
    switch_id = start_switch(admin_api)
    started = ModeSwitch.objects.get(pk=switch_id).started_at
    assert started is not None
    assert jobs.switch_run(switch_id).started_at == started


@pytest.mark.parametrize(("rest", "low", "high"), [(0.05, 0.2, 0.2), (1.5, 1.2, 1.5), (30, 2.0, 2.0)])
def test_a_switch_another_runner_holds_is_taken_over_when_its_lease_runs_out(admin_api, classic, monkeypatch,
                                                                            rest, low, high, fake_sleep):



    _leads(admin_api, 2)
    switch_id = start_switch(admin_api)
    ModeSwitch.objects.filter(pk=switch_id).update(runner="other-host:1:abc",
                                                   lease_until=timezone.now() + timedelta(seconds=rest))
    waits = []

    def sleep(seconds):  # the other runner's lease runs out while this one waits
        waits.append(seconds)
        ModeSwitch.objects.filter(pk=switch_id).update(lease_until=timezone.now() - timedelta(seconds=1))

    fake_sleep(sleep)
    monkeypatch.setattr(jobs, "SQLITE_BATCH_SECONDS", 0)
    final = jobs.switch_run(switch_id)
    assert (final.status, final.converted) == ("done", 2)
    # it waited for the rest of the other runner's lease, at least 0.2 s and at most 2 s at a time
    assert len(waits) == 1 and low <= waits[0] <= high


def test_the_switch_puts_deals_into_the_first_in_progress_stage_by_sort(admin_api, classic):
    leads = _leads(admin_api, 1)
    switch = ModeSwitch.objects.get(pk=start_switch(admin_api))
    first = Stage.objects.filter(pipeline_id=switch.pipeline_id).order_by("sort", "id").first()
    Stage.objects.create(pipeline_id=switch.pipeline_id, code="EARLIER_WON", name="Won early", sort=first.sort - 2,
                         semantic=Semantic.SUCCESS)
    front = Stage.objects.create(pipeline_id=switch.pipeline_id, code="TRIAGE", name="Triage", sort=first.sort - 1)
    assert jobs.switch_run(switch.pk).status == "done"
    assert Deal.objects.get(lead_id=leads[0]).stage_id == front.pk


def test_converted_leads_take_the_first_success_status_by_sort(admin_api, classic):
    leads = _leads(admin_api, 1)
    converted = LeadStatus.objects.filter(semantic=Semantic.SUCCESS).order_by("sort", "code").first()
    LeadStatus.objects.create(code="AAA_SOLD", name="Sold", sort=converted.sort + 1, semantic=Semantic.SUCCESS)
    assert jobs.switch_run(start_switch(admin_api)).status == "done"
    assert Lead.objects.get(pk=leads[0]).status_id == converted.code


@pytest.mark.parametrize("gone", ["success status", "in-progress stage"])
def test_a_switch_without_a_success_status_or_an_in_progress_stage_fails(admin_api, classic, gone):
    leads = _leads(admin_api, 1)
    switch = ModeSwitch.objects.get(pk=start_switch(admin_api))
    if gone == "success status":
        LeadStatus.objects.filter(semantic=Semantic.SUCCESS).update(semantic=Semantic.FAILURE)
    else:
        Stage.objects.filter(pipeline_id=switch.pipeline_id, semantic=Semantic.PROCESS).update(
            semantic=Semantic.FAILURE)
    final = jobs.switch_run(switch.pk)
    assert final.status == "failed" and final.errors[-1]["error"].endswith("no longer exists")
    assert Lead.objects.get(pk=leads[0]).deal_id is None


def _sqlite_only():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's way of running the switch")


@pytest.mark.django_db(transaction=True)
def test_on_sqlite_the_switch_runs_its_batches_one_by_one_in_its_own_thread(admin_api, classic, monkeypatch):
    _sqlite_only()
    _leads(admin_api, 4)
    original = jobs.LeadBulkConverter.convert_range
    threads = set()

    def recording(self, lo, hi):
        threads.add(threading.current_thread().name)
        return original(self, lo, hi)

    monkeypatch.setattr(jobs.LeadBulkConverter, "convert_range", recording)
    final = jobs.switch_run(start_switch(admin_api), batch_size=2)
    assert (final.status, final.converted) == ("done", 4)
    assert threads == {threading.current_thread().name}  # no second connection writing beside it
    assert not SwitchKey.objects.exists()  # one writer: no customer keys to hold
    with connection.cursor() as cursor:  # the bigger page cache for the batches' index work
        cursor.execute("PRAGMA cache_size")
        assert cursor.fetchone()[0] == -jobs.SQLITE_CACHE_MB * 1024


def test_on_sqlite_batches_are_sized_by_time_unless_told_a_size(admin_api, classic, monkeypatch):
    _sqlite_only()
    _leads(admin_api, 6)
    took = []

    class Sizer(jobs._TimeSizedBatches):
        def __init__(self, seconds):
            super().__init__(seconds, first=2, floor=2)

        def took(self, leads, seconds):
            took.append(seconds)
            super().took(leads, seconds)

    monkeypatch.setattr(jobs, "_TimeSizedBatches", Sizer)
    yielded = []
    monkeypatch.setattr(jobs, "_yield_to_writers", lambda *, max_seconds: yielded.append(max_seconds))
    batches = []
    final = jobs.switch_run(start_switch(admin_api), progress=batches.append)
    assert (final.status, final.converted) == ("done", 6)
    assert len(batches) >= 2 and len(took) == len(batches)  # started at 2 leads, sized by how long each took
    assert all(0 < seconds < 5 for seconds in took)
    # after each batch, web requests waiting to write go first for at most half the batch's time
    assert yielded == [seconds / 2 for seconds in took]


@pytest.mark.parametrize("seconds", [0, -1])
def test_on_sqlite_no_batch_seconds_means_batches_of_the_fixed_size(admin_api, classic, monkeypatch, seconds):
    _sqlite_only()
    _leads(admin_api, 3)
    monkeypatch.setattr(jobs, "SQLITE_BATCH_SECONDS", seconds)
    monkeypatch.setattr(jobs, "BATCH_SIZE", 2)
    batches = []
    final = jobs.switch_run(start_switch(admin_api), progress=batches.append)
    assert (final.status, final.converted, len(batches)) == ("done", 3, 2)


def test_the_cursor_follows_the_batches_and_max_batches_stops_the_job_half_way(admin_api, classic):
    leads = _leads(admin_api, 5)
    switch_id = start_switch(admin_api)
    seen, leases = [], []

    def progress(switch):
        seen.append((switch.cursor, switch.converted))
        leases.append(switch.lease_until)

    half = jobs.switch_run(switch_id, batch_size=1, max_batches=2, progress=progress)
    assert seen == [(leads[0], 1), (leads[1], 2)]
    # each batch extends the runner's lease, so the watchdog does not hand a working job to another worker
    assert leases[0] is not None and leases[0] < leases[1]
    assert leases[1] > timezone.now() + timedelta(seconds=jobs.LEASE_SECONDS - 10)
    # it gives the switch back: another run may take it at once
    assert (half.status, half.converted, half.cursor, half.runner, half.lease_until) == (
        "running", 2, leads[1], "", None)
    rest = jobs.switch_run(switch_id, batch_size=2, progress=lambda s: seen.append((s.cursor, s.converted)))
    assert seen[2:] == [(leads[3], 4), (leads[4], 5)]
    assert (rest.status, rest.converted) == ("done", 5)
    assert ModeSwitch.objects.get(pk=switch_id).cursor == leads[4]


def test_leads_that_arrive_above_the_range_count_into_the_total_while_the_job_runs(admin_api, classic):
    _leads(admin_api, 2)
    switch_id = start_switch(admin_api)
    totals = []
    status = LeadStatus.objects.get(code="NEW")

    def progress(switch):
        totals.append(switch.total)
        if len(totals) == 1:  # a lead a classic-mode request wrote while the mode flipped
            Lead.objects.create(title="late", status=status)

    final = jobs.switch_run(switch_id, progress=progress)
    assert totals == [2, 3]
    assert (final.status, final.converted, final.total) == ("done", 3, 3)


def test_a_switch_another_runner_took_over_is_left_to_it_at_the_end(admin_api, classic):
    _leads(admin_api, 2)
    switch_id = start_switch(admin_api)

    def taken(switch):  # the watchdog handed the switch to another worker meanwhile
        ModeSwitch.objects.filter(pk=switch_id).update(runner="other-host:2:def")

    final = jobs.switch_run(switch_id, progress=taken)
    assert (final.status, final.runner, final.finished_at) == ("running", "other-host:2:def", None)


def test_a_batch_that_stops_the_job_is_logged_and_nothing_after_it_runs(admin_api, classic, monkeypatch, caplog):
    leads = _leads(admin_api, 3)
    calls = []

    def failing(*args, **kwargs):
        calls.append(args)
        raise DatabaseError("disk I/O error")

    monkeypatch.setattr(jobs, "_add_counts", failing)
    caplog.set_level(logging.ERROR, logger="kontor.modes.jobs")
    switch_id = start_switch(admin_api)
    final = jobs.switch_run(switch_id, batch_size=1)
    assert len(calls) == 1 and (final.status, final.converted) == ("running", 0)
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR] == [
        f"switch {switch_id}: batch 0..{leads[0]} stopped the job: disk I/O error"]


def test_a_lead_without_a_title_becomes_a_deal_named_by_its_number(admin_api, classic):
    titled = make_lead(admin_api, title="Dach", name="Eva")["id"]
    untitled = Lead.objects.create(title="", status=LeadStatus.objects.get(code="NEW"), name="Ina").pk
    assert jobs.switch_run(start_switch(admin_api)).converted == 2
    deal = Deal.objects.get(lead_id=untitled)
    assert deal.title == f"Deal #{deal.pk}" and Deal.objects.get(lead_id=titled).title == "Dach"
