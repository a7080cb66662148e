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


def lock_customer_keys(keys: Iterable[str]) -> None:
    """Serialise transactions that may create the same customer (PostgreSQL advisory locks)."""
    if connection.vendor != "postgresql":
        return
    ids = sorted({int.from_bytes(hashlib.blake2b(k.encode(), digest_size=8).digest(), "big", signed=True)
                  for k in keys if k})
    if not ids:
        return
    with connection.cursor() as cursor:
        for key in ids:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def customer_keys(*, phones: Iterable[str] = (), emails: Iterable[str] = (), company_title: str = "") -> list[str]:
    """The lock keys of an inquiry's normalised phones, e-mails and company title."""
    keys = [f"phone:{p}" for p in phones] + [f"email:{e}" for e in emails]
    if company_title:
        keys.append(f"company:{normalize_title(company_title)}")
    return keys


def contact_match(*, phones: Iterable[str] = (), emails: Iterable[str] = ()) -> Contact | None:
    """The oldest contact having one of these normalised phones or e-mails."""
    phones, emails = list(phones), list(emails)
    if not phones and not emails:
        return None
    comms = Communication.objects.filter(entity_type=EntityType.CONTACT)
    ids: list[int] = []
    if phones:
        ids += comms.filter(type=CommType.PHONE, normalized__in=phones).values_list("entity_id", flat=True)
    if emails:
        ids += comms.filter(type=CommType.EMAIL, normalized__in=emails).values_list("entity_id", flat=True)
    if not ids:
        return None
    return Contact.objects.filter(pk__in=ids).order_by("id").first()


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
