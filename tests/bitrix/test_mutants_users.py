"""user.get / user.search / app.info / server.time as integrations read them: the filters, the search,
the sort and the pages (behaviour the surviving mutants of ``kontor.bitrix.methods.users`` showed
untested, docs/mutation.md)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from kontor.accounts.models import Role, User
from kontor.accounts.services import user_create
from kontor.bitrix.mapping import dt

pytestmark = pytest.mark.django_db


def _error(response) -> tuple[str, str, str | None]:
    assert response.status_code == 400, response.content
    body = response.json()
    return body["error"], body["error_description"], body.get("argument")


def _logins(result) -> list[str]:
    return [u["LOGIN"] for u in result]


@pytest.fixture
def team(admin_user, manager_user):
    """admin_test (Ada Admin), manager_test (Max Manager) and three more, one of them inactive."""
    extra = [
        user_create(username="zora", password="zora-pass-123", role=Role.MANAGER, first_name="Zora",
                    last_name="Berg", email="zora@nord.example"),
        user_create(username="bert", password="bert-pass-123", role=Role.MANAGER, first_name="Bert",
                    last_name="Zander", email="bert@sued.example"),
        user_create(username="carla", password="carla-pass-123", role=Role.MANAGER, first_name="Carla",
                    last_name="Adler", email="carla@nord.example"),
    ]
    User.objects.filter(username="carla").update(is_active=False)
    return [admin_user, manager_user, *extra]


def test_filter_keys_beside_the_parameters_filter_too_and_the_filter_wins(bx, team):
    assert _logins(bx.ok("user.get", {"LOGIN": "zora"})) == ["zora"]
    assert _logins(bx.ok("user.get", {"!ID": team[0].pk})) == ["manager_test", "zora", "bert", "carla"]
    assert _logins(bx.ok("user.get", {">ID": team[3].pk})) == ["carla"]
    assert _logins(bx.ok("user.get", {"%NAME": "or"})) == ["zora"]  # "%" searches a part, like Bitrix24
    assert _logins(bx.ok("user.get", {"ACTIVE": "N"})) == ["carla"]
    # the same field in FILTER and beside it: FILTER's value counts
    assert _logins(bx.ok("user.get", {"FILTER": {"LOGIN": "bert"}, "LOGIN": "zora"})) == ["bert"]
    assert _logins(bx.ok("user.get", {"filter": {"EMAIL": "carla@nord.example"}})) == ["carla"]


def test_parameters_that_are_no_filter_are_not_read_as_one(bx, team):
    # "sort", "order" and "start" beside the filter keys control the list; they filter nothing
    result = bx.call("user.get", {"sort": "ID", "order": "DESC", "start": 0, "ADMIN_MODE": True})
    assert _logins(result["result"]) == ["carla", "bert", "zora", "manager_test", "admin_test"]
    assert result["total"] == 5


def test_an_unknown_filter_field_is_named_with_the_ones_kontor_knows(bx, team):
    assert _error(bx.post("user.get", {"FILTER": {"UF_DEPARTMENT": 1}})) == (
        "ERROR_ARGUMENT",
        "Filter field 'UF_DEPARTMENT' is not supported (Kontor knows ACTIVE, EMAIL, ID, LAST_NAME, LOGIN, NAME).",
        "filter")
    # a key beside the parameters that is no filter field is not taken for one (Bitrix24 ignores it too)
    assert len(bx.ok("user.get", {"UF_DEPARTMENT": 1})) == 5


def test_user_search_finds_every_word_in_name_last_name_email_or_login(bx, team):
    assert _logins(bx.ok("user.search", {"FIND": "nord"})) == ["zora", "carla"]  # e-mail
    assert _logins(bx.ok("user.search", {"FIND": "zander"})) == ["bert"]  # last name, any case
    assert _logins(bx.ok("user.search", {"FIND": "carl"})) == ["carla"]  # first name
    assert _logins(bx.ok("user.search", {"FIND": "_test"})) == ["admin_test", "manager_test"]  # login
    assert _logins(bx.ok("user.search", {"FIND": "nord zora"})) == ["zora"]  # every word must match
    assert bx.ok("user.search", {"FIND": "nord sued"}) == []
    assert _logins(bx.ok("user.search", {"FILTER": {"FIND": "bert"}})) == ["bert"]
    assert _logins(bx.ok("user.search", {"FILTER": {"FIND": ""}, "FIND": "zora"})) == ["zora"]
    assert len(bx.ok("user.search", {"FIND": ""})) == 5  # nothing to search for: everyone
    # only the first five words are searched
    assert _logins(bx.ok("user.search", {"FIND": "z z z z z nobody"})) == ["zora", "bert"]


def test_user_get_sorts_by_each_documented_field_either_way(bx, team):
    def order(sort, direction="ASC"):
        return _logins(bx.ok("user.get", {"sort": sort, "order": direction}))

    assert order("NAME") == ["admin_test", "bert", "carla", "manager_test", "zora"]
    assert order("name", "desc") == ["zora", "manager_test", "carla", "bert", "admin_test"]
    assert order("LAST_NAME") == ["carla", "admin_test", "zora", "manager_test", "bert"]
    assert order("EMAIL")[-2:] == ["carla", "zora"]  # carla@nord… < zora@nord…; empty e-mails first
    assert order("LOGIN") == ["admin_test", "bert", "carla", "manager_test", "zora"]
    assert order("ACTIVE") == ["carla", "admin_test", "manager_test", "zora", "bert"]  # inactive first, then by id
    assert order("ID", "DESC") == ["carla", "bert", "zora", "manager_test", "admin_test"]
    assert order("ID", "sideways") == ["admin_test", "manager_test", "zora", "bert", "carla"]
    assert _error(bx.post("user.get", {"sort": "password"})) == (
        "ERROR_ARGUMENT", "Parameter 'sort': 'PASSWORD' is not supported.", "sort")


def test_user_get_pages_fifty_users_at_a_time(bx, admin_user):
    User.objects.bulk_create([User(username=f"user{i:03}", first_name="U", last_name=f"{i:03}")
                              for i in range(1, 55)])  # 55 users with the admin
    first = bx.call("user.get", {})
    assert (len(first["result"]), first["total"], first["next"]) == (50, 55, 50)
    second = bx.call("user.get", {"start": 50})
    assert (_logins(second["result"]), second["total"], "next" in second) == (
        ["user050", "user051", "user052", "user053", "user054"], 55, False)
    assert _logins(bx.ok("user.get", {"start": 57})) == _logins(second["result"])  # floored to a page
    assert _logins(bx.ok("user.get", {"start": -1}))[:2] == ["admin_test", "user001"]
    User.objects.filter(username="user054").delete()  # exactly 50 + 4; then exactly 50 on one page
    User.objects.filter(username__in=["user050", "user051", "user052", "user053"]).delete()
    exact = bx.call("user.get", {})
    assert (len(exact["result"]), exact["total"], "next" in exact) == (50, 50, False)


def test_a_user_who_never_logged_in_shows_an_empty_last_login(bx, admin_user, manager_user):
    manager = bx.ok("user.get", {"ID": manager_user.pk})[0]
    assert manager["LAST_LOGIN"] == ""
    assert manager["DATE_REGISTER"] != ""
    User.objects.filter(pk=manager_user.pk).update(last_login=timezone.now() - timedelta(days=2))
    manager_user.refresh_from_db()
    assert bx.ok("user.get", {"ID": manager_user.pk})[0]["LAST_LOGIN"] == dt(manager_user.last_login) != ""


def test_app_info_tells_whether_the_caller_is_an_admin(bx, bx_manager):
    info = bx.ok("app.info")
    assert info == {
        "ID": None, "CODE": "kontor", "VERSION": 1, "STATUS": "L", "INSTALLED": True, "PAYMENT_EXPIRED": "N",
        "DAYS": None, "LANGUAGE_ID": "de", "LICENSE": "self-hosted", "LICENSE_TYPE": "self-hosted",
        "LICENSE_FAMILY": "self-hosted", "SCOPE": ["crm", "user_brief", "telephony"], "ADMIN": True,
    }
    assert bx_manager.ok("app.info")["ADMIN"] is False


def test_server_time_is_now_with_its_offset(bx):
    answered = datetime.fromisoformat(bx.ok("server.time"))
    assert answered.tzinfo is not None
    assert abs(answered - timezone.now()) < timedelta(minutes=1)
