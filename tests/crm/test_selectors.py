"""CRM list selectors: filters, search over normalised phones and e-mails, ordering."""

from __future__ import annotations

import pytest

from kontor.core.errors import KontorError
from kontor.crm.selectors import (
    activity_list,
    contact_list,
    deal_list,
    lead_list,
    record_bindings,
    record_communications,
)
from kontor.crm.services import activity_create, contact_create, deal_create, lead_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def contacts(admin_user):
    return [
        contact_create(actor=admin_user, data={"name": "Eva", "last_name": "Lang", "phones": ["0171 1234567"],
                                               "emails": ["eva.lang@firma.de"]}),
        contact_create(actor=admin_user, data={"name": "Tom", "last_name": "Kurz", "phones": ["+1 212 555 0100"]}),
    ]


@pytest.mark.parametrize(("q", "expected"), [
    ("+491711234567", [0]), ("0171 1234567", [0]), ("0171/123 45 67", [0]), ("+1 212 555 0100", [1]),
    ("EVA.LANG@FIRMA.DE", [0]), ("eva.lang@", [0]), ("kurz", [1]), ("a", [0]), ("zzz", []),
])
def test_contact_search(contacts, q, expected):
    found = list(contact_list(filters={"q": q}, order="id").values_list("pk", flat=True))
    assert found == [contacts[i].pk for i in expected]


def test_lead_search_by_id(admin_user):
    lead = lead_create(actor=admin_user, convert_in_simple_mode=False, data={"title": "Something"})
    assert list(lead_list(filters={"q": str(lead.pk)})) == [lead]


def test_unknown_order_field_is_a_validation_error():
    with pytest.raises(KontorError) as err:
        deal_list(order="secret_field")
    assert err.value.field == "order"


def test_record_communications_and_bindings_in_one_query_each(contacts, admin_user, django_assert_num_queries):
    deal = deal_create(actor=admin_user, data={"title": "D"})
    activity = activity_create(actor=admin_user, data={"subject": "s", "bindings": [
        {"entity": "deal", "id": deal.pk}, {"entity": "contact", "id": contacts[0].pk}]})
    with django_assert_num_queries(1):
        comms = record_communications(3, [c.pk for c in contacts])
    assert [c.normalized for c in comms[contacts[0].pk]["PHONE"]] == ["+491711234567"]
    assert [c.normalized for c in comms[contacts[0].pk]["EMAIL"]] == ["eva.lang@firma.de"]
    with django_assert_num_queries(1):
        bindings = record_bindings([activity.pk])
    assert bindings[activity.pk] == [{"entity": "deal", "id": deal.pk}, {"entity": "contact", "id": contacts[0].pk}]


@pytest.mark.parametrize("order", ["--id", "-", "", "id,,title"])
def test_malformed_order_is_a_validation_error(order):
    if order == "":  # no order: newest first
        assert deal_list(order=order).query.order_by == ("-id",)
        return
    with pytest.raises(KontorError) as err:
        deal_list(order=order)
    assert err.value.field == "order"


def test_order_follows_the_specs(admin_user):
    deal_create(actor=admin_user, data={"title": "B", "begindate": "2026-01-01"})
    deal_create(actor=admin_user, data={"title": "A", "begindate": "2026-02-01"})
    assert [d.title for d in deal_list(order="-begindate")] == ["A", "B"]
    assert [d.title for d in deal_list(order="title")] == ["A", "B"]


@pytest.mark.parametrize(("select", "filters", "field"), [
    (lead_list, {"no_such_field": "1"}, "no_such_field"),
    (lead_list, {"title__near": "x"}, "title__near"),
    (deal_list, {"semantic": "process"}, "semantic"),  # leads only
    (contact_list, {"uf_crm_undefined": "1"}, "uf_crm_undefined"),
    (activity_list, {"entity_type": "deal"}, "entity_type"),
])
def test_unknown_filter_is_a_validation_error_naming_it(select, filters, field):
    with pytest.raises(KontorError) as err:
        select(filters=filters)
    assert err.value.field == field


def test_filters_go_through_the_filter_engine(admin_user):
    a = lead_create(actor=admin_user, convert_in_simple_mode=False, data={"title": "A", "utm_source": "ads",
                                                                          "opportunity": 10})
    b = lead_create(actor=admin_user, convert_in_simple_mode=False, data={"title": "B", "status_id": "JUNK",
                                                                          "opportunity": 20})
    assert list(lead_list(filters={"utm_source": "ads"})) == [a]
    assert list(lead_list(filters={"opportunity__gt": "15"})) == [b]
    assert list(lead_list(filters={"status_id": "new,junk"}, order="id")) == [a, b]
    assert list(lead_list(filters={"status_id": ["NEW", "JUNK"]}, order="id")) == [a, b]
    assert list(lead_list(filters={"semantic": "failure"})) == [b]
    with pytest.raises(KontorError) as err:
        lead_list(filters={"semantic": "maybe"})
    assert err.value.field == "semantic"


@pytest.mark.parametrize("name", ["entity_id", "responsible_id", "completed"])
def test_a_malformed_activity_filter_is_a_validation_error_naming_it(name):
    """The web UI and the facade hand query strings to the selectors unparsed (the API's schema
    parses them first), so the selector names the filter itself."""
    filters = {"entity": "deal", "entity_id": "1", name: "abc"}
    with pytest.raises(KontorError) as err:
        list(activity_list(filters=filters))
    assert err.value.field == name
