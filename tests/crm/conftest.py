"""Fixtures for the CRM domain tests."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """The user fixtures set passwords; the production hasher's deliberate slowness is no test subject."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
