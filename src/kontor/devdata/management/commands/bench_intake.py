"""``kontor bench_intake --contacts N --inquiries M [--concurrency C] [--fresh]``: the intake benchmark.

Fills the configured database with N contacts (each with a phone and an e-mail, set-based), puts
the CRM in simple mode, starts the web server (gunicorn, as ``kontor serve`` does) on a free local
port and sends M inquiries over HTTP from C client threads with keep-alive connections: every
second one is a known customer (their phone written another way, or their e-mail in capitals), the
others are new. It prints as its last line
``intake: <M> inquiries in <seconds> s (<rate> inquiries/s), p50 <ms> ms, p99 <ms> ms, <K> matched``.
The client runs on the same machine, so it takes part of the CPU the server could use.
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

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from kontor.accounts.services import token_create
from kontor.crm.enums import CrmMode
from kontor.crm.models import CrmSettings
from kontor.devdata.bulk import bench_user, crm_data_wipe, demo_contacts_bulk_create, percentile
from kontor.modes.services import active_switch


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


class Command(BaseCommand):
    help = "Fill N contacts and time inquiries over HTTP in simple mode."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--contacts", type=int, required=True)
        parser.add_argument("--inquiries", type=int, default=5000)
        parser.add_argument("--concurrency", type=int, default=8, help="client threads")
        parser.add_argument("--web-workers", type=int, default=2, help="gunicorn worker processes")
        parser.add_argument("--web-threads", type=int, default=4, help="threads per gunicorn worker")
        parser.add_argument("--fresh", action="store_true", help="delete all CRM records first")

    def handle(self, *args, contacts: int, inquiries: int, concurrency: int, web_workers: int, web_threads: int,
               fresh: bool, **options) -> None:
        if contacts < 0 or inquiries < 1 or concurrency < 1:
            raise CommandError("--contacts must not be negative; --inquiries and --concurrency must be positive")
        self.stdout.write(f"database: {connection.vendor} {connection.settings_dict.get('NAME')}")
        if fresh:
            crm_data_wipe()
        if active_switch() is not None:
            raise CommandError("a CRM-mode switch is running on this database (use --fresh)")
        started = time.perf_counter()
        made = demo_contacts_bulk_create(contacts=contacts)
        self.stdout.write(f"fill: {made} contacts in {time.perf_counter() - started:.1f} s")
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("ANALYZE")
        CrmSettings.objects.filter(pk=1).update(mode=CrmMode.SIMPLE, match_existing_customers=True)
        _, token = token_create(user=bench_user(), name="bench_intake")
        connection.close()  # the server's processes open their own

        port = _free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "kontor.wsgi:application", "--bind", f"127.0.0.1:{port}",
             "--workers", str(web_workers), "--threads", str(web_threads), "--log-level", "warning"],
            env={**os.environ, "KONTOR_ALLOWED_HOSTS": "127.0.0.1,localhost"})
        try:
            _wait_for(port, server)
            latencies, matched, failures = self._fire(port, token, inquiries, concurrency, contacts)
        finally:
            server.terminate()
            server.wait(timeout=30)
        if failures:
            raise CommandError(f"{len(failures)} inquiries failed, e.g. {failures[0]}")
        seconds = self.elapsed
        p50, p99 = percentile(latencies, 0.5), percentile(latencies, 0.99)
        self.stdout.write(f"intake: {inquiries} inquiries in {seconds:.1f} s ({inquiries / seconds:.0f} inquiries/s), "
                          f"p50 {p50:.1f} ms, p99 {p99:.1f} ms, {matched} matched")

    def _fire(self, port: int, token: str, total: int, concurrency: int, contacts: int):
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        latencies: list[float] = []
        failures: list[str] = []
        matched = [0]
        lock = threading.Lock()
        counter = iter(range(total))

        def post(conn: http.client.HTTPConnection, body: dict) -> tuple[int, bytes]:
            conn.request("POST", "/api/v1/inquiries", body=json.dumps(body), headers=headers)
            response = conn.getresponse()
            return response.status, response.read()

        def client() -> None:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            try:
                while True:
                    with lock:
                        i = next(counter, None)
                    if i is None:
                        return
                    t = time.perf_counter()
                    status, content = post(conn, inquiry(i, contacts))
                    took = time.perf_counter() - t
                    with lock:
                        if status != 201:
                            failures.append(f"{status} {content[:200]!r}")
                        else:
                            latencies.append(took)
                            matched[0] += bool(json.loads(content)["contact_matched"])
            finally:
                conn.close()

        warm = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        for i in range(20):  # every server process imports and connects before the clock starts
            status, content = post(warm, {"title": f"Aufwärmen {i}", "name": "Warm"})
            if status != 201:
                raise CommandError(f"the server answered {status}: {content[:300]!r}")
        warm.close()
        threads = [threading.Thread(target=client) for _ in range(concurrency)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.elapsed = time.perf_counter() - started
        return latencies, matched[0], failures
