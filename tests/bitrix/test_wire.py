"""The facade on the wire: routing, statuses, envelopes, bracket parsing, filters, paging."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from kontor.accounts.models import User
from kontor.bitrix.models import Webhook
from kontor.bitrix.services import webhook_revoke
from kontor.crm.models import Lead

TIME_KEYS = {"start", "finish", "duration", "processing", "date_start", "date_finish", "operating",
             "operating_reset_at"}


def _leads(n: int, **kwargs) -> list[Lead]:
    return Lead.objects.bulk_create([Lead(title=f"Lead {i:03d}", status_id="NEW", **kwargs) for i in range(n)])


# --- routing -------------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["crm.lead.list", "crm.lead.list.json", "crm.lead.list/", "crm.lead.List.json",
                                    "CRM.LEAD.LIST/"])
def test_method_spellings_never_redirect(bx, classic_mode, suffix):
    for response in (bx.client.get(bx.base + suffix), bx.client.post(bx.base + suffix)):
        assert response.status_code == 200, response.content
        assert response.json()["result"] == []


def test_csrf_is_not_required(admin_hook, classic_mode):
    client = Client(enforce_csrf_checks=True)
    response = client.post(admin_hook + "crm.lead.add", data=json.dumps({"fields": {"TITLE": "No CSRF"}}),
                           content_type="application/json")
    assert response.status_code == 200
    assert isinstance(response.json()["result"], int)


def test_envelope_and_content_type(bx, classic_mode):
    response = bx.post("crm.lead.list")
    assert response["Content-Type"] == "application/json; charset=utf-8"
    body = response.json()
    assert set(body) == {"result", "total", "time"}
    assert set(body["time"]) == TIME_KEYS
    reset = body["time"]["operating_reset_at"]
    assert isinstance(reset, int) and reset > body["time"]["start"]
    assert 0 <= body["time"]["operating"] <= body["time"]["duration"]
    assert body["time"]["date_start"][10] == "T" and body["time"]["date_start"][-6] in "+-"
    assert body["time"]["finish"] >= body["time"]["start"]


# --- errors --------------------------------------------------------------------------------------


def _error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json; charset=utf-8"
    body = response.json()
    assert body["error"] == code
    assert body["error_description"]
    assert "result" not in body
    return body


def test_unknown_method_is_404_even_before_auth(bx, admin_user):
    body = _error(bx.post("crm.nothing.list"), 404, "ERROR_METHOD_NOT_FOUND")
    assert body["error_description"] == "Method not found!"
    _error(Client().post(f"/rest/{admin_user.pk}/wrongsecret/crm.nothing.list"), 404, "ERROR_METHOD_NOT_FOUND")
    for path in ("/rest/", f"/rest/{admin_user.pk}/", f"/rest/{admin_user.pk}/abc/", "/rest/1/2/3/4",
                 "/rest/1/abc/crm.lead.list.json/extra"):
        _error(Client().get(path), 404, "ERROR_METHOD_NOT_FOUND")


def test_bad_credentials_are_401(bx, admin_user, admin_hook, manager_user):
    secret = admin_hook.split("/")[3]
    _error(Client().post(f"/rest/{admin_user.pk}/wrongsecret/crm.lead.list"), 401, "INVALID_CREDENTIALS")
    _error(Client().post(f"/rest/{manager_user.pk}/{secret}/crm.lead.list"), 401, "INVALID_CREDENTIALS")
    _error(Client().post(f"/rest/abc/{secret}/crm.lead.list"), 401, "INVALID_CREDENTIALS")
    _error(Client().post("/rest/crm.lead.list"), 401, "NO_AUTH_FOUND")
    _error(Client().post("/rest/crm.lead.list?auth=token"), 401, "INVALID_CREDENTIALS")


def test_revoked_webhook_and_inactive_user_are_401(bx, admin_user):
    assert bx.post("profile").status_code == 200
    webhook_revoke(webhook=Webhook.objects.get(user=admin_user))
    _error(bx.post("profile"), 401, "INVALID_CREDENTIALS")


def test_inactive_user_is_401(bx, admin_user):
    User.objects.filter(pk=admin_user.pk).update(is_active=False)
    _error(bx.post("profile"), 401, "INVALID_CREDENTIALS")


def test_crm_errors_are_400_with_empty_code(bx, classic_mode):
    assert _error(bx.post("crm.lead.get", {"id": 999}), 400, "")["error_description"] == "Not found"
    assert _error(bx.post("crm.lead.get", {}), 400, "")["error_description"] == "ID is not defined or invalid."
    assert _error(bx.post("crm.lead.get", {"id": "abc"}), 400, "")
    assert "fields" in _error(bx.post("crm.lead.add", {"fields": "TITLE"}), 400, "")["error_description"]
    _error(bx.post("crm.lead.add", {"fields": {"TITLE": ""}}), 400, "")  # service validation
    _error(bx.post("crm.contact.add", {"fields": {"NAME": "A", "EMAIL": [{"VALUE": "x", "VALUE_TYPE": "NOPE"}]}}),
           400, "")  # a malformed e-mail is stored as typed (test_leniency), an unknown type is not
    body = _error(bx.post("crm.lead.list", {"order": "ID"}), 400, "")
    assert body["error_description"] == "Parameter 'order' must be array."


def test_manager_cannot_change_settings(bx_manager):
    body = _error(bx_manager.post("crm.category.add", {"entityTypeId": 2, "fields": {"name": "X"}}), 400, "")
    assert body["error_description"] == "Access denied."
    _error(bx_manager.post("crm.status.add", {"fields": {"ENTITY_ID": "STATUS", "STATUS_ID": "X", "NAME": "X"}}),
           400, "")
    assert bx_manager.post("crm.category.list", {"entityTypeId": 2}).status_code == 200
    assert bx_manager.post("crm.deal.add", {"fields": {"TITLE": "Managers sell"}}).status_code == 200


def test_bad_parameters_are_400_error_argument(bx):
    body = _error(bx.post("crm.lead.list", {"filter": {"NOPE": 1}}), 400, "ERROR_ARGUMENT")
    assert "NOPE" in body["error_description"]


# --- parameters ----------------------------------------------------------------------------------


def test_form_body_with_brackets_and_plus(bx, classic_mode):
    response = bx.form("crm.lead.add", "fields[TITLE]=Shop+order+%231&fields[PHONE][0][VALUE]=%2B49+30+1234567"
                                       "&fields[PHONE][0][VALUE_TYPE]=MOBILE&fields[EMAIL][0][VALUE]=a%40b.de")
    lead_id = response.json()["result"]
    lead = bx.ok("crm.lead.get", {"id": lead_id})
    assert lead["TITLE"] == "Shop order #1"
    assert lead["PHONE"] == [{"ID": lead["PHONE"][0]["ID"], "VALUE_TYPE": "MOBILE", "VALUE": "+49 30 1234567",
                              "TYPE_ID": "PHONE"}]
    assert lead["EMAIL"][0]["VALUE"] == "a@b.de"


def test_get_query_with_percent_encoded_operators(bx, classic_mode):
    leads = _leads(5)
    query = f"filter%5B%3EID%5D={leads[1].pk}&select[]=ID&select[]=TITLE&order[ID]=ASC"
    rows = bx.get("crm.lead.list", query).json()["result"]
    assert [int(r["ID"]) for r in rows] == [lead.pk for lead in leads[2:]]
    assert set(rows[0]) == {"ID", "TITLE"}
    rows = bx.get("crm.lead.list", "filter[%25TITLE]=ad+00&select[0]=ID").json()["result"]
    assert len(rows) == 5


def test_query_merged_with_body_body_wins(bx, classic_mode):
    lead = _leads(1)[0]
    response = bx.client.post(f"{bx.base}crm.lead.get?id=999", data=json.dumps({"id": lead.pk}),
                              content_type="application/json")
    assert response.json()["result"]["ID"] == str(lead.pk)
    response = bx.client.post(f"{bx.base}crm.lead.get?id={lead.pk}", data="{broken", content_type="application/json")
    assert response.status_code == 200  # invalid JSON is "no parameters"; the query string still counts
    response = bx.client.get(f"{bx.base}crm.lead.get?ID={lead.pk}", content_type="application/json")
    assert response.json()["result"]["ID"] == str(lead.pk)


def test_multipart_body(bx, classic_mode):
    response = bx.client.post(bx.base + "crm.lead.add", data={"fields[TITLE]": "From a form",
                                                               "fields[NAME]": "Ada"})
    lead = bx.ok("crm.lead.get", {"id": response.json()["result"]})
    assert (lead["TITLE"], lead["NAME"]) == ("From a form", "Ada")


def test_case_tolerant_names_and_unknown_params(bx, classic_mode):
    lead = _leads(3)[1]
    assert bx.ok("crm.lead.get", {"Id": lead.pk, "start": 0, "__order": "order0000000000"})["ID"] == str(lead.pk)
    rows = bx.ok("crm.lead.list", {"FILTER": {"ID": lead.pk}, "SELECT": ["ID"]})
    assert rows == [{"ID": str(lead.pk)}]
    rows = bx.ok("crm.lead.list", {"Filter": {"id": lead.pk}})
    assert len(rows) == 1
    assert bx.ok("crm.lead.update", {"ID": lead.pk, "FIELDS": {"title": "lower-case keys"}}) is True
    assert Lead.objects.get(pk=lead.pk).title == "lower-case keys"
    # An unknown field is never dropped silently: its value would be lost.
    body = _error(bx.post("crm.lead.update", {"ID": lead.pk, "FIELDS": {"title": "lost?", "NOPE": 1}}), 400,
                  "ERROR_ARGUMENT")
    assert "NOPE" in body["error_description"]
    assert Lead.objects.get(pk=lead.pk).title == "lower-case keys"


# --- filters -------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", [
    "NOPE", "ID; DROP TABLE crm_lead", "TITLE) OR 1=1 --", "title__icontains", "status__semantic",
    "assigned__password", "ID'", ">>ID", "~ID",
])
def test_filter_whitelist_rejects_unknown_fields_and_sql(bx, classic_mode, key):
    _leads(2)
    body = _error(bx.post("crm.lead.list", {"filter": {key: "1"}}), 400, "ERROR_ARGUMENT")
    assert body["argument"] == "filter"
    assert Lead.objects.count() == 2


def test_filter_values_are_never_sql(bx, classic_mode):
    _leads(2)
    rows = bx.ok("crm.lead.list", {"filter": {"TITLE": "x' OR '1'='1"}})
    assert rows == []
    _error(bx.post("crm.lead.list", {"filter": {"ID": "1 OR 1=1"}}), 400, "ERROR_ARGUMENT")
    _error(bx.post("crm.lead.list", {"filter": {"%STATUS_ID": "NE"}}), 400, "ERROR_ARGUMENT")  # no LIKE on codes


def test_pattern_filters_are_sql_like_not_regular_expressions(bx, classic_mode):
    """Issue 16 (High): ``=%`` once became a regular expression run inside SQLite, and a pattern such
    as ``%a%a%a%a%b`` against a long title of ``a`` stalled every worker. It is plain LIKE now."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    slow = Lead.objects.create(title="a" * 255, status_id="NEW")
    odd = Lead.objects.create(title="50% off a.c \\ back", status_id="NEW")

    def found(flt: dict) -> list[int]:
        return sorted(int(r["ID"]) for r in bx.ok("crm.lead.list", {"filter": flt, "select": ["ID"]}))

    with CaptureQueriesContext(connection) as queries:
        assert found({"=%TITLE": "%a%a%a%a%b"}) == []
        assert found({"=%TITLE": "%a" * 127 + "b"}) == []
        assert found({"!=%TITLE": "%a%a%a%a%b"}) == [slow.pk, odd.pk]
        assert found({"%=TITLE": "a%a"}) == [slow.pk]
    sql = " ".join(q["sql"].upper() for q in queries.captured_queries)
    assert "REGEXP" not in sql and "LIKE" in sql
    # Only % and _ are wildcards; a dot, a backslash and other characters mean themselves.
    assert found({"=%TITLE": "%a.c%"}) == [odd.pk]
    assert found({"=%TITLE": "%a.b%"}) == []
    assert found({"=%TITLE": "%\\ back"}) == [odd.pk]
    assert found({"=%TITLE": "50_ OFF%"}) == [odd.pk]


