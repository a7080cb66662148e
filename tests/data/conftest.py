"""Uploaded import files go to a temporary folder, not the installation's var/."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _imports_in_tmp(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
