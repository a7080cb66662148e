"""Backups: a consistent snapshot of the running database, and putting one back.

SQLite: the online backup API (``sqlite3.Connection.backup``) copies every page in one step under
a read transaction, so the copy is the database as one committed moment saw it while the server
keeps writing (WAL lets it). PostgreSQL: ``pg_dump`` in its custom format, which also dumps from a
single snapshot (a repeatable-read transaction); ``pg_restore`` reads it back in one transaction.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connections
from django.utils import timezone

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"


class BackupError(Exception):
    """A backup or restore that cannot be done, with the reason for the user."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    vendor: str
    size: int


def _vendor(alias: str = "default") -> str:
    return connections[alias].vendor


def default_backup_path(vendor: str | None = None) -> Path:
    """``var/backups/kontor-YYYYMMDD-HHMMSS.{sqlite3,dump}``."""
    vendor = vendor or _vendor()
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    suffix = "sqlite3" if vendor == "sqlite" else "dump"
    return Path(settings.VAR_DIR) / "backups" / f"kontor-{stamp}.{suffix}"


def _sqlite_path(alias: str) -> str:
    name = str(connections[alias].settings_dict["NAME"])
    if name in ("", ":memory:") or name.startswith("file::memory:"):
        raise BackupError("the SQLite database lives in memory; there is no file to back up")
    return name


def _pg_env(alias: str) -> tuple[dict[str, str], str]:
    s = connections[alias].settings_dict
    env = {**os.environ}
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD")):
        if s.get(key):
            env[var] = str(s[key])
    return env, str(s["NAME"])


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BackupError(f"{name} is not installed (Debian: apt-get install postgresql-client)")
    return found


def database_backup(*, path: Path | None = None, alias: str = "default") -> BackupResult:
    """Write a consistent snapshot of the database to ``path`` (default: ``default_backup_path``)."""
    vendor = _vendor(alias)
    target = Path(path) if path else default_backup_path(vendor)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")  # never leave a half-written file under the name
    partial.unlink(missing_ok=True)
    if vendor == "sqlite":
        source = sqlite3.connect(_sqlite_path(alias), timeout=60)
        dest = sqlite3.connect(partial)
        try:
            # pages=-1: all pages in one step, so no writer's commit can fall between two steps.
            source.backup(dest, pages=-1)
        finally:
            dest.close()
            source.close()
    elif vendor == "postgresql":
        env, name = _pg_env(alias)
        done = subprocess.run([_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
                               f"--file={partial}", name], env=env, capture_output=True, text=True)
        if done.returncode != 0:
            partial.unlink(missing_ok=True)
            raise BackupError(f"pg_dump failed: {done.stderr.strip()}")
    else:
        raise BackupError(f"backups of {vendor} databases are not supported")
    partial.replace(target)
    return BackupResult(path=target, vendor=vendor, size=target.stat().st_size)


def backup_vendor(path: Path) -> str:
    """``sqlite`` or ``postgresql``: which kind of backup the file is (by its first bytes)."""
    try:
        with open(path, "rb") as f:
            head = f.read(16)
    except FileNotFoundError:
        raise BackupError(f"{path}: no such file") from None
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PGDUMP_MAGIC):
        return "postgresql"
    raise BackupError(f"{path} is neither a SQLite database nor a pg_dump custom-format file")


def database_restore(*, path: Path, alias: str = "default") -> None:
    """Replace the database's contents by the backup at ``path`` (made by ``database_backup``)."""
    path = Path(path)
    kind = backup_vendor(path)
    vendor = _vendor(alias)
    if kind != vendor:
        raise BackupError(f"{path} is a {kind} backup; the configured database is {vendor}")
    connections[alias].close()
    if vendor == "sqlite":
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            check = source.execute("PRAGMA integrity_check").fetchone()
            if not check or check[0] != "ok":
                raise BackupError(f"{path} is damaged: {check[0] if check else 'no answer'}")
            dest = sqlite3.connect(_sqlite_path(alias), timeout=60)
            try:
                # The backup API writes into the live file under its lock; readers see old or new, never a mix.
                source.backup(dest, pages=-1)
            finally:
                dest.close()
        finally:
            source.close()
    else:
        env, name = _pg_env(alias)
        done = subprocess.run([_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges",
                               "--single-transaction", "--exit-on-error", f"--dbname={name}", str(path)],
                              env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise BackupError(f"pg_restore failed: {done.stderr.strip()}")
