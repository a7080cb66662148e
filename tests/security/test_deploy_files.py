"""The systemd units in deploy/ start commands that exist, with the settings file the README names."""

from __future__ import annotations

import configparser
import shlex
from pathlib import Path

import pytest
from django.core.management import get_commands

UNITS = Path(__file__).resolve().parents[2] / "deploy" / "systemd"


@pytest.mark.parametrize("unit", ["kontor-web.service", "kontor-worker.service"])
def test_unit_runs_a_kontor_command(unit):
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.read(UNITS / unit)
    service = parser["Service"]
    argv = shlex.split(service["ExecStart"])
    assert argv[0].endswith("/.venv/bin/kontor") and argv[1] in get_commands()
    assert service["EnvironmentFile"] == "/srv/kontor/.env" and parser["Install"]["WantedBy"] == "multi-user.target"
