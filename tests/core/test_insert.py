"""``kontor.core.db.insert``, the hot path's INSERT: the rows it writes read back exactly as the
rows ``bulk_create`` writes from the same instances."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.forms.models import model_to_dict

from kontor.core.db import insert
from kontor.crm.enums import CommType, EntityType, TimelineKind
from kontor.crm.models import Communication, Contact, Deal, Pipeline, TimelineEntry

pytestmark = pytest.mark.django_db


def _deal(pipeline: Pipeline, contact: Contact, n: int) -> Deal:
    stage = pipeline.stages.order_by("sort").first()
    return Deal(title=f"Anfrage {n}", pipeline=pipeline, stage=stage, contact=contact, opportunity=Decimal("12.50"),
                currency="EUR", comments="Grüße\nzweite Zeile", uf={"uf_crm_weight": n, "uf_crm_tags": ["a", "ü"]})


def _stored(model, pk: int) -> dict:
    row = model_to_dict(model.objects.get(pk=pk))
    row.pop("id")
    return row


def test_inserted_rows_read_back_as_bulk_created_ones(admin_user):
    pipeline = Pipeline.objects.get(is_default=True)
    contact = Contact(name="Anna", last_name="Berg", created_by=admin_user)
    insert([contact])
    assert contact.pk is not None and not contact._state.adding
    twin = Contact(name="Anna", last_name="Berg", created_by=admin_user)
    Contact.objects.bulk_create([twin])
    got, want = _stored(Contact, contact.pk), _stored(Contact, twin.pk)
    assert got.pop("created_at") is not None and want.pop("created_at") is not None  # auto_now_add filled
    got.pop("updated_at"), want.pop("updated_at")
    assert got == want

    deals = [_deal(pipeline, contact, n) for n in range(3)]
    insert(deals)
    assert len({d.pk for d in deals}) == 3
    for n, deal in enumerate(deals):
        twin = _deal(pipeline, contact, n)
        Deal.objects.bulk_create([twin])
        got, want = _stored(Deal, deal.pk), _stored(Deal, twin.pk)
        for key in ("created_at", "updated_at"):
            got.pop(key), want.pop(key)
        assert got == want
        assert got["title"] == f"Anfrage {n}" and got["uf"]["uf_crm_tags"] == ["a", "ü"]


def test_one_statement_writes_many_rows_and_their_ids_match(django_assert_num_queries):
    contact = Contact(name="Bea")
    insert([contact])
    rows = [Communication(entity_type=EntityType.CONTACT, entity_id=contact.pk, type=CommType.EMAIL,
                          value=f"bea{n}@example.com", value_type="WORK", normalized=f"bea{n}@example.com")
            for n in range(5)]
    with django_assert_num_queries(1):
        insert(rows)
    for row in rows:
        assert Communication.objects.get(pk=row.pk).value == row.value
    entry = TimelineEntry(entity_type=EntityType.CONTACT, entity_id=contact.pk, kind=TimelineKind.CREATED,
                          data={"title": "x"})
    insert([entry])
    assert TimelineEntry.objects.get(pk=entry.pk).data == {"title": "x"}
    insert([])  # nothing to write: no statement


def test_auto_now_add_fields_are_filled(admin_user):
    from kontor.accounts.models import ApiToken

    token = ApiToken(user=admin_user, name="x", prefix="ktr_x", key_hash="0" * 64)
    insert([token])
    assert ApiToken.objects.get(pk=token.pk).created_at is not None
