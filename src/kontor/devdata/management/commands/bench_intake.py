"""``kontor bench_intake --contacts N``: the intake benchmark.

Fills the configured database with N contacts (each with a phone and an e-mail, set-based), puts
the CRM in simple mode, starts the web server (gunicorn, as ``kontor serve`` does) on a free local
port and sends M inquiries over HTTP from C client threads with keep-alive connections: every
second one is a known customer (their phone written another way, or their e-mail in capitals), the
others are new. It prints
``intake: <M> inquiries in <seconds> s (<rate> inquiries/s), p50 <ms> ms, p99 <ms> ms, <K> matched``
— as its last line unless one of the figures below is asked for too:

- ``--floor``: the same load, in the same run, against the bare-framework floor (``bench/floor``: a
  Django + django-ninja endpoint that looks the e-mail up, inserts a contact if new and a deal) on a
  database of its own next to Kontor's (``<name>-floor.sqlite3`` / ``<name>_floor``) with as many
  contacts: ``floor: …`` and ``intake ÷ floor: <ratio>``;
- ``--writers W --writers-seconds S``: W clients post inquiries for S seconds without pause:
  ``writers: W for S s: <n> inquiries, p50, p99, max, <e> errors``;
- ``--during-switch L``: L leads in progress, a classic → simple switch started in a process of its
  own (as the worker runs it), and inquiries from C clients while it converts:
  ``during switch: <n> inquiries while converting <k> leads in <s> s, p50, p99, <f> failed``.

The clients run on the same machine, so they take part of the CPU the server could use.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection, transaction

from kontor.accounts.services import token_create
from kontor.core.management.commands.serve import web_threads_default
from kontor.crm.enums import CrmMode
from kontor.crm.models import CrmSettings
from kontor.devdata.bulk import (
    bench_user,
    crm_data_wipe,
    demo_contacts_bulk_create,
    demo_leads_bulk_create,
    percentile,
)
from kontor.modes.models import ModeSwitch
from kontor.modes.services import active_switch

#: the floor app (bench/floor in the repository)
FLOOR_DIR = Path(__file__).resolve().parents[5] / "bench" / "floor"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(port: int, server: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise CommandError("the web server stopped while starting")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise CommandError("the web server did not start")


def inquiry(i: int, contacts: int) -> dict:
    """The i-th inquiry: even ones come from a known customer (when there are contacts), odd ones are new."""
    if i % 2 == 0 and contacts:
        n = (i * 7919) % contacts + 1  # spread over the whole contact table
        if i % 4 == 0:
            return {"title": f"Rückruf {i}", "phones": [f"+49 30 {1000000 + n}"]}
        return {"title": f"Anfrage {i}", "emails": [f"KUNDE{n}@BEISPIEL.DE"]}
    return {"title": f"Neu {i}", "name": "Neu", "last_name": f"Kunde {i}",
            "emails": [f"neu{i}.{time.time_ns()}@example.com"], "company_title": f"Neufirma {i % 50}"}


@dataclass
class Load:
    """What one run of clients saw."""

    latencies: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    matched: int = 0
    seconds: float = 0.0

    @property
    def count(self) -> int:
        return len(self.latencies)

    def summary(self) -> str:
        if not self.latencies:
            return "no answers"
        return (f"p50 {percentile(self.latencies, 0.5):.1f} ms, p99 {percentile(self.latencies, 0.99):.1f} ms, "
                f"max {max(self.latencies) * 1000:.0f} ms")


class Server:
    """gunicorn with the benchmark's settings, on a free local port."""

    def __init__(self, app: str, *, workers: int, threads: int, env: dict[str, str], cwd: Path | None = None):
        self.port = _free_port()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", app, "--bind", f"127.0.0.1:{self.port}", "--workers", str(workers),
             "--threads", str(threads), "--log-level", "warning"],
            env={**os.environ, "KONTOR_ALLOWED_HOSTS": "127.0.0.1,localhost", **env}, cwd=cwd)

    def __enter__(self) -> Server:
        try:
            _wait_for(self.port, self.process)
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


