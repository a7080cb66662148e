"""``kontor send_notifications``: one pass of what the worker does every few seconds — the
activities' due reminders and the waiting notification e-mails (for cron, or without a worker)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from kontor.notifications.services import run_pass


class Command(BaseCommand):
    help = "Send due activity reminders and waiting notification e-mails once."

    def handle(self, *args, **options) -> None:
        done = run_pass()
        self.stdout.write(f"{done['reminders']} reminder(s), {done['mails']} e-mail(s) sent")
