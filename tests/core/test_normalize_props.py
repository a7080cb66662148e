"""Property tests of the matching keys: every way of writing one phone number or e-mail address gives
the same key, and different numbers or addresses give different keys."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from kontor.core.normalize import normalize_email, normalize_phone

#: German national significant numbers: Berlin (30 + 7-8 digits), Munich (89 + 7 digits), mobiles.
subscriber = st.text("0123456789", min_size=7, max_size=7).filter(lambda d: d[0] != "0")
nsn = st.one_of(st.builds("30{}".format, subscriber), st.builds("89{}".format, subscriber),
                st.builds("171{}".format, subscriber), st.builds("151{}".format, subscriber))
separator = st.sampled_from(["", " ", "-", "/", ".", "  "])


@st.composite
def written(draw, number: str) -> str:
    """``number`` (a German national significant number) as a person might type it."""
    prefix = draw(st.sampled_from(["0", "+49", "+49 ", "0049", "0049 ", "+49-"]))
    digits = list(number)
    groups, i = [], 0
    while i < len(digits):
        size = draw(st.integers(1, 4))
        groups.append("".join(digits[i:i + size]))
        i += size
    if prefix == "0" and draw(st.booleans()):
        head, *rest = groups
        text = f"(0{head})" + draw(separator) + draw(separator).join(rest)
    else:
        text = prefix + draw(separator).join(groups)
    return draw(st.sampled_from(["", " ", "\t"])) + text + draw(st.sampled_from(["", " "]))


@given(st.data(), nsn)
def test_any_writing_of_one_phone_number_gives_one_key(data, number):
    first, second = data.draw(written(number)), data.draw(written(number))
    assert normalize_phone(first) == normalize_phone(second) == f"+49{number}"


@given(st.data(), nsn, nsn)
def test_different_phone_numbers_give_different_keys(data, one, other):
    if one == other:
        return
    assert normalize_phone(data.draw(written(one))) != normalize_phone(data.draw(written(other)))


local = st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=12)
domain = st.builds("{}.{}".format, st.text("abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=10),
                   st.sampled_from(["de", "com", "org", "eu"]))
address = st.builds("{}@{}".format, local, domain)


@st.composite
def cased(draw, text: str) -> str:
    flips = draw(st.lists(st.booleans(), min_size=len(text), max_size=len(text)))
    text = "".join(c.upper() if f else c for c, f in zip(text, flips, strict=True))
    return draw(st.sampled_from(["", " ", "  "])) + text + draw(st.sampled_from(["", " ", "\n"]))


@given(st.data(), address)
def test_any_casing_of_one_email_gives_one_key(data, mail):
    assert normalize_email(data.draw(cased(mail))) == normalize_email(data.draw(cased(mail))) == mail


@given(st.data(), address, address)
def test_different_emails_give_different_keys(data, one, other):
    if one == other:
        return
    assert normalize_email(data.draw(cased(one))) != normalize_email(data.draw(cased(other)))
