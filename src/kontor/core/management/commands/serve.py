"""``kontor serve``: the web server (gunicorn) and the background worker (db_worker) together.

Ctrl-C (or SIGTERM) stops both. On an installation without users it first creates ``admin`` and
prints its password once. ``--certfile``/``--keyfile`` serve https (b24pysdk only speaks https).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from django.core.management.base import BaseCommand, CommandError

from kontor.accounts.services import admin_ensure


def count_setting(name: str, default: int) -> int:
    """A count of processes or threads from the environment variable ``name``: a whole number of at
    least 1, else a one-line error naming the variable and what it holds."""
    configured = os.environ.get(name, "").strip()
    if not configured:
        return default
    try:
        value = int(configured)
    except ValueError:
        value = 0
    if value < 1:
        raise CommandError(f"{name} must be a whole number of at least 1, not {configured!r}")
    return value


def web_threads_default() -> int:
    """Threads per web worker unless ``KONTOR_WEB_THREADS`` says otherwise: 4 on PostgreSQL, where
    a thread waiting for the database lets another one work; 1 on SQLite, where every write waits
    for the one write lock anyway and more threads only queue at it and for the interpreter lock
    (``kontor bench_intake``, 100,000 contacts, 8 clients: 2 × 1 threads 639 inquiries/s, p99
    23 ms; 2 × 4 threads 416/s, p99 113 ms)."""
    from django.db import connection

    return count_setting("KONTOR_WEB_THREADS", 1 if connection.vendor == "sqlite" else 4)


class Command(BaseCommand):
    help = "Run the web server and the background worker; Ctrl-C stops both."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default=os.environ.get("KONTOR_BIND", "127.0.0.1:8000"))
        parser.add_argument("--workers", type=int, default=None,
                            help="web server processes (default: KONTOR_WEB_WORKERS, else 2)")
        parser.add_argument("--threads", type=int, default=None,
                            help="threads per worker (default: 1 on SQLite, 4 on PostgreSQL)")
        parser.add_argument("--certfile", default=None, help="TLS certificate (PEM): serve https")
        parser.add_argument("--keyfile", default=None, help="TLS private key (PEM)")
        parser.add_argument("--no-worker", action="store_true", help="do not start the background worker")

    def handle(self, *args, bind, workers, threads, certfile, keyfile, no_worker, **options):
        if bool(certfile) != bool(keyfile):
            raise CommandError("--certfile and --keyfile go together")
        for option, value in (("--workers", workers), ("--threads", threads)):
            if value is not None and value < 1:
                raise CommandError(f"{option} must be at least 1, not {value}")
        workers = workers or count_setting("KONTOR_WEB_WORKERS", 2)
        threads = threads or web_threads_default()
        password = admin_ensure()
        scheme = "https" if certfile else "http"
        if password:
            self.stdout.write(self.style.SUCCESS(
                f"\nFirst start: created user 'admin' with password: {password}\n"
                "Write it down now; it is not shown again (change it after logging in).\n"
            ))
        self.stdout.write(f"Kontor on {scheme}://{bind}/  (log in as admin; API docs at /api/docs)")

        gunicorn = [
            sys.executable, "-m", "gunicorn", "kontor.wsgi:application", "--bind", bind,
            "--workers", str(workers), "--threads", str(threads), "--access-logfile", "-",
            # the access log masks the facade's webhook secrets (kontor.core.logmask)
            "--logger-class", "kontor.core.logmask.GunicornLogger",
            "--graceful-timeout", "5",
        ]
        if certfile:
            gunicorn += ["--certfile", certfile, "--keyfile", keyfile]
        env = dict(os.environ)
        if certfile:
            # Served over https directly: Secure cookies, HSTS and the redirect (README "Running in production").
            env.setdefault("KONTOR_HTTPS", "true")
        procs = [subprocess.Popen(gunicorn, env=env)]
        if not no_worker:
            procs.append(subprocess.Popen([sys.executable, "-m", "kontor", "db_worker", "--queue-name", "default"],
                                          env=env))

        stopping = False

        def stop(*_):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            while not stopping and all(p.poll() is None for p in procs):
                time.sleep(0.3)
        finally:
            for p in procs:
                if p.poll() is None:
                    p.send_signal(signal.SIGTERM)
            for p in procs:
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
        failed = [p.returncode for p in procs if p.returncode not in (0, -signal.SIGTERM, None)]
        if failed and not stopping:
            raise CommandError(f"a process exited with {failed[0]}")
