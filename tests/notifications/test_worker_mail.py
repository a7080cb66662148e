"""A real ``kontor db_worker`` sends the notification e-mails and the reminders, once, to a real SMTP
server — configured only through ``KONTOR_EMAIL_URL``/``KONTOR_EMAIL_FROM`` as an operator would."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import Inbox, free_port

pytestmark = pytest.mark.django_db(transaction=True)

SETUP = """
from datetime import timedelta
from django.utils import timezone
from kontor.accounts.services import user_create
from kontor.crm import services
anna = user_create(username="anna", email="anna@kontor.example", first_name="Anna", last_name="Berger")
anna.language = "en"; anna.save()
ben = user_create(username="ben", first_name="Ben", last_name="Cordes")
deal = services.deal_create(actor=ben, data={"title": "Worker deal", "assigned_id": anna.pk})
services.activity_create(actor=anna, data={"type": "call", "subject": "Call back", "responsible_id": anna.pk,
    "deadline": timezone.now() - timedelta(hours=1), "bindings": [{"entity": "deal", "id": deal.pk}]})
"""


def _wait(predicate, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError("timed out")


def test_worker_sends_mails_and_reminders_once(external_db, kontor_cli, tmp_path):
    from aiosmtpd.controller import Controller

    env, _query = external_db
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    env = {**env, "KONTOR_EMAIL_URL": f"smtp://127.0.0.1:{port}", "KONTOR_EMAIL_FROM": "crm@kontor.example",
           "KONTOR_NOTIFICATION_SWEEP_SECONDS": "0.3"}
    try:
        kontor_cli(env, "shell", "-c", SETUP)
        log = open(Path(tmp_path) / "worker.log", "w")  # noqa: SIM115 - closed below
        worker = subprocess.Popen([sys.executable, "-m", "kontor", "db_worker", "--no-startup-delay"], env=env,
                                  stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            _wait(lambda: len(inbox.to("anna@kontor.example")) >= 2)
            time.sleep(1.5)  # several more passes: nothing is sent twice
        finally:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(timeout=30)
            log.close()
    finally:
        controller.stop()
    subjects = sorted(inbox.subject(m) for m in inbox.to("anna@kontor.example"))
    assert len(subjects) == 2, subjects
    assert subjects[0].startswith("Kontor: Activity overdue since") and "Call back" in subjects[0]
    assert subjects[1] == "Kontor: Ben Cordes assigned “Worker deal” (Deal) to you."
    assert all(m["From"] == "crm@kontor.example" for m in inbox.messages)
