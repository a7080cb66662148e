"""Access rights per role (issue 16, item 6): custom roles and departments narrow what a manager
sees and changes, through every path — native API, Bitrix24 facade (batch and filters included),
web UI lists, details, edit and kanban, exports — while the built-in admin and manager see all.

Two teams: North (Olga, restricted to her own deals; Dora, restricted to her department; Piet, a
built-in manager) and South (Sven, a built-in manager). One deal each for Olga, Piet and Sven.
"""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.test import Client

from kontor.accounts.models import Role
from kontor.accounts.roles import department_create, role_create, user_set_access
from kontor.accounts.services import token_create, user_create
from kontor.bitrix.services import webhook_create, webhook_path
from kontor.crm.models import Activity, Contact, Deal
from kontor.crm.services import activity_create, contact_create, deal_create

pytestmark = pytest.mark.django_db

ALL_KINDS = ("lead", "deal", "contact", "company", "activity")


def matrix(level: str, **overrides: dict[str, str]) -> dict[str, dict[str, str]]:
    out = {kind: {a: level for a in ("read", "add", "edit", "delete", "export")} for kind in ALL_KINDS}
    for kind, row in overrides.items():
        out[kind].update(row)
    return out


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


class Team:
    """The users, their clients and one deal each."""

    def __init__(self) -> None:
        self.admin = user_create(username="ada", password="x", role=Role.ADMIN)
        north = department_create(actor=None, name="North")
        south = department_create(actor=None, name="South")
        own = role_create(actor=None, name="Own records",
                          permissions=matrix("own", deal={"delete": "none", "export": "own"}))
        dept = role_create(actor=None, name="Department", permissions=matrix("department"))
        self.olga = self._user("olga", north, own)
        self.dora = self._user("dora", north, dept)
        self.piet = self._user("piet", north, None)
        self.sven = self._user("sven", south, None)
        self.deal_olga = deal_create(actor=self.olga, data={"title": "Olga's deal"})
        self.deal_piet = deal_create(actor=self.piet, data={"title": "Piet's deal"})
        self.deal_sven = deal_create(actor=self.sven, data={"title": "Sven's deal"})

    def _user(self, name, department, role):
        user = user_create(username=name, password="x", role=Role.MANAGER)
        return user_set_access(actor=None, user=user, department_id=department.pk,
                               access_role_id=role.pk if role else None)

    def api(self, user) -> ApiClient:
        _, raw = token_create(user=user)
        return ApiClient(raw)

    def hook(self, user) -> FacadeClient:
        webhook, raw = webhook_create(user=user, name="tests")
        return FacadeClient(webhook_path(webhook, raw))

    def web(self, user) -> Client:
        client = Client()
        client.force_login(user)
        return client


class ApiClient:
    """The native API with a user's bearer token."""

    def __init__(self, token: str) -> None:
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, path: str, **params):
        return self.client.get(path, params, headers=self.headers)

    def post(self, path: str, body: dict):
        return self.client.post(path, json.dumps(body), content_type="application/json", headers=self.headers)

    def patch(self, path: str, body: dict):
        return self.client.patch(path, json.dumps(body), content_type="application/json", headers=self.headers)

    def delete(self, path: str):
        return self.client.delete(path, headers=self.headers)


class FacadeClient:
    def __init__(self, base: str) -> None:
        self.base = base
        self.client = Client()

    def post(self, method: str, params: dict | None = None):
        return self.client.post(self.base + method, data=json.dumps(params or {}), content_type="application/json")

    def ok(self, method: str, params: dict | None = None):
        response = self.post(method, params)
        assert response.status_code == 200, response.content
        return response.json()["result"]


@pytest.fixture
def team() -> Team:
    return Team()


def titles(rows) -> set[str]:
    return {r.get("title") or r.get("TITLE") for r in rows}


# --- native API ----------------------------------------------------------------------------------


def test_api_lists_show_each_user_their_scope(team):
    everybody = {"Olga's deal", "Piet's deal", "Sven's deal"}
    assert titles(team.api(team.olga).get("/api/v1/deals").json()["items"]) == {"Olga's deal"}
    assert titles(team.api(team.dora).get("/api/v1/deals").json()["items"]) == {"Olga's deal", "Piet's deal"}
    assert titles(team.api(team.piet).get("/api/v1/deals").json()["items"]) == everybody  # built-in manager
    assert titles(team.api(team.admin).get("/api/v1/deals").json()["items"]) == everybody
    # A filter cannot reach around the scope.
    api = team.api(team.olga)
    assert api.get("/api/v1/deals", assigned_id=team.sven.pk).json()["items"] == []
    assert api.get("/api/v1/deals", q="Sven").json()["items"] == []


