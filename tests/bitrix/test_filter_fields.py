"""The facade's filter fields one by one: the ORM condition each value makes and the error each bad
value gets (the error names the ``filter`` argument, as Bitrix24's answer does)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db.models import Q

from kontor.bitrix.errors import RestError
from kontor.bitrix.filters import Field, mapped
from kontor.crm.filtering import Op


def refused(call) -> RestError:
    with pytest.raises(RestError) as caught:
        call()
    assert caught.value.status == 400 and caught.value.code == "ERROR_ARGUMENT"
    assert caught.value.body()["argument"] == "filter"
    return caught.value


def test_decimal_values_within_range():
    price = Field("price", kind="decimal")
    assert price.q(">", "12,50", "PRICE") == Q(price__gt=Decimal("12.50"))
    assert price.q("", "9999999999999999", "PRICE") == Q(price=Decimal("9999999999999999"))
    assert refused(lambda: price.q("", "1e16", "PRICE")).description == "Filter field 'PRICE' is out of range."
    assert refused(lambda: price.q("<", "NaN", "PRICE")).description == "Filter field 'PRICE' is out of range."


def test_text_stays_as_typed():
    assert Field("name", kind="str").q("", "Anna", "NAME") == Q(name="Anna")
    assert Field("name", kind="str").q("", "", "NAME") == Q(name="")
    assert Field("id").q("", "", "ID") == Q(id__isnull=True)
    assert Field("id").q("!", "7", "ID") == ~Q(id=7)


def test_operators_a_field_does_not_support_are_refused():
    flag = Field("active", kind="yn", compare=False)
    assert refused(lambda: flag.q(">", "Y", "ACTIVE")).description == "Filter field 'ACTIVE' does not support '>'."
    assert refused(lambda: Field("id").q("%", "1", "ID")).description == "Filter field 'ID' does not support '%'."


def test_mapped_fields_take_single_values_only():
    category = mapped("CATEGORY_ID", "pipeline_id", lambda raw: int(raw))
    assert category(Op.EQ, "3") == Q(pipeline_id__in=[3])
    error = refused(lambda: category(Op.IN, [[1, 2]]))
    assert error.description == "Filter field 'CATEGORY_ID' needs single values."