def test_filter_operators(bx, classic_mode):
    leads = _leads(6)
    ids = [lead.pk for lead in leads]
    Lead.objects.filter(pk=ids[0]).update(title="Alpha Omega", status_id="JUNK")
    Lead.objects.filter(pk=ids[1]).update(title="alpha beta")

    def found(flt: dict) -> list[int]:
        return sorted(int(r["ID"]) for r in bx.ok("crm.lead.list", {"filter": flt, "select": ["ID"]}))

    assert found({"=ID": ids[2]}) == [ids[2]]
    assert found({"ID": str(ids[2])}) == [ids[2]]
    assert found({"!ID": ids[2]}) == [i for i in ids if i != ids[2]]
    assert found({"!=ID": ids[2]}) == [i for i in ids if i != ids[2]]
    assert found({">ID": ids[3]}) == ids[4:]
    assert found({">=ID": ids[3]}) == ids[3:]
    assert found({"<ID": ids[2]}) == ids[:2]
    assert found({"<=ID": ids[2]}) == ids[:3]
    assert found({"@ID": [ids[0], ids[5]]}) == [ids[0], ids[5]]
    assert found({"ID": [ids[0], ids[5]]}) == [ids[0], ids[5]]
    assert found({"!@ID": [ids[0], ids[5]]}) == ids[1:5]
    assert found({"%TITLE": "ALPHA"}) == ids[:2]
    assert found({"=%TITLE": "alpha%"}) == ids[:2]
    assert found({"%=TITLE": "%omega"}) == [ids[0]]
    assert found({"=%TITLE": "alpha_beta"}) == [ids[1]]
    assert found({"!%TITLE": "alpha"}) == ids[2:]
    assert found({"STATUS_ID": "JUNK"}) == [ids[0]]
    assert found({"STATUS_SEMANTIC_ID": "F"}) == [ids[0]]
    assert found({"@STATUS_SEMANTIC_ID": ["P"]}) == ids[1:]
    assert found({">=DATE_CREATE": "2000-01-01T00:00:00+00:00", "<DATE_CREATE": "2100-01-01"}) == ids
    assert found({"%TITLE": "alpha", "!STATUS_ID": "JUNK"}) == [ids[1]]