def test_api_detail_of_a_record_out_of_scope_is_the_404_of_a_missing_one(team):
    api = team.api(team.olga)
    assert api.get(f"/api/v1/deals/{team.deal_olga.pk}").status_code == 200
    hidden = api.get(f"/api/v1/deals/{team.deal_sven.pk}")
    missing = api.get("/api/v1/deals/987654")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["code"] == missing.json()["code"] == "not_found"
    assert team.api(team.dora).get(f"/api/v1/deals/{team.deal_piet.pk}").status_code == 200
    assert team.api(team.dora).get(f"/api/v1/deals/{team.deal_sven.pk}").status_code == 404


def test_api_update_and_delete_respect_the_scope(team):
    api = team.api(team.olga)
    assert api.patch(f"/api/v1/deals/{team.deal_sven.pk}", {"title": "Mine now"}).status_code == 404
    assert api.delete(f"/api/v1/deals/{team.deal_sven.pk}").status_code == 404
    assert api.patch(f"/api/v1/deals/{team.deal_olga.pk}", {"title": "Olga's big deal"}).status_code == 200
    # Visible but not deletable for her role: 403 that says why.
    denied = api.delete(f"/api/v1/deals/{team.deal_olga.pk}")
    assert denied.status_code == 403 and denied.json()["code"] == "permission_denied"
    # Handing her deal to somebody else would take it out of her scope.
    handed = api.patch(f"/api/v1/deals/{team.deal_olga.pk}", {"assigned_id": team.sven.pk})
    assert handed.status_code == 403
    assert Deal.objects.get(pk=team.deal_olga.pk).assigned_id == team.olga.pk
    assert Deal.objects.filter(pk=team.deal_sven.pk, title="Sven's deal").exists()
    # The department role may hand a deal within the department, and delete.
    dora = team.api(team.dora)
    assert dora.patch(f"/api/v1/deals/{team.deal_olga.pk}", {"assigned_id": team.piet.pk}).status_code == 200
    assert dora.patch(f"/api/v1/deals/{team.deal_piet.pk}", {"assigned_id": team.sven.pk}).status_code == 403
    assert dora.delete(f"/api/v1/deals/{team.deal_piet.pk}").status_code == 204


def test_api_create_only_within_the_add_scope(team):
    api = team.api(team.olga)
    assert api.post("/api/v1/deals", {"title": "For Sven", "assigned_id": team.sven.pk}).status_code == 403
    created = api.post("/api/v1/deals", {"title": "For me"})
    assert created.status_code == 201 and created.json()["assigned_id"] == team.olga.pk


def test_api_activities_are_scoped_by_their_responsible_and_records(team):
    mine = activity_create(actor=team.olga, data={"subject": "Call Olga's client",
                                                  "bindings": [{"entity": "deal", "id": team.deal_olga.pk}]})
    theirs = activity_create(actor=team.sven, data={"subject": "Call Sven's client",
                                                    "bindings": [{"entity": "deal", "id": team.deal_sven.pk}]})
    api = team.api(team.olga)
    assert [a["id"] for a in api.get("/api/v1/activities").json()["items"]] == [mine.pk]
    assert api.get(f"/api/v1/activities/{theirs.pk}").status_code == 404
    # Binding an activity to a deal she cannot see is the 404 of a missing deal.
    bound = api.post("/api/v1/activities", {"subject": "Sneak", "bindings": [{"entity": "deal",
                                                                              "id": team.deal_sven.pk}]})
    assert bound.status_code == 404
    assert not Activity.objects.filter(subject="Sneak").exists()


def test_api_export_holds_only_the_export_scope(team):
    api = team.api(team.olga)
    response = api.get("/api/v1/deals/export", format="csv", columns="title")
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert [r[0] for r in rows[1:]] == ["Olga's deal"]
    # A role without export: 403, not an empty file.
    contact_create(actor=team.olga, data={"name": "Erika"})
    role = team.olga.access_role
    role.permissions = matrix("own", contact={"export": "none"})
    role.save()
    denied = api.get("/api/v1/contacts/export")
    assert denied.status_code == 403


# --- Bitrix24 facade -----------------------------------------------------------------------------


