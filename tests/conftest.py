"""Shared fixtures: users with roles, API clients with tokens, database helpers."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from hypothesis import settings as hypothesis_settings

from kontor.accounts.models import Role
from kontor.accounts.services import token_create, user_create

# Property tests (Hypothesis): derandomised in CI (KONTOR_CI=1, set by .ci/run), so a run is repeatable
# and a red CI is not luck; locally each run explores new examples and keeps failing ones in
# .hypothesis/ (not committed).
hypothesis_settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
hypothesis_settings.register_profile("dev", deadline=None)
hypothesis_settings.load_profile("ci" if os.environ.get("KONTOR_CI") else "dev")


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """The SQLite test file is named by the pid of the process that runs the tests, not of the one
    that imported the settings: mutmut forks its test runs from a process that had imported them, and
    two of its children would otherwise create and drop the same file under each other. Django
    removes the file at the end; the writer queue's lock files (``kontor.core.sqlite``) go too."""
    from django.conf import settings

    test = settings.DATABASES["default"].get("TEST") or {}
    name = str(test.get("NAME") or "")
    ours = not os.environ.get("KONTOR_TEST_SQLITE") and Path(name).name.startswith("kontor-test-")
    if ours:
        test["NAME"] = name = str(Path(name).with_name(f"kontor-test-{os.getpid()}.sqlite3"))
    yield
    if ours:
        for suffix in (".lock", ".lock-wait"):
            Path(name + suffix).unlink(missing_ok=True)