def test_order_and_select(bx, classic_mode):
    leads = _leads(3)
    rows = bx.ok("crm.lead.list", {"order": {"ID": "desc"}, "select": ["ID"]})
    assert [int(r["ID"]) for r in rows] == [lead.pk for lead in reversed(leads)]
    rows = bx.ok("crm.lead.list", {"order": {"NOT_A_FIELD": "ASC"}, "select": ["*", "UF_*"]})
    assert [int(r["ID"]) for r in rows] == [lead.pk for lead in leads]
    assert "TITLE" in rows[0] and "PHONE" not in rows[0]
    rows = bx.ok("crm.lead.list", {"select": ["ID", "PHONE", "UF_CRM_NOTHING"]})
    assert set(rows[0]) == {"ID", "PHONE"}


# --- paging --------------------------------------------------------------------------------------


def test_paging_50_total_next_and_start_minus_one(bx, classic_mode):
    _leads(120)
    first = bx.call("crm.lead.list", {"select": ["ID"]})
    assert (len(first["result"]), first["total"], first["next"]) == (50, 120, 50)
    second = bx.call("crm.lead.list", {"select": ["ID"], "start": 50})
    assert (len(second["result"]), second["next"]) == (50, 100)
    last = bx.call("crm.lead.list", {"select": ["ID"], "start": 100})
    assert len(last["result"]) == 20 and "next" not in last and last["total"] == 120
    floored = bx.call("crm.lead.list", {"select": ["ID"], "start": 60})
    assert floored["result"] == second["result"]
    beyond = bx.call("crm.lead.list", {"select": ["ID"], "start": 500})
    assert beyond["result"] == [] and beyond["total"] == 120
    fast = bx.call("crm.lead.list", {"select": ["ID"], "start": -1, "order": {"ID": "ASC"},
                                     "filter": {">ID": first["result"][-1]["ID"]}})
    assert fast["total"] == 0 and "next" not in fast
    assert fast["result"] == second["result"]


