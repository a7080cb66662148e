"""Live servers for the client tests: Django's threaded test server, plain or wrapped in TLS.

The TLS server runs in this process like pytest-django's ``live_server``, sharing an in-memory
SQLite connection with the test (or using the PostgreSQL test database), so it needs no internet
and no second database.
"""

from __future__ import annotations

import ssl

from django.core.servers.basehttp import ThreadedWSGIServer
from django.db import connections
from django.test.testcases import LiveServerThread


class TLSWSGIServer(ThreadedWSGIServer):
    """Django's threaded WSGI server, answering only https."""

    ssl_context: ssl.SSLContext

    def get_request(self):
        sock, addr = super().get_request()
        return self.ssl_context.wrap_socket(sock, server_side=True), addr


def start_tls_server(ssl_context: ssl.SSLContext) -> LiveServerThread:
    """Start an https test server on 127.0.0.1 (free port); ``thread.port`` says where."""
    server_class = type("BoundTLSWSGIServer", (TLSWSGIServer,), {"ssl_context": ssl_context})
    thread_class = type("TLSLiveServerThread", (LiveServerThread,), {"server_class": server_class})
    override = {c.alias: c for c in connections.all() if c.vendor == "sqlite" and c.is_in_memory_db()}
    from django.test.testcases import _StaticFilesHandler

    thread = thread_class("127.0.0.1", _StaticFilesHandler, connections_override=override)
    for conn in override.values():
        conn.inc_thread_sharing()
    thread.daemon = True
    thread.start()
    thread.is_ready.wait()
    if thread.error:
        raise thread.error
    return thread


def stop_tls_server(thread: LiveServerThread) -> None:
    thread.terminate()
    for conn in thread.connections_override.values():
        conn.dec_thread_sharing()
