"""Fixtures for the CRM domain tests."""

from __future__ import annotations

import pytest

from kontor.core.errors import KontorError


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """The user fixtures set passwords; the production hasher's deliberate slowness is no test subject."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def refusal(call) -> KontorError:
    """The KontorError ``call()`` raises (the test fails when it raises none)."""
    with pytest.raises(KontorError) as err:
        call()
    return err.value