def _queries(bx, method: str, params: dict) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert bx.post(method, params).status_code == 200
    return len(ctx.captured_queries)


def test_lists_cost_a_fixed_number_of_queries(bx, classic_mode):
    """No N+1: multi-fields of a page come in one query, stages and statuses are read once."""
    from kontor.crm.models import Communication, Deal, Pipeline

    def grow(n: int) -> None:
        leads = _leads(n)
        Communication.objects.bulk_create([Communication(entity_type=1, entity_id=lead.pk, type="PHONE",
                                                         value=f"+4930{lead.pk:07d}", normalized=f"+4930{lead.pk:07d}")
                                           for lead in leads])
        pipeline = Pipeline.objects.get(is_default=True)
        Deal.objects.bulk_create([Deal(title="D", pipeline=pipeline, stage=pipeline.stages.first())
                                  for _ in range(n)])

    grow(2)
    bx.post("profile")  # the first call of a webhook records its use; measure after that
    lead_small = _queries(bx, "crm.lead.list", {"select": ["*", "PHONE", "EMAIL"]})
    deal_small = _queries(bx, "crm.deal.list", {"filter": {"CATEGORY_ID": 0, "STAGE_ID": "NEW"}})
    fast_small = _queries(bx, "crm.deal.list", {"start": -1, "filter": {">ID": 0}, "order": {"ID": "ASC"}})
    grow(60)
    assert _queries(bx, "crm.lead.list", {"select": ["*", "PHONE", "EMAIL"]}) == lead_small
    assert _queries(bx, "crm.deal.list", {"filter": {"CATEGORY_ID": 0, "STAGE_ID": "NEW"}}) == deal_small
    assert _queries(bx, "crm.deal.list", {"start": -1, "filter": {">ID": 0}, "order": {"ID": "ASC"}}) == fast_small
    assert fast_small == deal_small - 1  # start=-1 runs no COUNT


