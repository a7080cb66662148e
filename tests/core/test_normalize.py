"""Phone and e-mail normalisation: the keys duplicates are found by."""

import pytest

from kontor.core.errors import ErrorCode, KontorError
from kontor.core.normalize import clean_email, clean_phone, normalize_email, normalize_phone, normalize_title


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("030 1234567", "+49301234567"),  # German national format, default region DE
        ("(030) 123 45 67", "+49301234567"),
        ("+49 30 1234567", "+49301234567"),
        ("0049 30 1234567", "+49301234567"),
        ("0171/2345678", "+491712345678"),
        ("+1 (650) 253-0000", "+16502530000"),
        ("+44 20 7946 0958", "+442079460958"),
        ("+43 1 5880", "+4315880"),
    ],
)
def test_phone_formats_normalise_to_e164(raw, expected):
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize("raw", ["", "   ", "abc", "call me", "12", "+", "<script>", "0301234567890123456789"])
def test_garbage_is_not_a_phone(raw):
    assert normalize_phone(raw) is None


def test_region_reads_national_numbers():
    assert normalize_phone("020 7946 0958", region="GB") == "+442079460958"


def test_clean_phone_names_the_field():
    with pytest.raises(KontorError) as err:
        clean_phone("not a phone", field="phones")
    assert err.value.code == ErrorCode.INVALID_PHONE
    assert err.value.field == "phones"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Anna.Schmidt@Example.DE", "anna.schmidt@example.de"),
        ("  bob@EXAMPLE.com ", "bob@example.com"),
        ("info@Müller-Bau.de", "info@müller-bau.de"),
    ],
)
def test_email_normalises_case(raw, expected):
    assert normalize_email(raw) == expected


@pytest.mark.parametrize("raw", ["", "anna", "anna@", "@example.com", "a b@example.com", "anna@@x.de"])
def test_garbage_is_not_an_email(raw):
    assert normalize_email(raw) is None
    with pytest.raises(KontorError) as err:
        clean_email(raw)
    assert err.value.code == ErrorCode.INVALID_EMAIL


def test_company_titles_fold_case_and_space():
    assert normalize_title("  Müller   GmbH ") == normalize_title("MÜLLER gmbh")
