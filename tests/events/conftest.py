"""A real HTTP receiver in the test process, and the worker run the way ``kontor db_worker`` runs."""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import call_command


class Receiver:
    """An HTTP server on 127.0.0.1 that records every POST; ``stop()``/``start()`` take it down and
    bring it back on the same port."""

    def __init__(self) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.requests: list[dict] = []
        self.server: ThreadingHTTPServer | None = None
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                with receiver.lock:
                    receiver.requests.append({"headers": {k.lower(): v for k, v in self.headers.items()},
                                              "body": body, "path": self.path})
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


@pytest.fixture
def receiver(monkeypatch):
    monkeypatch.setenv("KONTOR_WEBHOOKS_ALLOW_PRIVATE", "true")  # the receiver is on loopback
    r = Receiver()
    r.start()
    yield r
    r.stop()


@pytest.fixture
def run_worker():
    """Run the database worker until no task is due (``kontor db_worker --batch``)."""

    def run() -> None:
        call_command("db_worker", "--batch", "--no-startup-delay", "--interval", "0", verbosity=0)

    return run