def test_facade_list_get_update_filter_and_batch_are_scoped(team):
    bx = team.hook(team.olga)
    assert titles(bx.ok("crm.deal.list")) == {"Olga's deal"}
    assert bx.ok("crm.deal.list", {"filter": {"ASSIGNED_BY_ID": team.sven.pk}}) == []
    assert bx.ok("crm.deal.list", {"filter": {"%TITLE": "Sven"}}) == []
    hidden = bx.post("crm.deal.get", {"id": team.deal_sven.pk})
    missing = bx.post("crm.deal.get", {"id": 987654})
    assert hidden.status_code == missing.status_code == 400
    assert hidden.json() == missing.json()
    assert bx.post("crm.deal.update", {"id": team.deal_sven.pk, "fields": {"TITLE": "x"}}).status_code == 400
    assert bx.post("crm.deal.delete", {"id": team.deal_sven.pk}).status_code == 400
    assert Deal.objects.get(pk=team.deal_sven.pk).title == "Sven's deal"
    assert bx.ok("crm.deal.update", {"id": team.deal_olga.pk, "fields": {"TITLE": "Renamed"}}) is True
    # Visible but not deletable for her role, or handed out of her scope: Bitrix24's "Access denied."
    denied = bx.post("crm.deal.delete", {"id": team.deal_olga.pk})
    assert denied.status_code == 400 and denied.json()["error_description"] == "Access denied."
    handed = bx.post("crm.deal.update", {"id": team.deal_olga.pk, "fields": {"ASSIGNED_BY_ID": team.sven.pk}})
    assert handed.json()["error_description"] == "Access denied."
    assert Deal.objects.get(pk=team.deal_olga.pk).assigned_id == team.olga.pk
    items = bx.ok("crm.item.list", {"entityTypeId": 2})["items"]
    assert [i["id"] for i in items] == [team.deal_olga.pk]
    assert bx.post("crm.item.get", {"entityTypeId": 2, "id": team.deal_sven.pk}).status_code == 400
    out = bx.ok("batch", {"halt": 0, "cmd": {
        "list": "crm.deal.list",
        "theirs": f"crm.deal.get?id={team.deal_sven.pk}",
        "mine": f"crm.deal.get?id={team.deal_olga.pk}",
    }})
    assert [d["ID"] for d in out["result"]["list"]] == [str(team.deal_olga.pk)]
    assert "theirs" in out["result_error"] and out["result"]["mine"]["ID"] == str(team.deal_olga.pk)
    # The built-in manager of the other team keeps seeing everything.
    assert len(team.hook(team.sven).ok("crm.deal.list")) == 3


def test_facade_duplicate_search_does_not_reveal_records_out_of_scope(team):
    contact_create(actor=team.sven, data={"name": "Hidden", "phones": [{"value": "+49 30 1234567"}]})
    bx = team.hook(team.olga)
    assert bx.ok("crm.duplicate.findbycomm", {"type": "PHONE", "values": ["+49301234567"]}) == []
    assert team.hook(team.piet).ok("crm.duplicate.findbycomm", {"type": "PHONE", "values": ["+49301234567"]})


# --- web UI --------------------------------------------------------------------------------------


def test_web_list_detail_edit_and_kanban_are_scoped(team):
    web = team.web(team.olga)
    listed = web.get("/deals/?view=list").content.decode()
    assert "Olga&#x27;s deal" in listed and "Sven&#x27;s deal" not in listed and "Piet&#x27;s deal" not in listed
    board = web.get("/deals/?view=kanban").content.decode()
    assert "Olga&#x27;s deal" in board and "Sven&#x27;s deal" not in board
    assert web.get(f"/deals/{team.deal_olga.pk}/").status_code == 200
    assert web.get(f"/deals/{team.deal_sven.pk}/").status_code == 404
    assert web.get(f"/deals/{team.deal_sven.pk}/edit/").status_code == 404
    stage = team.deal_sven.stage
    assert web.post(f"/deals/{team.deal_sven.pk}/move/", {"stage_id": stage.pk}).status_code == 404
    everybody = team.web(team.piet).get("/deals/?view=list").content.decode()
    assert "Sven&#x27;s deal" in everybody and "Olga&#x27;s deal" in everybody


def test_web_contact_detail_lists_only_visible_deals(team):
    contact = contact_create(actor=team.olga, data={"name": "Shared"})
    Deal.objects.filter(pk__in=[team.deal_olga.pk, team.deal_sven.pk]).update(contact=contact)
    page = team.web(team.olga).get(f"/contacts/{contact.pk}/").content.decode()
    assert "Olga&#x27;s deal" in page and "Sven&#x27;s deal" not in page
    assert team.web(team.olga).get(f"/contacts/{Contact.objects.create(name='Other').pk}/").status_code == 404


def test_web_export_is_scoped(team):
    response = team.web(team.olga).get("/export/deals/?format=csv&columns=title")
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "Olga's deal" in text and "Sven's deal" not in text


