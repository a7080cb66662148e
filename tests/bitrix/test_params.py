"""The PHP-style parameter parser: brackets, percent-decoding, merging, and never a crash."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kontor.bitrix.errors import RestError
from kontor.bitrix.params import as_list, get_param, parse_query, request_params


def test_brackets_nest_and_append():
    params = parse_query(
        "fields[TITLE]=Shop+order&fields[PHONE][0][VALUE]=%2B49+30+123&fields[PHONE][0][VALUE_TYPE]=WORK"
        "&select[]=ID&select[]=TITLE&order[ID]=DESC"
    )
    assert params["fields"]["TITLE"] == "Shop order"
    assert params["fields"]["PHONE"]["0"] == {"VALUE": "+49 30 123", "VALUE_TYPE": "WORK"}
    assert as_list(params["select"]) == ["ID", "TITLE"]
    assert params["order"] == {"ID": "DESC"}


def test_indexed_select_and_percent_encoded_keys():
    params = parse_query("select[0]=ID&select[1]=NAME&filter%5B%3EID%5D=10&filter[%3E%3DDATE_CREATE]=2024-01-01"
                         "&filter[%25TITLE]=a%26b")
    assert as_list(params["select"]) == ["ID", "NAME"]
    assert params["filter"] == {">ID": "10", ">=DATE_CREATE": "2024-01-01", "%TITLE": "a&b"}


def test_php_edge_cases():
    assert parse_query("a=1&a[b]=2") == {"a": {"b": "2"}}  # a later array replaces a scalar
    assert parse_query("[x]=1&=2&&b") == {"b": ""}  # keys without a name are dropped
    assert parse_query("a[b=1") == {"a": "1"}  # an unclosed bracket ends the key
    assert parse_query("x[]=1&x[5]=2&x[]=3") == {"x": {"0": "1", "5": "2", "6": "3"}}


def test_request_params_body_wins_and_invalid_json_is_empty():
    rf = RequestFactory()
    request = rf.post("/rest/1/x/crm.lead.list?start=50&filter[ID]=1", data='{"start": 100}',
                      content_type="application/json")
    assert request_params(request) == {"start": 100, "filter": {"ID": "1"}}
    broken = rf.post("/rest/1/x/crm.lead.list?start=50", data="{not json", content_type="application/json")
    assert request_params(broken) == {"start": "50"}
    form = rf.post("/rest/1/x/crm.lead.add", data="fields[TITLE]=A+B&fields[PHONE][0][VALUE]=1",
                   content_type="application/x-www-form-urlencoded")
    assert request_params(form) == {"fields": {"TITLE": "A B", "PHONE": {"0": {"VALUE": "1"}}}}
    multipart = rf.post("/rest/1/x/crm.lead.add", data={"fields[TITLE]": "Multi", "select[]": ["ID", "TITLE"]})
    assert request_params(multipart) == {"fields": {"TITLE": "Multi"}, "select": {"0": "ID", "1": "TITLE"}}


def test_case_tolerant_names():
    assert get_param({"FILTER": {"a": 1}}, "filter") == {"a": 1}
    assert get_param({"Filter": 1}, "filter") == 1
    assert get_param({"Id": 5}, "id") == 5
    assert get_param({"ID": 6}, "id") == 6


def test_too_deep_nesting_is_a_400():
    deep = '{"a":' * 100 + "1" + "}" * 100
    with pytest.raises(RestError) as exc:
        request_params(RequestFactory().post("/", data=deep, content_type="application/json"))
    assert exc.value.status == 400
    bracketed = "x" + "[a]" * 100 + "=1"
    assert request_params(RequestFactory().get("/?" + bracketed)) == {}  # PHP drops keys nested too deep


keys = st.text(st.characters(codec="utf-8"), max_size=30) | st.from_regex(
    r"[a-zA-Z%\[\]=!<>@]{0,3}[A-Za-z_]{1,8}(\[[^\]&=]{0,6}\]){0,4}", fullmatch=True)
values = st.text(max_size=30)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(keys, values), max_size=12), st.binary(max_size=200))
def test_parser_never_raises_anything_but_a_clean_400(pairs, body):
    from urllib.parse import quote

    query = "&".join(f"{quote(k, safe='[]')}={quote(v)}" for k, v in pairs)
    for content_type in ("application/json", "application/x-www-form-urlencoded", "text/plain",
                         "multipart/form-data; boundary=xyz"):
        request = RequestFactory().post(f"/rest/1/x/crm.lead.list?{query}", data=body, content_type=content_type)
        try:
            params = request_params(request)
        except RestError as exc:
            assert exc.status == 400 and exc.body()["error"]
            continue
        assert isinstance(params, dict)


@pytest.mark.django_db
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pairs=st.lists(st.tuples(keys, values), max_size=8),
       method=st.sampled_from(["crm.lead.list", "crm.deal.list", "crm.lead.add", "crm.contact.update",
                               "crm.activity.list", "crm.deal.get", "batch", "crm.status.list",
                               "crm.duplicate.findbycomm", "crm.activity.add", "crm.company.add"]))
def test_facade_answers_arbitrary_parameters_with_200_or_400(bx, pairs, method):
    from urllib.parse import quote

    query = "&".join(f"{quote(k, safe='[]')}={quote(v)}" for k, v in pairs)
    response = bx.form(method, query)
    assert response.status_code in (200, 400), response.content
    body = response.json()
    assert response["Content-Type"] == "application/json; charset=utf-8"
    if response.status_code == 400:
        assert "error" in body and "error_description" in body
    else:
        assert "error" not in body and "result" in body


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)
param_names = st.sampled_from(["id", "ID", "fields", "filter", "order", "select", "start", "cmd", "halt", "items",
                               "entityTypeId", "type", "values", "ownerTypeId", "ownerId", "deadline"])
field_names = st.sampled_from(["TITLE", "PHONE", "EMAIL", "STAGE_ID", "CATEGORY_ID", "CONTACT_IDS", "OPPORTUNITY",
                               ">ID", "%TITLE", "@ID", "!STATUS_ID", "OWNER_TYPE_ID", "OWNER_ID", "BINDINGS",
                               "COMPLETED", "ASSIGNED_BY_ID", "DEADLINE", "ENTITY_ID", "NAME", "SORT"])
structured = st.dictionaries(param_names, json_values | st.dictionaries(field_names, json_values, max_size=5),
                             max_size=5)


@pytest.mark.django_db
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(params=structured,
       method=st.sampled_from(["crm.lead.add", "crm.lead.list", "crm.deal.add", "crm.deal.list", "crm.deal.update",
                               "crm.contact.add", "crm.company.list", "crm.activity.add", "crm.activity.list",
                               "crm.activity.todo.add", "crm.deal.contact.items.set", "crm.category.add",
                               "crm.status.add", "crm.status.list", "crm.duplicate.findbycomm", "batch",
                               "crm.dealcategory.stage.list"]))
def test_facade_answers_arbitrary_json_with_200_or_400(bx, params, method):
    import json as _json

    response = bx.client.post(bx.base + method, data=_json.dumps(params), content_type="application/json")
    assert response.status_code in (200, 400), response.content
    body = response.json()
    assert ("error" in body) == (response.status_code == 400)