def fire(port: int, headers: dict[str, str], *, concurrency: int, contacts: int, total: int | None = None,
         until: Callable[[], bool] | None = None, seconds: float | None = None, first: int = 0,
         warm: int = 20) -> Load:
    """Post inquiries from ``concurrency`` keep-alive clients: ``total`` of them, or until ``until()``,
    or for ``seconds`` (counted after the warm-up)."""
    headers = {"Content-Type": "application/json", **headers}
    load = Load()
    lock = threading.Lock()
    counter = iter(range(first, first + total) if total is not None else _count_from(first))
    stop = threading.Event()

    def post(conn: http.client.HTTPConnection, body: dict) -> tuple[int, bytes]:
        conn.request("POST", "/api/v1/inquiries", body=json.dumps(body), headers=headers)
        response = conn.getresponse()
        return response.status, response.read()

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        try:
            while not stop.is_set():
                with lock:
                    i = next(counter, None)
                if i is None:
                    return
                t = time.perf_counter()
                try:
                    status, content = post(conn, inquiry(i, contacts))
                except (OSError, http.client.HTTPException) as exc:
                    status, content = 0, repr(exc).encode()
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                took = time.perf_counter() - t
                with lock:
                    if status != 201:
                        load.failures.append(f"{status} {content[:200]!r}")
                    else:
                        load.latencies.append(took)
                        load.matched += bool(json.loads(content)["contact_matched"])
        finally:
            conn.close()

    warm_errors: list[str] = []

    def warm_up(ids: range) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        for i in ids:
            status, content = post(conn, {"title": f"Aufwärmen {i}", "name": "Warm"})
            if status != 201:
                warm_errors.append(f"the server answered {status}: {content[:300]!r}")
        conn.close()

    # Every server process imports and connects before the clock starts: four connections at once,
    # so that each gunicorn worker gets some (one connection may stay with one worker).
    warmers = [threading.Thread(target=warm_up, args=(range(k, warm, 4),)) for k in range(min(4, warm))]
    for thread in warmers:
        thread.start()
    for thread in warmers:
        thread.join()
    if warm_errors:
        raise CommandError(warm_errors[0])
    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    started = time.perf_counter()
    if seconds is not None:
        until = lambda: time.perf_counter() - started >= seconds  # noqa: E731
    for thread in threads:
        thread.start()
    if until is not None:
        while any(t.is_alive() for t in threads) and not until():
            time.sleep(0.05)
        stop.set()
    for thread in threads:
        thread.join()
    load.seconds = time.perf_counter() - started
    return load


def _count_from(n: int):
    while True:
        yield n
        n += 1


def floor_database_url() -> str:
    """The floor's own database beside Kontor's: ``<name>-floor.sqlite3`` or ``<name>_floor``."""
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        name = Path(str(settings["NAME"]))
        return f"sqlite:///{name.with_name(name.stem + '-floor.sqlite3')}"
    user = settings.get("USER") or ""
    password = f":{settings['PASSWORD']}" if settings.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    host = f"{settings.get('HOST') or '127.0.0.1'}:{settings.get('PORT') or 5432}"
    return f"postgresql://{auth}{host}/{settings['NAME']}_floor"