def test_oversized_or_broken_bodies_are_400(bx, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 5
    data = {f"fields[F{i}]": "x" for i in range(10)}
    response = bx.client.post(bx.base + "crm.lead.add", data=data)  # multipart with too many fields
    assert response.status_code == 400 and response.json()["error"] == "ERROR_ARGUMENT"
    broken = bx.client.generic("POST", bx.base + "crm.lead.add", b"--xyz\r\nbroken",
                               content_type="multipart/form-data; boundary=xyz")
    assert broken.status_code == 400 and "error" in broken.json()  # no fields survive: nothing to add


def test_rest_root_without_slash_is_not_redirected(db):
    response = Client().get("/rest")
    assert response.status_code == 404 and response.json()["error"] == "ERROR_METHOD_NOT_FOUND"


# --- HTTP verbs, CORS, errors outside the view (issue 14) ------------------------------------------


def test_options_is_a_cors_preflight_and_runs_nothing(bx, classic_mode):
    response = bx.client.options(bx.base + "crm.lead.add.json?fields[TITLE]=Preflight",
                                 HTTP_ORIGIN="https://shop.example", HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
                                 HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type")
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "POST" in response["Access-Control-Allow-Methods"]
    assert "content-type" in response["Access-Control-Allow-Headers"]
    assert not Lead.objects.exists()


def test_head_never_writes(bx, classic_mode):
    response = bx.client.head(bx.base + "crm.lead.add.json?fields[TITLE]=Probe")
    assert response.status_code == 200
    assert not Lead.objects.exists()
    assert Client().head("/rest/1/wrongsecret/crm.lead.add").status_code == 401


def test_cors_headers_on_answers_and_errors(bx, classic_mode):
    for response in (bx.post("crm.lead.list"), bx.post("crm.nothing"), bx.post("crm.lead.get", {"id": 9})):
        assert response["Access-Control-Allow-Origin"] == "*"
        assert response["Access-Control-Allow-Headers"] == "origin, content-type, accept"


def test_other_verbs_are_json_405(bx, classic_mode):
    response = bx.client.put(bx.base + "crm.lead.add?fields[TITLE]=Put")
    _error(response, 405, "ERROR_METHOD_NOT_ALLOWED")
    assert not Lead.objects.exists()


def test_bad_host_is_json_400_under_rest(bx, settings):
    settings.ALLOWED_HOSTS = ["kontor.example"]
    response = Client().post(bx.base + "crm.lead.list", HTTP_HOST="evil.example")
    _error(response, 400, "ERROR_ARGUMENT")
    assert Client().get("/login/", HTTP_HOST="evil.example")["Content-Type"].startswith("text/html")


def test_uncaught_exception_is_json_500_with_an_id(bx, monkeypatch, caplog):
    from kontor.bitrix.registry import METHODS, lookup

    lookup("profile")  # the method modules are loaded, so the patch below is not overwritten
    monkeypatch.setitem(METHODS, "profile", lambda call: 1 / 0)
    body = _error(bx.post("profile"), 500, "INTERNAL_SERVER_ERROR")
    assert body["error_id"] in body["error_description"]
    assert body["error_id"] in caplog.text


# --- wrong types (issue 16) ----------------------------------------------------------------------


def test_true_and_decimal_strings_are_no_ids(bx, classic_mode):
    deal = bx.ok("crm.deal.add", {"fields": {"TITLE": "Keep me"}})
    for bad in (True, "1.0", 1.0, f"{deal}.0"):
        body = _error(bx.post("crm.deal.delete", {"id": bad}), 400, "")
        assert body["error_description"] == "ID is not defined or invalid."
    assert bx.ok("crm.deal.get", {"id": deal})["TITLE"] == "Keep me"


def test_non_finite_numbers_are_a_400_naming_the_parameter(bx, classic_mode):
    bx.ok("crm.lead.add", {"fields": {"TITLE": "One"}})
    for body, where in (('{"filter": {"ID": 1e400}}', "filter[ID]"), ('{"fields": {"OPPORTUNITY": -1e400}}',
                                                                     "fields[OPPORTUNITY]"),
                        ('{"id": NaN}', "id")):
        response = bx.client.post(bx.base + "crm.lead.list", data=body, content_type="application/json")
        assert _error(response, 400, "ERROR_ARGUMENT")["argument"] == where
