"""List envelopes, paging, filters, search and ordering of the record collections."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kontor.crm.models import Contact, Deal, Lead

pytestmark = pytest.mark.django_db


def test_envelope_and_paging(admin_api, make_company):
    for i in range(7):
        make_company(title=f"Firma {i}")
    first = admin_api.get("/api/v1/companies", limit=3).json()
    assert set(first) == {"items", "total", "has_more", "limit", "offset"}
    assert first["has_more"] is True
    assert (first["total"], first["limit"], first["offset"]) == (7, 3, 0)
    assert len(first["items"]) == 3
    rest = admin_api.get("/api/v1/companies", limit=3, offset=6).json()
    assert len(rest["items"]) == 1
    pages = [admin_api.get("/api/v1/companies", limit=3, offset=off).json() for off in (0, 3, 6)]
    seen = [c["id"] for p in pages for c in p["items"]]
    assert len(set(seen)) == 7
    assert admin_api.get("/api/v1/companies", offset=100).json()["items"] == []


def test_default_limit_is_50_and_newest_first(admin_api, make_contact):
    made = [make_contact(name=f"N{i}")["id"] for i in range(3)]
    page = admin_api.get("/api/v1/contacts").json()
    assert page["limit"] == 50
    assert [c["id"] for c in page["items"]] == made[::-1]


@pytest.mark.parametrize("collection", ["leads", "deals", "contacts", "companies", "activities"])
@pytest.mark.parametrize(("params", "field"), [({"limit": 501}, "limit"), ({"limit": 0}, "limit"),
                                               ({"offset": -1}, "offset"), ({"limit": "many"}, "limit"),
                                               ({"order": "password"}, "order")])
def test_bad_paging_or_order_is_422(admin_api, collection, params, field):
    response = admin_api.get(f"/api/v1/{collection}", **params)
    assert response.status_code == 422
    assert response.json()["field"] == field
    assert response.json()["code"] == "validation_error"


def test_limit_500_is_allowed(admin_api):
    assert admin_api.get("/api/v1/deals", limit=500).json()["limit"] == 500


def test_order_by_created_at(admin_api, make_contact):
    ids = [make_contact(name=n)["id"] for n in ("A", "B", "C")]
    now = timezone.now()
    for age, pk in zip((1, 3, 2), ids, strict=True):
        Contact.objects.filter(pk=pk).update(created_at=now - timedelta(days=age))
    newest_first = [c["id"] for c in admin_api.get("/api/v1/contacts", order="-created_at").json()["items"]]
    assert newest_first == [ids[0], ids[2], ids[1]]
    oldest_first = [c["id"] for c in admin_api.get("/api/v1/contacts", order="created_at").json()["items"]]
    assert oldest_first == newest_first[::-1]


def test_order_by_two_fields(admin_api, make_contact):
    make_contact(name="Zoe", last_name="Adler")
    make_contact(name="Anna", last_name="Adler")
    make_contact(name="Bert", last_name="Berg")
    names = [c["name"] for c in admin_api.get("/api/v1/contacts", order="last_name,name").json()["items"]]
    assert names == ["Anna", "Zoe", "Bert"]


def test_deal_filters(admin_api, default_pipeline, make_contact, make_company, manager_user):
    other = admin_api.post("/api/v1/pipelines", {"name": "Service"}).json()
    contact, company = make_contact(), make_company()
    won = default_pipeline.stages.get(code="WON")
    a = admin_api.post("/api/v1/deals", {"title": "A", "opportunity": 100}).json()
    b = admin_api.post("/api/v1/deals", {"title": "B", "stage_id": won.pk, "contact_id": contact["id"],
                                         "assigned_id": manager_user.pk}).json()
    c = admin_api.post("/api/v1/deals", {"title": "C", "pipeline_id": other["id"], "company_id": company["id"]}).json()

    def ids(**params):
        return sorted(d["id"] for d in admin_api.get("/api/v1/deals", **params).json()["items"])

    assert ids(pipeline_id=default_pipeline.pk) == [a["id"], b["id"]]
    assert ids(pipeline_id=other["id"]) == [c["id"]]
    assert ids(stage_id=won.pk) == [b["id"]]
    assert ids(assigned_id=manager_user.pk) == [b["id"]]
    assert ids(contact_id=contact["id"]) == [b["id"]]
    assert ids(company_id=company["id"]) == [c["id"]]
    assert ids(closed="true") == [b["id"]]
    assert ids(closed="false") == [a["id"], c["id"]]
    assert ids(pipeline_id=default_pipeline.pk, closed="false") == [a["id"]]
    assert admin_api.get("/api/v1/deals", pipeline_id=default_pipeline.pk).json()["total"] == 2
    assert admin_api.get("/api/v1/deals", pipeline_id="abc").status_code == 422
    titles = [d["title"] for d in admin_api.get("/api/v1/deals", order="-opportunity,title").json()["items"]]
    assert titles[0] == "A"


def test_lead_filters_and_search(admin_api, make_lead, manager_user):
    a = make_lead(title="Küchenplanung", name="Jörg", last_name="Bäcker", phones=["0171 2345678"],
                  emails=["joerg@baecker.de"])
    b = make_lead(title="Dachfenster", status_id="IN_PROCESS", assigned_id=manager_user.pk, source="WEB")
    c = make_lead(title="Spam", status_id="JUNK", company_title="Spam Ltd")

    def ids(**params):
        response = admin_api.get("/api/v1/leads", **params)
        assert response.status_code == 200, response.content
        return sorted(x["id"] for x in response.json()["items"])

    assert ids(status_id="IN_PROCESS") == [b["id"]]
    assert ids(status_id="junk") == [c["id"]]
    assert ids(semantic="process") == [a["id"], b["id"]]
    assert ids(semantic="failure") == [c["id"]]
    assert ids(assigned_id=manager_user.pk) == [b["id"]]
    assert ids(source="web") == [b["id"]]
    assert ids(q="küchen") == [a["id"]]
    assert ids(q="bäcker") == [a["id"]]
    if connection.vendor == "postgresql":  # SQLite's LIKE folds the case of ASCII letters only
        assert ids(q="BÄCKER") == [a["id"]]
    assert ids(q="spam ltd") == [c["id"]]
    assert ids(q="+49 171 2345678") == [a["id"]]  # phone in another format
    assert ids(q="01712345678") == [a["id"]]
    assert ids(q="JOERG@baecker.de") == [a["id"]]
    assert ids(q="nothing like this") == []
    assert admin_api.get("/api/v1/leads", semantic="maybe").status_code == 422


def test_contact_and_company_search(admin_api, make_contact, make_company):
    company = make_company(title="Schmidt & Söhne KG", phones=["+43 1 234 5678"])
    contact = make_contact(name="Ute", last_name="Schmidt", company_id=company["id"], emails=["ute@schmidt.at"])
    make_contact(name="Other", last_name="Person")
    assert [c["id"] for c in admin_api.get("/api/v1/contacts", q="schmidt").json()["items"]] == [contact["id"]]
    assert [c["id"] for c in admin_api.get("/api/v1/contacts", q="ute@schmidt.at").json()["items"]] == [contact["id"]]
    assert [c["id"] for c in admin_api.get("/api/v1/contacts", company_id=company["id"]).json()["items"]] == [
        contact["id"]]
    assert [c["id"] for c in admin_api.get("/api/v1/companies", q="+4312345678").json()["items"]] == [company["id"]]
    assert [c["id"] for c in admin_api.get("/api/v1/companies", q="söhne").json()["items"]] == [company["id"]]


def _queries(api, path) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert api.get(path).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("collection", ["leads", "contacts", "companies"])
def test_list_queries_do_not_grow_with_the_page(admin_api, classic_mode, collection):
    def make(i):
        data = {"phones": [f"030 1000{i:03d}"], "emails": [f"c{i}@example.de"]}
        names = {"leads": {"title": f"L{i}"}, "contacts": {"name": f"C{i}"}, "companies": {"title": f"F{i}"}}
        data |= names[collection]
        assert admin_api.post(f"/api/v1/{collection}", data).status_code == 201

    make(0)
    few = _queries(admin_api, f"/api/v1/{collection}")
    for i in range(1, 21):
        make(i)
    assert _queries(admin_api, f"/api/v1/{collection}") <= few


def test_deal_and_activity_list_queries_do_not_grow_with_the_page(admin_api, make_deal, make_contact):
    contact = make_contact()

    def make():
        deal = make_deal(contact_ids=[contact["id"]])
        admin_api.post("/api/v1/activities", {"subject": "x", "bindings": [{"entity": "deal", "id": deal["id"]},
                                                                          {"entity": "contact", "id": contact["id"]}]})

    make()
    few_deals, few_activities = _queries(admin_api, "/api/v1/deals"), _queries(admin_api, "/api/v1/activities")
    for _ in range(10):
        make()
    assert _queries(admin_api, "/api/v1/deals") <= few_deals
    assert _queries(admin_api, "/api/v1/activities") <= few_activities
    assert Deal.objects.count() == 11


def test_converted_leads_stay_listed(admin_api, make_lead):
    lead = make_lead()
    Lead.objects.filter(pk=lead["id"]).update(status_id="CONVERTED")
    assert [x["id"] for x in admin_api.get("/api/v1/leads", semantic="success").json()["items"]] == [lead["id"]]


LIST_ENDPOINTS = ["leads", "deals", "contacts", "companies", "activities", "pipelines", "pipelines/{pipeline}/stages",
                  "lead-statuses", "users", "users/me/tokens", "custom-fields"]


@pytest.mark.parametrize("collection", LIST_ENDPOINTS)
def test_unknown_query_parameter_is_422_naming_it(admin_api, default_pipeline, make_deal, collection):
    make_deal()  # something to list: an ignored parameter would answer it
    path = f"/api/v1/{collection.format(pipeline=default_pipeline.pk)}"
    assert admin_api.get(path).status_code == 200
    response = admin_api.get(path, no_such_field=1)
    assert response.status_code == 422, response.content
    assert response.json()["field"] == "no_such_field"
    assert "no_such_field" in response.json()["detail"]


@pytest.mark.parametrize("collection", ["leads", "deals", "contacts", "companies", "activities"])
@pytest.mark.parametrize("order", ["--id", "-", "id,", "+id", "id desc"])
def test_malformed_order_is_422_not_500(admin_api, collection, order):
    response = admin_api.get(f"/api/v1/{collection}", order=order)
    assert response.status_code == 422, response.content
    assert response.json()["field"] == "order"


def test_unknown_operator_and_unfilterable_field_are_422(admin_api):
    for params, field in [({"title__regex": "a"}, "title__regex"), ({"title__": "a"}, "title__"),
                          ({"closed__gt": "1"}, "closed"), ({"contact_ids__gt": "1"}, "contact_ids")]:
        response = admin_api.get("/api/v1/deals", **params)
        assert response.status_code == 422, (params, response.content)
        assert response.json()["field"] == field


def test_list_filter_by_assigned_in_and_ne(admin_api, make_contact, manager_user, admin_user):
    mine = make_contact(name="Mine")
    theirs = make_contact(name="Theirs", assigned_id=manager_user.pk)

    def ids(**params):
        return sorted(c["id"] for c in admin_api.get("/api/v1/contacts", **params).json()["items"])

    assert ids(assigned_id=f"{admin_user.pk},{manager_user.pk}") == [mine["id"], theirs["id"]]
    assert ids(assigned_id__ne=admin_user.pk) == [theirs["id"]]
    assert ids(name__in="Mine,Nobody") == [mine["id"]]


def test_empty_filter_value_means_the_field_is_empty(admin_api, make_contact, make_company):
    company = make_company()
    alone = make_contact(name="Alone")
    make_contact(name="Employed", company_id=company["id"])
    assert [c["id"] for c in admin_api.get("/api/v1/contacts", company_id="").json()["items"]] == [alone["id"]]
    assert [c["id"] for c in admin_api.get("/api/v1/contacts", post="", name="Alone").json()["items"]] == [alone["id"]]


@pytest.mark.parametrize(("params", "field"), [({"entity_id": "abc"}, "entity_id"),
                                               ({"responsible_id": "1.5"}, "responsible_id"),
                                               ({"entity": "deal"}, "entity_id"),
                                               ({"entity": "invoice", "entity_id": 1}, "entity"),
                                               ({"completed": "maybe"}, "completed")])
def test_bad_activity_filters_are_422_naming_the_filter(admin_api, params, field):
    response = admin_api.get("/api/v1/activities", **params)
    assert response.status_code == 422
    assert response.json()["field"] == field


def test_activities_of_one_record(admin_api, default_pipeline, make_deal):
    deal, other = make_deal(title="Mit Anruf"), make_deal(title="Ohne")
    bound = admin_api.post("/api/v1/activities", {"subject": "Anruf",
                                                  "bindings": [{"entity": "deal", "id": deal["id"]}]}).json()
    admin_api.post("/api/v1/activities", {"subject": "Anderes", "bindings": [{"entity": "deal", "id": other["id"]}]})
    page = admin_api.get("/api/v1/activities", entity="deal", entity_id=deal["id"]).json()
    assert [a["id"] for a in page["items"]] == [bound["id"]]
