"""Currencies, amounts and counts in the user's language, from Babel (CLDR data), not typed by hand.

- ``is_currency``: the one check of a currency code, used wherever a currency is cleaned (native API,
  Bitrix24 facade, products, web forms). Babel knows every ISO 4217 code, current and withdrawn, so
  "DEM" in an old import is accepted and "XYZ" is not.
- ``currency_choices``: the currencies in use today, with their names in the active language, for
  the web forms' select.
- ``parse_amount``: "12.500,50" (de) / "12,500.50" (en) → ``Decimal("12500.50")``; text that
  cannot be read one way in this language ("12500.50" in German, "12500,50" in English) is an
  error, never a guess.
- ``MAX_AMOUNT``: the bound of every stored amount (deal/lead amounts, product prices, product row
  totals and discounts): SQLite keeps a decimal column as a double and Django reads it back rounded to
  15 significant digits, so 13 integer digits and the cents are what both databases give back exactly
  (a price of 9999999999999999.99 came back as 1E+16 and every read of that product was a 500).
- ``format_count`` / ``format_amount``: "135.000" / "12.500,50" (de), "135,000" / "12,500.50" (en).
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from babel import Locale
from babel.core import UnknownLocaleError, get_global
from babel.numbers import (
    NumberFormatError,
    format_decimal,
    get_currency_name,
    get_decimal_symbol,
    get_group_symbol,
    get_territory_currencies,
    list_currencies,
    parse_decimal,
)
from django.utils.translation import get_language, to_locale

#: Shown first in the currency select (the rest follows by name).
COMMON_CURRENCIES = ("EUR", "USD", "GBP", "CHF")

#: Spaces people use to group digits ("12 500,50"); removed before parsing.
_SPACES = re.compile(r"[\s\u00a0\u202f']")

MAX_AMOUNT = Decimal("1e13")
AMOUNT_RANGE = "between 0 and 9999999999999.99"


def babel_locale(language: str | None = None) -> str:
    """Babel's locale name of a Django language code ("de", "en-us" → "en_US"); English if unknown."""
    name = to_locale(language or get_language() or "en")
    try:
        Locale.parse(name)
    except (UnknownLocaleError, ValueError):
        return "en"
    return name


@lru_cache(maxsize=1)
def _all_codes() -> frozenset[str]:
    return frozenset(list_currencies())


def is_currency(code: Any) -> bool:
    """Whether ``code`` (any case, surrounding spaces allowed) is an ISO 4217 currency code."""
    return isinstance(code, str) and code.strip().upper() in _all_codes()


def currency_error(value: Any) -> str:
    """The one message for a currency that is no ISO 4217 code."""
    return f"'{str(value)[:20]}' is not an ISO 4217 currency code (such as EUR)"


@lru_cache(maxsize=1)
def current_currencies() -> tuple[str, ...]:
    """The codes some country uses today (CLDR's territory currencies, funds codes included)."""
    today = datetime.date.today()
    codes: set[str] = set()
    for territory in get_global("territory_currencies"):
        codes.update(get_territory_currencies(territory, start_date=today, non_tender=True))
    return tuple(sorted(codes & _all_codes()))


@lru_cache(maxsize=8)
def _choices(locale: str) -> tuple[tuple[str, str], ...]:
    def label(code: str) -> str:
        return f"{code} – {get_currency_name(code, locale=locale)}"

    rest = sorted((c for c in current_currencies() if c not in COMMON_CURRENCIES),
                  key=lambda c: get_currency_name(c, locale=locale).casefold())
    return tuple((c, label(c)) for c in (*COMMON_CURRENCIES, *rest))


def currency_choices(language: str | None = None, keep: str = "") -> list[tuple[str, str]]:
    """``[(code, "EUR – Euro")]`` in the language's names: the common ones first, then by name.
    ``keep`` (a stored code no longer in use, such as "DEM") is added so an edit form shows it."""
    locale = babel_locale(language)
    choices = list(_choices(locale))
    keep = (keep or "").strip().upper()
    if keep and keep not in {c for c, _label in choices}:
        name = get_currency_name(keep, locale=locale) if is_currency(keep) else keep
        choices.insert(0, (keep, f"{keep} – {name}"))
    return choices


class AmountError(ValueError):
    """Text that is no amount in the language; ``example`` shows how to write one."""

    def __init__(self, text: str, example: str):
        super().__init__(text)
        self.text, self.example = text, example


def amount_example(language: str | None = None) -> str:
    return format_amount(Decimal("12500.50"), language)


def parse_amount(text: str, language: str | None = None, *, places: int | None = 2) -> Decimal | None:
    """An amount typed in the language's notation; ``None`` for empty text.

    Grouping with spaces is allowed; a separator that does not fit the language ("12500.50" in
    German) or more than ``places`` decimals is an ``AmountError``."""
    raw = _SPACES.sub("", text or "")
    if not raw:
        return None
    locale = babel_locale(language)
    try:
        value = parse_decimal(raw, locale=locale, strict=True)
    except (NumberFormatError, InvalidOperation, ValueError):
        raise AmountError(text, amount_example(language)) from None
    if not value.is_finite():
        raise AmountError(text, amount_example(language))
    if places is not None:
        exponent = value.as_tuple().exponent
        if isinstance(exponent, int) and -exponent > places:
            raise AmountError(text, amount_example(language))
    return value


def format_amount(value: Any, language: str | None = None, places: int = 2) -> str:
    """``12.500,50`` (de) / ``12,500.50`` (en): grouped, with ``places`` decimals."""
    try:
        number = Decimal(str(value if value not in (None, "") else 0))
    except (InvalidOperation, ValueError):
        return str(value)
    pattern = "#,##0." + "0" * places if places else "#,##0"
    return format_decimal(number, format=pattern, locale=babel_locale(language))


def format_count(value: Any, language: str | None = None) -> str:
    """``135.000`` (de) / ``135,000`` (en)."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return str(value)
    return format_decimal(number, format="#,##0", locale=babel_locale(language))


def input_amount(value: Any, language: str | None = None) -> str:
    """A stored amount for an input: the language's decimal sign, no grouping ("12500,50")."""
    if value in (None, ""):
        return ""
    number = Decimal(str(value))
    locale = babel_locale(language)
    text = format(number.quantize(Decimal("0.01")) if number == number.quantize(Decimal("0.01")) else number, "f")
    return text.replace(".", get_decimal_symbol(locale))


def separators(language: str | None = None) -> tuple[str, str]:
    """(decimal sign, group sign) of the language."""
    locale = babel_locale(language)
    return get_decimal_symbol(locale), get_group_symbol(locale)
