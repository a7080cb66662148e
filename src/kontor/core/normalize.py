"""Normalised forms of phones and e-mails: how Kontor recognises a customer it already knows.

Phones become E.164 (``+4930123456``) through phonenumberslite, reading numbers without a country
code in the configured default region. E-mails keep their local part unless it is plain ASCII, in
which case it is lower-cased (the rule Odoo's ``email_normalize`` uses); the domain is always
lower-cased. Matching is exact on these forms — never fuzzy.
"""

from __future__ import annotations

import re

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from kontor.core.errors import ErrorCode, KontorError

_PHONE_CHARS = re.compile(r"^[0-9+()\-./\s]+$|^[0-9+()\-./\s]+(?:ext\.?|x|#|;)\s*\d+$", re.IGNORECASE)


def default_region() -> str:
    """The region for numbers without a country code (``KONTOR_DEFAULT_PHONE_REGION``, ``DE``)."""
    return settings.KONTOR_DEFAULT_PHONE_REGION


def normalize_phone(value: str, *, region: str | None = None) -> str | None:
    """E.164 form of ``value``, or ``None`` when it is not a possible phone number."""
    text = (value or "").strip()
    if not text or not _PHONE_CHARS.match(text):
        return None
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, region or default_region())
    except phonenumbers.NumberParseException:
        return None
    # "Possible" checks the length per region; very short national numbers are typos, not phones.
    if not phonenumbers.is_possible_number(number) or len(str(number.national_number)) < 5:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def clean_phone(value: str, *, field: str = "phones", region: str | None = None) -> tuple[str, str]:
    """``(display value, E.164)`` for a phone a user typed, or a ``KontorError`` naming the field."""
    text = (value or "").strip()
    normalized = normalize_phone(text, region=region)
    if normalized is None:
        raise KontorError(ErrorCode.INVALID_PHONE, f"'{value}' is not a valid phone number", field=field)
    return text, normalized


def normalize_email(value: str) -> str | None:
    """Lower-cased, validated form of an e-mail address, or ``None`` when it is not one."""
    text = (value or "").strip()
    if not text or "@" not in text:
        return None
    try:
        validate_email(text)
    except ValidationError:
        return None
    local, _, domain = text.rpartition("@")
    if local.isascii():
        local = local.lower()
    return f"{local}@{domain.lower()}"


def clean_email(value: str, *, field: str = "emails") -> tuple[str, str]:
    """``(display value, normalised)`` for an e-mail a user typed, or a ``KontorError``."""
    text = (value or "").strip()
    normalized = normalize_email(text)
    if normalized is None:
        raise KontorError(ErrorCode.INVALID_EMAIL, f"'{value}' is not a valid e-mail address", field=field)
    return text, normalized


def normalize_title(value: str) -> str:
    """Case-folded, whitespace-collapsed company title used to find an existing company."""
    return " ".join((value or "").split()).casefold()
