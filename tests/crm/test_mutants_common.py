"""The input checks the inquiry intake (``kontor.modes.services.inquiry_accept``) shares with the record
services: amounts, currencies, phones and e-mails, and the messages a client sees when one is wrong.

Written against the mutants of ``kontor.crm.services.common`` that no test in the selection reached
(docs/mutation.md).
"""

from __future__ import annotations

import pytest

from kontor.core.errors import ErrorCode
from kontor.crm.enums import CommType
from kontor.crm.services.common import clean_amount, clean_communications, clean_currency

from .conftest import refusal


@pytest.mark.parametrize(("given", "stored"), [
    (None, "0"), ("", "0"), (0, "0.00"), ("0.5", "0.50"), ("1,5", "1.50"), (" 12.346 ", "12.35"), (7, "7.00"),
    ("9999999999999.99", "9999999999999.99"),
])
def test_amounts_are_read_with_two_decimals(given, stored):
    assert str(clean_amount(given)) == stored


@pytest.mark.parametrize("given", [True, "abc", "1.2.3", [1]])
def test_an_amount_that_is_no_number_is_refused_naming_the_field(given):
    err = refusal(lambda: clean_amount(given))
    assert (err.code, err.field, err.message) == (ErrorCode.VALIDATION, "opportunity", "opportunity must be a number")
    err = refusal(lambda: clean_amount(given, "amount"))
    assert (err.field, err.message) == ("amount", "amount must be a number")


@pytest.mark.parametrize("given", ["-0.01", -1, "NaN", "Infinity", "-Infinity", "1e13", "10000000000000",
                                   "9999999999999999.99"])
def test_an_amount_out_of_range_is_refused_naming_the_field(given):
    err = refusal(lambda: clean_amount(given))
    assert (err.code, err.field) == (ErrorCode.VALIDATION, "opportunity")
    assert err.message == "opportunity must be between 0 and 9999999999999.99"


@pytest.mark.parametrize(("given", "code"), [(None, "EUR"), ("", "EUR"), ("usd", "USD"), (" chf ", "CHF")])
def test_currencies_default_to_euro_and_are_upper_case(given, code):
    assert clean_currency(given) == code


def test_a_currency_that_is_no_iso_code_is_refused_naming_the_field():
    err = refusal(lambda: clean_currency("XYZ"))
    assert (err.code, err.field) == (ErrorCode.VALIDATION, "currency")
    assert err.message == "currency: 'XYZ' is not an ISO 4217 currency code (such as EUR)"
    err = refusal(lambda: clean_currency("EURO"))
    assert (err.field, err.message) == ("currency", "currency is longer than 3 characters")
    assert refusal(lambda: clean_currency("xyz", "CURRENCY_ID")).field == "CURRENCY_ID"


def test_phones_and_emails_are_normalised_and_none_means_unchanged():
    assert clean_communications(phones=None, emails=None) == {}
    only_phone = clean_communications(phones="030 1234567", emails=None)
    assert list(only_phone) == [CommType.PHONE]
    assert [(i["value"], i["normalized"]) for i in only_phone[CommType.PHONE]] == [("030 1234567", "+49301234567")]
    only_email = clean_communications(phones=None, emails=["A@B.de", "a@b.de"])
    assert list(only_email) == [CommType.EMAIL]
    assert [(i["value"], i["normalized"]) for i in only_email[CommType.EMAIL]] == [("A@B.de", "a@b.de")]
    both = clean_communications(phones=[], emails=[])
    assert both == {CommType.PHONE: [], CommType.EMAIL: []}


def test_a_bad_phone_or_email_is_refused_naming_its_field():
    err = refusal(lambda: clean_communications(phones=["abc"], emails=None))
    assert (err.code, err.field) == (ErrorCode.INVALID_PHONE, "phones")
    err = refusal(lambda: clean_communications(phones=None, emails=["nope"]))
    assert (err.code, err.field) == (ErrorCode.INVALID_EMAIL, "emails")
    err = refusal(lambda: clean_communications(phones=5, emails=None))
    assert (err.code, err.field, err.message) == (ErrorCode.VALIDATION, "phones", "phones must be a list")
    err = refusal(lambda: clean_communications(phones=None, emails=5))
    assert (err.code, err.field, err.message) == (ErrorCode.VALIDATION, "emails", "emails must be a list")
