"""Custom fields: defined per record kind, validated by type, stored, filtered through the one engine,
removed with their values."""

from __future__ import annotations

import pytest
from django.db import connection

from kontor.core.errors import KontorError
from kontor.crm.enums import EntityType
from kontor.crm.fields import spec_map
from kontor.crm.filtering import Op, condition
from kontor.crm.models import Deal
from kontor.crm.services import deal_create, deal_update
from kontor.crm.services.custom_fields import custom_field_create, custom_field_delete

pytestmark = pytest.mark.django_db


def _ids(qs) -> list[int]:
    return sorted(qs.values_list("pk", flat=True))


def test_values_are_typed_stored_and_filtered():
    custom_field_create(entity_type=EntityType.DEAL, code="shop_order", type="string", label_en="Shop order")
    custom_field_create(entity_type=EntityType.DEAL, code="UF_CRM_WEIGHT", type="integer")
    custom_field_create(entity_type=EntityType.DEAL, code="UF_CRM_DUE", type="date")
    size = custom_field_create(entity_type=EntityType.DEAL, code="UF_CRM_SIZE", type="enumeration",
                               items=["S", "M", "L"])
    medium = size.items.get(value="M")
    a = deal_create(data={"title": "A", "uf_crm_shop_order": "SO-1", "uf_crm_weight": "12",
                          "uf_crm_due": "05.12.2026", "uf_crm_size": "M"})
    b = deal_create(data={"title": "B", "uf_crm_shop_order": "SO-2", "uf_crm_weight": 40})
    c = deal_create(data={"title": "C"})
    a.refresh_from_db()
    assert a.uf == {"uf_crm_shop_order": "SO-1", "uf_crm_weight": 12, "uf_crm_due": "2026-12-05",
                    "uf_crm_size": medium.pk}
    assert c.uf is None

    specs = spec_map(EntityType.DEAL)

    def where(name: str, op: str, value) -> list[int]:
        return _ids(Deal.objects.filter(condition(EntityType.DEAL, specs[name], op, value)))

    assert where("uf_crm_shop_order", Op.EQ, "SO-2") == [b.pk]
    assert where("uf_crm_weight", Op.GT, 20) == [b.pk]
    assert where("uf_crm_weight", Op.LTE, "12") == [a.pk]
    assert where("uf_crm_weight", Op.EQ, None) == [c.pk]
    assert where("uf_crm_weight", Op.NE, 12) == [b.pk]  # like SQL, an empty value is neither equal nor unequal
    assert where("uf_crm_due", Op.GTE, "2026-12-01") == [a.pk]
    assert where("uf_crm_size", Op.EQ, "M") == [a.pk]
    assert where("uf_crm_shop_order", Op.CONTAINS, "o-") == sorted([a.pk, b.pk])
    assert where("uf_crm_weight", Op.IN, [12, 40]) == sorted([a.pk, b.pk])

    deal_update(deal=b, data={"uf_crm_weight": None})
    b.refresh_from_db()
    assert b.uf == {"uf_crm_shop_order": "SO-2"}


def test_bad_values_and_undefined_fields_name_the_field():
    custom_field_create(entity_type=EntityType.DEAL, code="UF_CRM_WEIGHT", type="integer", mandatory=True)
    with pytest.raises(KontorError) as err:
        deal_create(data={"title": "A", "uf_crm_weight": "heavy"})
    assert err.value.field == "uf_crm_weight"
    with pytest.raises(KontorError) as err:
        deal_create(data={"title": "A"})
    assert err.value.field == "uf_crm_weight" and "required" in err.value.message
    with pytest.raises(KontorError) as err:
        deal_create(data={"title": "A", "uf_crm_weight": 1, "uf_crm_nothing": "x"})
    assert err.value.field == "uf_crm_nothing"
    assert Deal.objects.count() == 0


def test_a_filter_on_a_custom_field_uses_its_index():
    custom_field_create(entity_type=EntityType.DEAL, code="UF_CRM_WEIGHT", type="integer")
    cond = condition(EntityType.DEAL, spec_map(EntityType.DEAL)["uf_crm_weight"], Op.EQ, 5)
    # unordered: a pkey scan for the ORDER BY would hide the filter index on a tiny table
    sql, params = Deal.objects.filter(cond).order_by().query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET enable_seqscan = off")
            cursor.execute("EXPLAIN " + sql, params)
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        plan = " ".join(str(row) for row in cursor.fetchall())
    assert "crm_deal_uf_crm_weight_idx" in plan


def test_deleting_a_field_removes_its_values():
    field = custom_field_create(entity_type=EntityType.DEAL, code="UF_CRM_WEIGHT", type="integer")
    custom_field_create(entity_type=EntityType.DEAL, code="UF_CRM_NOTE", type="string")
    deal = deal_create(data={"title": "A", "uf_crm_weight": 3, "uf_crm_note": "x"})
    other = deal_create(data={"title": "B", "uf_crm_weight": 4})
    custom_field_delete(field=field)
    deal.refresh_from_db()
    other.refresh_from_db()
    assert deal.uf == {"uf_crm_note": "x"}
    assert other.uf is None


def test_a_field_can_be_defined_after_records_were_written_in_the_same_transaction():
    # PostgreSQL refuses CREATE INDEX while deferred foreign-key checks are pending.
    deal = deal_create(data={"title": "A"})
    custom_field_create(entity_type=EntityType.DEAL, code="UF_CRM_LATE", type="string")
    deal_update(deal=deal, data={"uf_crm_late": "x"})
    deal.refresh_from_db()
    assert deal.uf == {"uf_crm_late": "x"}


def test_deleting_an_enumeration_item_clears_the_records_that_chose_it():
    from kontor.crm.services.custom_fields import custom_field_update

    size = custom_field_create(entity_type=EntityType.DEAL, code="UF_CRM_SIZE", type="enumeration",
                               items=["S", "M"])
    sizes = custom_field_create(entity_type=EntityType.DEAL, code="UF_CRM_SIZES", type="enumeration",
                                multiple=True, items=["S", "M"])
    small, medium = size.items.order_by("sort")
    many_small, many_medium = sizes.items.order_by("sort")
    a = deal_create(data={"title": "A", "uf_crm_size": small.pk, "uf_crm_sizes": [many_small.pk, many_medium.pk]})
    b = deal_create(data={"title": "B", "uf_crm_size": medium.pk, "uf_crm_sizes": [many_small.pk]})
    custom_field_update(field=size, data={"items": [{"id": small.pk, "delete": True}]})
    custom_field_update(field=sizes, data={"items": [{"id": many_small.pk, "delete": True}]})
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.uf == {"uf_crm_sizes": [many_medium.pk]}
    assert b.uf == {"uf_crm_size": medium.pk}
