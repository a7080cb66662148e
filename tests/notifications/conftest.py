"""A real SMTP server (aiosmtpd) on a free local port, and Django's SMTP backend pointed at it."""

from __future__ import annotations

import email
import logging
import socket
import threading
from email.message import Message

import pytest


class Inbox:
    """The messages the local SMTP server received (parsed), thread-safe."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd handler hook
        with self._lock:
            self.messages.append(email.message_from_bytes(envelope.original_content or envelope.content))
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[Message]:
        with self._lock:
            return [m for m, (_, rcpt) in zip(self.messages, self.envelopes, strict=True) if address in rcpt]

    @staticmethod
    def body(message: Message) -> str:
        payload = message.get_payload(decode=True)
        return payload.decode(message.get_content_charset() or "utf-8") if isinstance(payload, bytes) else ""

    @staticmethod
    def subject(message: Message) -> str:
        return str(email.header.make_header(email.header.decode_header(message["Subject"])))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def unused_port() -> int:
    return free_port()


@pytest.fixture
def smtp_server(settings):
    """A running SMTP server; Django's mail goes to it (as ``KONTOR_EMAIL_URL=smtp://127.0.0.1:PORT``)."""
    from aiosmtpd.controller import Controller

    from kontor.settings import _email_settings

    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP command
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    for key, value in _email_settings(f"smtp://127.0.0.1:{port}?timeout=5").items():
        setattr(settings, key, value)
    settings.DEFAULT_FROM_EMAIL = "crm@kontor.example"
    settings.KONTOR_BASE_URL = "https://crm.example.de"
    inbox.port = port  # type: ignore[attr-defined]
    yield inbox
    controller.stop()
