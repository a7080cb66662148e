"""Facade paging: pages of 50, ``next`` only while records remain, and pages that add up to the whole
ordered list for any total and any order, also when the sort keys repeat (the ``id`` tie-breaker)."""

from __future__ import annotations

import pytest
from django.db import transaction
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from kontor.bitrix.filters import build_order
from kontor.crm.models import Contact

PAGE = 50
FIELDS = {"ID": "id", "NAME": "name", "LAST_NAME": "last_name"}


def test_order_always_ends_with_id_in_the_last_direction():
    assert build_order({}, FIELDS) == ["id"]
    assert build_order({"NAME": "ASC"}, FIELDS) == ["name", "id"]
    assert build_order({"NAME": "desc"}, FIELDS) == ["-name", "-id"]
    assert build_order({"LAST_NAME": "DESC", "NAME": "asc"}, FIELDS) == ["-last_name", "name", "id"]
    assert build_order({"NAME": "ASC", "ID": "DESC"}, FIELDS) == ["name", "-id"]
    assert build_order({"NOPE": "ASC", "NAME": "sideways"}, FIELDS) == ["name", "id"]


@pytest.mark.parametrize("total", [0, 1, 49, 50, 51, 100, 101])
def test_next_only_while_records_remain(bx, total):
    Contact.objects.bulk_create([Contact(name=f"K{i}") for i in range(total)])
    start, seen = 0, 0
    while True:
        page = bx.call("crm.contact.list", {"select": ["ID"], "start": start})
        assert page["total"] == total
        seen += len(page["result"])
        if "next" not in page:
            break
        assert page["next"] == start + PAGE and len(page["result"]) == PAGE
        start = page["next"]
    assert seen == total and start == max(0, (total - 1) // PAGE * PAGE)


ORDERS = [
    {}, {"ID": "DESC"}, {"NAME": "ASC"}, {"NAME": "DESC"}, {"LAST_NAME": "DESC", "NAME": "ASC"},
    {"NAME": "DESC", "LAST_NAME": "ASC"}, {"NAME": "ASC", "ID": "DESC"},
]


def _expected(rows: list[tuple[int, str, str]], order: dict[str, str]) -> list[int]:
    """The ids in the facade's order, computed here: each key in turn, then ``id`` following the last
    direction (unless ``id`` is a key already)."""
    keys = [(k, v == "DESC") for k, v in order.items()]
    if "ID" not in order:
        keys.append(("ID", bool(keys) and keys[-1][1]))
    column = {"ID": 0, "NAME": 1, "LAST_NAME": 2}
    out = list(rows)
    for key, desc in reversed(keys):  # stable sorts, least significant key first
        out.sort(key=lambda r, c=column[key]: r[c], reverse=desc)
    return [r[0] for r in out]


@settings(max_examples=12, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
          deadline=None)
@given(names=st.lists(st.tuples(st.sampled_from(["Anna", "Bob", "Cem"]), st.sampled_from(["A", "B"])),
                      max_size=130),
       order=st.sampled_from(ORDERS))
@example(names=[("Anna", "A")] * 100, order={"NAME": "DESC"})
@example(names=[("Bob", "B")] * 50, order={})
def test_pages_add_up_to_the_ordered_list(bx, names, order):
    with transaction.atomic():
        Contact.objects.all().delete()
        made = Contact.objects.bulk_create([Contact(name=n, last_name=ln) for n, ln in names])
        if not made or made[0].pk is None:  # backends that do not return ids from bulk_create
            made = list(Contact.objects.order_by("id"))
        rows = [(c.pk, c.name, c.last_name) for c in made]
        ids: list[int] = []
        start = 0
        while True:
            page = bx.call("crm.contact.list", {"select": ["ID"], "order": order, "start": start})
            assert page["total"] == len(rows)
            ids += [int(r["ID"]) for r in page["result"]]
            if "next" not in page:
                break
            start = page["next"]
        assert ids == _expected(rows, order)
        transaction.set_rollback(True)