class Command(BaseCommand):
    help = "Fill N contacts and time inquiries over HTTP in simple mode (optionally beside the floor app)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--contacts", type=int, required=True)
        parser.add_argument("--inquiries", type=int, default=5000)
        parser.add_argument("--concurrency", type=int, default=8, help="client threads")
        parser.add_argument("--web-workers", type=int, default=2, help="gunicorn worker processes")
        parser.add_argument("--web-threads", type=int, default=None,
                            help="threads per gunicorn worker (default: as `kontor serve` starts it)")
        parser.add_argument("--fresh", action="store_true", help="delete all CRM records first")
        parser.add_argument("--floor", action="store_true", help="run the bare-framework floor app beside")
        parser.add_argument("--writers", type=int, default=0, help="clients of the concurrent-writers run")
        parser.add_argument("--writers-seconds", type=float, default=30.0)
        parser.add_argument("--during-switch", type=int, default=0, metavar="LEADS",
                            help="time inquiries while a switch converts this many leads")

    def handle(self, *args, contacts: int, inquiries: int, concurrency: int, web_workers: int, web_threads: int,
               fresh: bool, floor: bool, writers: int, writers_seconds: float, during_switch: int,
               **options) -> None:
        if contacts < 0 or inquiries < 1 or concurrency < 1 or writers < 0 or during_switch < 0:
            raise CommandError("--contacts, --writers and --during-switch must not be negative; --inquiries and "
                               "--concurrency must be positive")
        self.web = {"workers": web_workers, "threads": web_threads or web_threads_default()}
        self.stdout.write(f"database: {connection.vendor} {connection.settings_dict.get('NAME')}; gunicorn "
                          f"{self.web['workers']} workers × {self.web['threads']} threads")
        if fresh:
            crm_data_wipe()
        if active_switch() is not None:
            raise CommandError("a CRM-mode switch is running on this database (use --fresh)")
        started = time.perf_counter()
        made = demo_contacts_bulk_create(contacts=contacts)
        self.stdout.write(f"fill: {made} contacts in {time.perf_counter() - started:.1f} s")
        self._analyze()
        # simple mode as installed (no companies from inquiries): the work the floor app does too —
        # whatever an earlier benchmark's switch (bench_convert in make bench) chose
        CrmSettings.objects.filter(pk=1).update(mode=CrmMode.SIMPLE, match_existing_customers=True,
                                                create_company=False)
        _, token = token_create(user=bench_user(), name="bench_intake")
        auth = {"Authorization": f"Bearer {token}"}
        connection.close()  # the server's processes open their own

        with Server("kontor.wsgi:application", env={}, **self.web) as server:
            load = fire(server.port, auth, concurrency=concurrency, contacts=contacts, total=inquiries)
        self._check(load, "inquiries")
        intake = (f"intake: {inquiries} inquiries in {load.seconds:.1f} s ({inquiries / load.seconds:.0f} "
                  f"inquiries/s), p50 {percentile(load.latencies, 0.5):.1f} ms, "
                  f"p99 {percentile(load.latencies, 0.99):.1f} ms, {load.matched} matched")
        self.stdout.write(intake)
        lines = [intake]
        if floor:
            lines += self._floor(contacts=contacts, inquiries=inquiries, concurrency=concurrency,
                                 kontor_rate=inquiries / load.seconds)
        if writers:
            lines.append(self._writers(auth, writers=writers, seconds=writers_seconds, contacts=contacts))
        if during_switch:
            lines.append(self._during_switch(auth, leads=during_switch, concurrency=concurrency, contacts=contacts))
        if len(lines) > 1:
            self.stdout.write("summary:")
            for line in lines:
                self.stdout.write(f"  {line}")

    def _analyze(self) -> None:
        """PostgreSQL after a bulk fill: statistics, the visibility map and a checkpoint now, so
        autovacuum and the checkpointer do not work through the million new rows while inquiries
        are timed (a run without: 273 inquiries/s right after the fill, 476/s half a minute later)."""
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("VACUUM (ANALYZE)")
                try:
                    with transaction.atomic():
                        cur.execute("CHECKPOINT")
                except DatabaseError:  # needs superuser or pg_checkpoint: the benchmark goes on without
                    pass

    def _check(self, load: Load, what: str) -> None:
        if load.failures:
            raise CommandError(f"{len(load.failures)} {what} failed, e.g. {load.failures[0]}")

    def _floor(self, *, contacts: int, inquiries: int, concurrency: int, kontor_rate: float) -> list[str]:
        url = floor_database_url()
        if url.startswith("postgresql"):
            import psycopg
            from psycopg import sql

            base, name = url.rsplit("/", 1)
            with psycopg.connect(base + "/postgres", autocommit=True) as pg:
                if not pg.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
                    pg.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        env = {"DJANGO_SETTINGS_MODULE": "floor_site.settings", "FLOOR_DATABASE_URL": url,
               "PYTHONPATH": str(FLOOR_DIR)}
        run_env = {**os.environ, **env}
        run_env.pop("DATABASE_URL", None)
        for command in (["migrate", "--run-syncdb", "-v", "0"], ["floor_fill", "--contacts", str(contacts)]):
            subprocess.run([sys.executable, "-m", "django", *command], env=run_env, cwd=FLOOR_DIR, check=True,
                           stdout=subprocess.DEVNULL)
        with Server("floor_site.wsgi:application", env=env, cwd=FLOOR_DIR, **self.web) as server:
            load = fire(server.port, {}, concurrency=concurrency, contacts=contacts, total=inquiries)
        self._check(load, "floor inquiries")
        rate = inquiries / load.seconds
        lines = [f"floor: {inquiries} inquiries in {load.seconds:.1f} s ({rate:.0f} inquiries/s), "
                 f"p50 {percentile(load.latencies, 0.5):.1f} ms, p99 {percentile(load.latencies, 0.99):.1f} ms, "
                 f"{load.matched} matched",
                 f"intake ÷ floor: {kontor_rate / rate:.2f}"]
        for line in lines:
            self.stdout.write(line)
        return lines

    def _writers(self, auth: dict[str, str], *, writers: int, seconds: float, contacts: int) -> str:
        with Server("kontor.wsgi:application", env={}, **self.web) as server:
            load = fire(server.port, auth, concurrency=writers, contacts=contacts, seconds=seconds,
                        first=10_000_000)
        line = (f"writers: {writers} for {load.seconds:.0f} s: {load.count} inquiries "
                f"({load.count / load.seconds:.0f}/s), {load.summary()}, {len(load.failures)} errors")
        self.stdout.write(line)
        if load.failures:
            self.stdout.write(f"  e.g. {load.failures[0]}")
        return line

    def _during_switch(self, auth: dict[str, str], *, leads: int, concurrency: int, contacts: int) -> str:
        started = time.perf_counter()
        made = demo_leads_bulk_create(leads=leads, activities_per_lead=0)  # leaves the CRM in classic mode
        self.stdout.write(f"fill: {made['leads']} leads in {time.perf_counter() - started:.1f} s")
        self._analyze()
        connection.close()
        name = f"Bench-Umstellung {time.strftime('%H:%M:%S')}"
        subprocess.run([sys.executable, "-m", "kontor", "crm_mode", "simple", "--new-pipeline", name, "--no-wait"],
                       check=True, stdout=subprocess.DEVNULL)
        switch = ModeSwitch.objects.order_by("-id").first()
        connection.close()
        if switch is None or not switch.active:
            raise CommandError("the switch did not start")
        with Server("kontor.wsgi:application", env={}, **self.web) as server:
            # as the background worker runs it (which also checkpoints SQLite's WAL from a thread)
            job = subprocess.Popen([sys.executable, "-m", "kontor", "shell", "-c",
                                    "from kontor.core.sqlite.base import checkpointer_start; checkpointer_start(); "
                                    f"from kontor.modes.jobs import switch_run; switch_run({switch.pk})"],
                                   stdout=subprocess.DEVNULL)
            try:
                load = fire(server.port, auth, concurrency=concurrency, contacts=contacts, first=20_000_000,
                            until=lambda: job.poll() is not None)
            finally:
                job.wait()
        switch.refresh_from_db()
        connection.close()
        line = (f"during switch: {load.count} inquiries while converting {switch.converted} leads in "
                f"{load.seconds:.1f} s ({switch.status}), {load.summary()}, {len(load.failures)} failed")
        self.stdout.write(line)
        if load.failures:
            self.stdout.write(f"  e.g. {load.failures[0]}")
        return line