@pytest.mark.parametrize("kind", ["lead", "contact", "company"])
def test_every_record_kind_is_scoped_in_api_facade_and_web(team, kind):
    from kontor.crm import services

    create = getattr(services, f"{kind}_create")
    field = {"lead": "title", "contact": "name", "company": "title"}[kind]
    mine = create(actor=team.olga, data={field: "Mine"})
    theirs = create(actor=team.sven, data={field: "Theirs"})
    plural = {"lead": "leads", "contact": "contacts", "company": "companies"}[kind]
    api = team.api(team.olga)
    assert [r["id"] for r in api.get(f"/api/v1/{plural}").json()["items"]] == [mine.pk]
    assert api.get(f"/api/v1/{plural}/{theirs.pk}").status_code == 404
    bx = team.hook(team.olga)
    assert [int(r["ID"]) for r in bx.ok(f"crm.{kind}.list")] == [mine.pk]
    assert bx.post(f"crm.{kind}.get", {"id": theirs.pk}).status_code == 400
    web = team.web(team.olga)
    assert web.get(f"/{plural}/{theirs.pk}/").status_code == 404
    assert web.get(f"/{plural}/{mine.pk}/").status_code == 200
    assert len(team.api(team.piet).get(f"/api/v1/{plural}").json()["items"]) == 2


def test_facade_activities_are_scoped(team):
    mine = activity_create(actor=team.olga, data={"subject": "Mine", "bindings": [{"entity": "deal",
                                                                                   "id": team.deal_olga.pk}]})
    theirs = activity_create(actor=team.sven, data={"subject": "Theirs", "bindings": [{"entity": "deal",
                                                                                       "id": team.deal_sven.pk}]})
    bx = team.hook(team.olga)
    assert [int(a["ID"]) for a in bx.ok("crm.activity.list")] == [mine.pk]
    assert bx.post("crm.activity.get", {"id": theirs.pk}).status_code == 400
    assert bx.post("crm.activity.delete", {"id": theirs.pk}).status_code == 400
    assert Activity.objects.filter(pk=theirs.pk).exists()


def test_web_edit_without_the_right_says_so_and_changes_nothing(team):
    role = team.olga.access_role
    role.permissions = matrix("own", deal={"edit": "none"})
    role.save()
    web = team.web(team.olga)
    form = web.get(f"/deals/{team.deal_olga.pk}/edit/")
    assert form.status_code == 200
    data = {k: v for k, v in form.context["form"].initial.items() if v is not None}
    data["title"] = "Changed"
    page = web.post(f"/deals/{team.deal_olga.pk}/edit/", data)
    assert page.status_code == 200 and "Ihre Rolle erlaubt das nicht." in page.content.decode()
    assert Deal.objects.get(pk=team.deal_olga.pk).title == "Olga's deal"


def test_global_search_finds_only_records_in_scope(team):
    contact_create(actor=team.sven, data={"name": "Sven's client"})
    contact_create(actor=team.olga, data={"name": "Olga's client"})
    page = team.web(team.olga).get("/search/", {"q": "client"}).content.decode()
    assert "Olga&#x27;s client" in page and "Sven&#x27;s client" not in page
    deals = team.web(team.olga).get("/search/", {"q": "deal"}).content.decode()
    assert "Olga&#x27;s deal" in deals and "Sven&#x27;s deal" not in deals
    everybody = team.web(team.piet).get("/search/", {"q": "client"}).content.decode()
    assert "Sven&#x27;s client" in everybody and "Olga&#x27;s client" in everybody


def test_web_delete_and_bulk_actions_stay_in_scope(team):
    web = team.web(team.dora)  # department role: may delete within North
    assert web.get(f"/deals/{team.deal_sven.pk}/delete/").status_code == 404
    assert web.post(f"/deals/{team.deal_sven.pk}/delete/").status_code == 404
    # A bulk reassignment naming a deal out of scope leaves that deal alone.
    web.post("/deals/bulk/", {"action": "assign", "assigned_id": team.dora.pk,
                              "ids": [team.deal_olga.pk, team.deal_sven.pk]})
    assert Deal.objects.get(pk=team.deal_olga.pk).assigned_id == team.dora.pk
    assert Deal.objects.get(pk=team.deal_sven.pk).assigned_id == team.sven.pk
    web.post("/deals/bulk/", {"action": "delete", "confirm": "1", "ids": [team.deal_sven.pk]})
    assert Deal.objects.filter(pk=team.deal_sven.pk).exists()


def test_duplicate_warnings_name_only_records_in_scope(team):
    contact_create(actor=team.sven, data={"name": "Hidden Twin", "emails": ["twin@example.org"]})
    mine = team.web(team.olga).get("/duplicates/contacts/", {"emails": "twin@example.org", "name": "Twin"})
    assert mine.status_code == 200 and "Hidden Twin" not in mine.content.decode()
    theirs = team.web(team.piet).get("/duplicates/contacts/", {"emails": "twin@example.org", "name": "Twin"})
    assert "Hidden Twin" in theirs.content.decode()
