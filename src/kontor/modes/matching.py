"""Finding a customer the CRM already knows: exact match on normalised phone / e-mail / title.

Matching is exact on the normalised forms (E.164 phone, lower-cased e-mail, case-folded company
title) and never fuzzy on names (odoo#55174). Two inquiries for the same new customer arriving at
once must not create two contacts: on PostgreSQL, ``lock_customer_keys`` takes a transaction-level
advisory lock per normalised key (sorted, so two transactions never wait on each other in a
circle); the second inquiry then waits, and finds the first one's contact once that commits. On
SQLite, writers are serialised by ``BEGIN IMMEDIATE`` (settings), which gives the same guarantee.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from django.db import connection

from kontor.core.normalize import normalize_title
from kontor.crm.enums import CommType, EntityType
from kontor.crm.models import Communication, Company, Contact

#: takes the advisory locks of ``customer_lock_ids`` in one statement, in sorted order
LOCK_SQL = "SELECT pg_advisory_xact_lock(k) FROM unnest(%s::bigint[]) AS k ORDER BY k"


def customer_lock_ids(keys: Iterable[str]) -> list[int]:
    """The sorted advisory-lock ids of these customer keys on PostgreSQL (none elsewhere)."""
    if connection.vendor != "postgresql":
        return []
    return sorted({int.from_bytes(hashlib.blake2b(k.encode(), digest_size=8).digest(), "big", signed=True)
                   for k in keys if k})


def lock_customer_keys(keys: Iterable[str]) -> None:
    """Serialise transactions that may create the same customer (PostgreSQL advisory locks)."""
    ids = customer_lock_ids(keys)
    if ids:
        with connection.cursor() as cursor:  # one round trip, the keys taken in sorted order
            cursor.execute(LOCK_SQL, [ids])


def customer_keys(*, phones: Iterable[str] = (), emails: Iterable[str] = (), company_title: str = "") -> list[str]:
    """The lock keys of an inquiry's normalised phones, e-mails and company title (a value that could
    not be normalised has an empty key: it never matches, so it locks nothing)."""
    keys = [f"phone:{p}" for p in phones if p] + [f"email:{e}" for e in emails if e]
    if company_title:
        keys.append(f"company:{normalize_title(company_title)}")
    return keys


def contact_match(*, phones: Iterable[str] = (), emails: Iterable[str] = ()) -> Contact | None:
    """The oldest contact having one of these normalised phones or e-mails (empty keys — values that
    could not be normalised — never match)."""
    from kontor.modes.intake import match_customer

    found = match_customer(phones=list(phones), emails=list(emails))
    return Contact.objects.filter(pk=found.contact_id).first() if found else None


def company_match(*, title: str) -> Company | None:
    """The oldest company whose case-folded title equals this one."""
    normalized = normalize_title(title)
    if not normalized:
        return None
    return Company.objects.filter(title_normalized=normalized).order_by("id").first()


def normalized_comms(*, entity_type: EntityType, entity_id: int) -> tuple[list[str], list[str]]:
    """A record's normalised phones and e-mails."""
    phones: list[str] = []
    emails: list[str] = []
    # Websites and messengers are not how a customer is recognised.
    for type_, normalized in Communication.objects.filter(
        entity_type=entity_type, entity_id=entity_id, type__in=(CommType.PHONE, CommType.EMAIL)
    ).values_list("type", "normalized"):
        (phones if type_ == CommType.PHONE else emails).append(normalized)
    return phones, emails
