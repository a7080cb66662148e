"""Secrets never reach a log: the facade's webhook secret is masked in every log record.

A Bitrix24 webhook carries its credential in the path (``/rest/<user id>/<secret>/<method>``), so
any line that names the path — Django's ``Unauthorized: /rest/…`` and ``Not Found: …`` warnings,
gunicorn's access log, an integration's own logging — would hand the credential to whoever reads
the logs. :func:`install` wraps the log-record factory of the process, so every record is masked
when it is made, whatever logger or handler it goes to; :class:`GunicornLogger` does the same for
gunicorn's access log explicitly (``kontor serve`` passes it as ``--logger-class``).
"""

from __future__ import annotations

import logging
import re
from typing import Any

from gunicorn.glogging import Logger

#: ``/rest/<id>/<secret>`` (also URL-encoded or at the end of the path): the secret is replaced.
SECRET_IN_PATH = re.compile(r"(/rest/\d+/)[^/\s?#\"']+")
MASK = r"\1***"


def mask(text: str) -> str:
    """``text`` with every facade path secret replaced by ``***``."""
    return SECRET_IN_PATH.sub(MASK, text) if "/rest/" in text else text


def mask_record(record: logging.LogRecord) -> logging.LogRecord:
    """Mask the formatted message of ``record`` in place (args merged into it when it changes)."""
    try:
        message = record.getMessage()
    except Exception:  # a broken format string is the logging module's to report, not ours
        return record
    masked = mask(message)
    if masked != message:
        record.msg, record.args = masked, None
    return record


_installed = False


def install() -> None:
    """Mask every record this process creates from now on (idempotent)."""
    global _installed
    if _installed:
        return
    make = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return mask_record(make(*args, **kwargs))

    logging.setLogRecordFactory(factory)
    _installed = True


class MaskSecretsFilter(logging.Filter):
    """The same masking as a logging filter, for handlers configured outside Kontor's process."""

    def filter(self, record: logging.LogRecord) -> bool:
        mask_record(record)
        return True


class GunicornLogger(Logger):
    """gunicorn's logger with the secret masked in every access-log field (request line, URL, referer)."""

    def atoms(self, resp, req, environ, request_time):  # type: ignore[no-untyped-def]
        return {key: mask(value) if isinstance(value, str) else value
                for key, value in super().atoms(resp, req, environ, request_time).items()}
