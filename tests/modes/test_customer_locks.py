"""An inquiry, and simple mode's conversion of a new lead, wait for a transaction that holds one of their
customer keys (PostgreSQL advisory locks): that is what keeps two of them from making the same contact or
company twice. The lock is taken here by hand and held, so the wait is seen for certain, not by chance of
timing as in test_concurrent_intake.py.

A key is ``phone:<E.164>``, ``email:<lower case>`` or ``company:<case-folded title>`` (the company only when
one is to be made); its lock id the first 8 bytes of its BLAKE2b digest, signed — every process must
agree on it."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import connection, connections, transaction

from kontor.crm.enums import CrmMode
from kontor.crm.models import Deal, Lead
from kontor.crm.services import lead_create
from kontor.modes.services import inquiry_accept

from .conftest import set_mode

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

CUSTOMER = {"name": "Gleich", "phones": ["+49 30 7771000"], "emails": ["Gleich@Example.org"],
            "company_title": "Gleich  GmbH"}
KEYS = ["phone:+49307771000", "email:gleich@example.org", "company:gleich gmbh"]
#: the inquiry and the new lead (converted at once in simple mode) of that customer
MAKE = {"inquiry": lambda actor: inquiry_accept(actor=actor, data={**CUSTOMER, "title": "Dach"}),
        "lead": lambda actor: lead_create(actor=actor, data={**CUSTOMER, "title": "Dach"})}


def _lock_id(key: str) -> int:
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big", signed=True)


@contextmanager
def _holding(key: str) -> Iterator[Any]:
    """``key``'s advisory lock, held by this test's connection until the block ends; yields its cursor."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_lock_id(key)])
        yield cursor


def _waits_for(key: str, action: Callable[[], Any]) -> Any:
    """Hold ``key``'s lock, run ``action`` in another thread (its own connection), see it wait for the
    lock, let go, and return what it returned."""
    lock = _lock_id(key) & 0xFFFFFFFFFFFFFFFF  # pg_locks shows a bigint key as two unsigned halves
    done: dict[str, Any] = {}

    def run() -> None:
        try:
            done["result"] = action()
        except BaseException as exc:  # handed to the test
            done["error"] = exc
        finally:
            connections.close_all()

    worker = threading.Thread(target=run)
    waited = False
    with _holding(key) as cursor:
        worker.start()
        deadline = time.monotonic() + 20
        while worker.is_alive() and not waited and time.monotonic() < deadline:
            cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND"
                           " classid = %s::oid AND objid = %s::oid AND objsubid = 1", [lock >> 32, lock & 0xFFFFFFFF])
            waited = cursor.fetchone()[0] > 0
            time.sleep(0.02)
        finished_early = not worker.is_alive()
    worker.join(60)
    if "error" in done:
        raise done["error"]
    assert waited and not finished_early, f"it did not wait for the lock of {key}"
    return done["result"]


@pytest.mark.parametrize("match", [False, True], ids=["without matching", "with matching"])
@pytest.mark.parametrize("key", KEYS)
def test_an_inquiry_waits_for_a_transaction_holding_one_of_its_customer_keys(admin_user, key, match):
    set_mode(CrmMode.SIMPLE, create_company=True, match_existing_customers=match)
    result = _waits_for(key, lambda: MAKE["inquiry"](admin_user))
    assert (result.deal.title, result.contact.name, result.company.title) == ("Dach", "Gleich", "Gleich  GmbH")


@pytest.mark.parametrize("match", [False, True], ids=["without matching", "with matching"])
def test_an_inquiry_with_only_a_company_waits_for_its_company_key(admin_user, match):
    set_mode(CrmMode.SIMPLE, create_company=True, match_existing_customers=match)
    result = _waits_for("company:gleich gmbh", lambda: inquiry_accept(actor=admin_user, data={
        "name": "Gleich", "company_title": "Gleich  GmbH"}))
    assert result.company.title == "Gleich  GmbH"


@pytest.mark.parametrize("key", KEYS)
def test_a_new_lead_in_simple_mode_waits_for_a_transaction_holding_one_of_its_customer_keys(admin_user, key):
    set_mode(CrmMode.SIMPLE, create_company=True)
    lead = _waits_for(key, lambda: MAKE["lead"](admin_user))
    converted = Lead.objects.get(pk=lead.pk)
    assert converted.deal_id is not None and converted.contact_id is not None and converted.company_id is not None


@pytest.mark.parametrize("made", list(MAKE))
def test_without_a_company_to_make_no_company_key_is_locked(admin_user, made):
    set_mode(CrmMode.SIMPLE, create_company=False)
    with _holding("company:gleich gmbh"):
        worker = threading.Thread(target=lambda: (MAKE[made](admin_user), connections.close_all()))
        worker.start()
        worker.join(20)  # it would wait for ever on the lock held here
        finished = not worker.is_alive()
    worker.join(60)
    assert finished, "it waited for a company key although it makes no company"
    assert Deal.objects.count() == 1
