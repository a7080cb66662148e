"""The mail backend used when ``KONTOR_EMAIL_URL`` is unset: every message goes to the log."""

from __future__ import annotations

import logging

from django.core.mail.backends.base import BaseEmailBackend

log = logging.getLogger("kontor.mail")


class LogBackend(BaseEmailBackend):
    """Writes each message (recipients, subject, body) to the ``kontor.mail`` log instead of sending it."""

    def send_messages(self, email_messages) -> int:
        for message in email_messages:
            log.info("mail (KONTOR_EMAIL_URL is not set, so it is only logged) to %s: %s\n%s",
                     ", ".join(message.recipients()), message.subject, message.body)
        return len(email_messages)