_TEMPLATE = os.environ.get("KONTOR_TEST_DB_TEMPLATE")
if _TEMPLATE:

    @pytest.fixture(scope="session")
    def django_db_setup(request, django_db_blocker, django_db_modify_db_settings):
        """Mutation runs (``tests/mutation/run.py`` sets ``KONTOR_TEST_DB_TEMPLATE``): each of mutmut's
        test runs is a new pytest session, and migrating a new test database takes 5 s or more, longer
        than most mutants' tests. The first session migrates and keeps a copy; the others start from a
        copy of it (``migrate`` then finds nothing to do). SQLite: the copy is the file at that path.
        PostgreSQL: the copy is the database ``test_<name>_template``, the file only marks that this
        run made it (``run.py`` removes the file when a run starts), and each session gets a database
        of its own, named by its pid."""
        from django.db import connections

        if connections["default"].vendor == "postgresql":
            yield from _postgres_from_template(django_db_blocker, Path(_TEMPLATE))
            return
        from django.test.utils import setup_databases, teardown_databases

        template = Path(_TEMPLATE)
        name = Path(str(connections["default"].settings_dict["TEST"]["NAME"]))
        copied = template.exists()
        if copied:
            shutil.copyfile(template, name)
        with django_db_blocker.unblock():
            config = setup_databases(verbosity=0, interactive=False, keepdb=copied)
            if not copied:
                partial = template.with_name(f"{template.name}.{os.getpid()}")
                with sqlite3.connect(name) as source, sqlite3.connect(partial) as copy:
                    source.backup(copy)
                os.replace(partial, template)  # whole or not at all, if two sessions race here
        yield
        with django_db_blocker.unblock():
            teardown_databases(config, verbosity=0, keepdb=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{name}{suffix}").unlink(missing_ok=True)

    def _postgres_from_template(django_db_blocker, marker: Path):
        from django.db import connections
        from django.test.utils import setup_databases, teardown_databases

        conn = connections["default"]
        base = conn.settings_dict["NAME"]
        name = f"test_{base}_{os.getpid()}"
        template = f"test_{base}_template"
        conn.settings_dict["TEST"]["NAME"] = name

        def admin(sql: str) -> None:
            with conn._nodb_cursor() as cursor:
                cursor.execute(sql)

        with django_db_blocker.unblock():
            copied = marker.exists()
            if copied:
                admin(f'DROP DATABASE IF EXISTS "{name}"')
                admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
            config = setup_databases(verbosity=0, interactive=False, keepdb=copied)
            if not copied:
                conn.close()  # a template database must have no other connection
                admin(f'DROP DATABASE IF EXISTS "{template}"')
                admin(f'CREATE DATABASE "{template}" TEMPLATE "{name}"')
                marker.parent.mkdir(parents=True, exist_ok=True)
                marker.write_text(template)
        yield
        with django_db_blocker.unblock():
            teardown_databases(config, verbosity=0, keepdb=False)


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def pytest_collection_modifyitems(config, items):
    if is_postgres():
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: runs under `make test-postgres`")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _fresh_event_loop():
    """Each test gets its own current asyncio loop. The Bitrix24 clients' sync calls run on the current
    loop, and one client test closing it made the next one fail ("Event loop is closed") depending on
    the order the tests ran in."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    yield
    loop.close()


@pytest.fixture(autouse=True)
def _installation_defaults(request):
    """Transactional tests flush every table after they run, migration data included; put the
    defaults of a new installation back before each one, as a fresh install has them."""
    marker = request.node.get_closest_marker("django_db")
    transactional = marker is not None and marker.kwargs.get("transaction")
    if not (transactional or "transactional_db" in request.fixturenames):
        return
    request.getfixturevalue("transactional_db")
    from kontor.crm.seed import seed_defaults

    seed_defaults()


class ApiClient:
    """A Django test client that sends a bearer token and JSON, and decodes JSON answers."""

    def __init__(self, token: str | None = None, user=None) -> None:
        self.client = Client()
        self.token = token
        self.user = user

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def request(self, method: str, path: str, body: Any = None, **params):
        kwargs: dict[str, Any] = {"headers": self._headers()}
        if body is not None:
            kwargs["data"] = json.dumps(body) if not isinstance(body, str | bytes) else body
            kwargs["content_type"] = "application/json"
        if params:
            from urllib.parse import urlencode

            path = f"{path}?{urlencode(params, doseq=True)}"
        return getattr(self.client, method)(path, **kwargs)

    def get(self, path: str, **params):
        return self.request("get", path, **params)

    def post(self, path: str, body: Any = None, **params):
        return self.request("post", path, body if body is not None else {}, **params)

    def patch(self, path: str, body: Any = None):
        return self.request("patch", path, body if body is not None else {})

    def put(self, path: str, body: Any = None):
        return self.request("put", path, body if body is not None else {})

    def delete(self, path: str):
        return self.request("delete", path)


@pytest.fixture
def admin_user(db):
    return user_create(username="admin_test", password="admin-pass-123", role=Role.ADMIN,
                       first_name="Ada", last_name="Admin")


@pytest.fixture
def manager_user(db):
    return user_create(username="manager_test", password="manager-pass-123", role=Role.MANAGER,
                       first_name="Max", last_name="Manager")


@pytest.fixture
def manager_with_role(db):
    """Make a manager whose access role grants ``permissions`` — ``{"lead": {"read": "own", "add": "own"},
    …}``; a kind or action left out is not granted — and return them (``user=`` gives an existing user the
    role instead)."""
    from kontor.accounts.roles import role_create, user_set_access

    def make(permissions: dict[str, dict[str, str]], *, username: str = "restricted", user=None):
        role = role_create(actor=None, name=f"Role of {username if user is None else user.username}",
                           permissions=permissions)
        if user is None:
            user = user_create(username=username, password="x", role=Role.MANAGER)
        user_set_access(actor=None, user=user, access_role_id=role.pk)
        return user

    return make


@pytest.fixture
def admin_api(admin_user) -> ApiClient:
    _, raw = token_create(user=admin_user)
    return ApiClient(raw, admin_user)


@pytest.fixture
def manager_api(manager_user) -> ApiClient:
    _, raw = token_create(user=manager_user)
    return ApiClient(raw, manager_user)


@pytest.fixture
def anon_api(db) -> ApiClient:
    return ApiClient()


def run_kontor(env, *args, check=True, **kwargs):
    """``kontor ARGS`` in a subprocess with ``env`` (see ``external_db``)."""
    return subprocess.run([sys.executable, "-m", "kontor", *args], env=env, check=check, capture_output=True,
                          text=True, timeout=300, **kwargs)


@pytest.fixture
def external_db(tmp_path, transactional_db):
    """``(env, query)``: an environment for subprocesses and a function running one SQL query.

    The PostgreSQL test database, or a temporary SQLite file (the SQLite test database lives in memory).
    """
    env = {**os.environ, "KONTOR_VAR_DIR": str(tmp_path), "KONTOR_SWITCH_BATCH_SIZE": "100",
           "KONTOR_SWITCH_LEASE_SECONDS": "2", "KONTOR_SWITCH_PAUSE_SECONDS": "0.05", "PYTHONUNBUFFERED": "1"}
    if connection.vendor == "postgresql":
        s = connection.settings_dict
        env["DATABASE_URL"] = (f"postgresql://{s.get('USER') or ''}{':' + s['PASSWORD'] if s.get('PASSWORD') else ''}"
                               f"@{s.get('HOST') or '127.0.0.1'}:{s.get('PORT') or 5432}/{s['NAME']}")

        def query(sql):
            with connection.cursor() as cur:
                cur.execute(sql)
                return cur.fetchone()
    else:
        path = Path(tmp_path) / "external.sqlite3"
        env["DATABASE_URL"] = f"sqlite:///{path}"
        run_kontor(env, "migrate", "-v", "0")

        def query(sql):
            db = sqlite3.connect(path, timeout=30)
            try:
                return db.execute(sql).fetchone()
            finally:
                db.close()
    return env, query


@pytest.fixture
def kontor_cli():
    """``run_kontor(env, *args)``: the ``kontor`` command in a subprocess."""
    return run_kontor


# --- the browser (one per session, for every browser test in any directory) ---------------------

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def chromium_path() -> str | None:
    for candidate in (os.environ.get("KONTOR_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium"),
                      shutil.which("chromium-browser")):
        if candidate and os.path.exists(candidate):
            return candidate
    return None


@pytest.fixture(scope="session")
def browser():
    path = chromium_path()
    if path is None:
        message = "no Chromium found (install Debian's `chromium` package; /usr/bin/chromium)"
        if os.environ.get("KONTOR_CI") == "1":
            pytest.fail(f"browser tests need Chromium under CI: {message}")
        pytest.skip(message)
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def one_rate_window(monkeypatch):
    """The rate limits count in fixed windows of the clock (``kontor.core.throttle.hit``); a test whose
    requests straddle a window's end would see the count start again. This pins the limiter's clock in
    the middle of one window."""
    from types import SimpleNamespace

    from kontor.core import throttle

    monkeypatch.setattr(throttle, "time", SimpleNamespace(time=lambda: 1_800_000_030.0))


@pytest.fixture
def published():
    """``published(shape)``: a list that receives ``shape(event)`` for every event the code publishes
    (in its transaction, as the timeline and webhooks see them) until the test ends."""
    from kontor.events import bus

    listeners = []

    def listen(shape=lambda event: event) -> list:
        seen: list = []

        def capture(event) -> None:
            seen.append(shape(event))

        bus.subscribe("*", capture, phase=bus.Phase.IN_TRANSACTION)
        listeners.append(capture)
        return seen

    yield listen
    for capture in listeners:
        bus.unsubscribe("*", capture, phase=bus.Phase.IN_TRANSACTION)
