"""Settings screens for admins (issue 12 part B): the index, users with invitation links, the own
language, pipelines and stages, lead statuses, sources and directories — managers get 403, anonymous
users the login page, and every change goes through the services the API uses."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client

from kontor.accounts.models import Role
from kontor.crm import services
from kontor.crm.enums import Semantic
from kontor.crm.models import AuditLog, Deal, DirectoryItem, Lead, LeadStatus, Pipeline, Source, Stage

SETTINGS_URLS = ["/settings/", "/settings/users/", "/settings/users/new/", "/settings/pipelines/",
                 "/settings/lead-statuses/", "/settings/sources/", "/settings/directories/DEAL_TYPE/"]


@pytest.mark.parametrize("url", SETTINGS_URLS)
def test_manager_gets_403_and_anonymous_the_login(manager_client, client, seeded, url):
    assert manager_client.get(url).status_code == 403
    response = client.get(url)
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_manager_cannot_change_settings_by_post(manager_client, admin_user, seeded):
    stage = Stage.objects.filter(pipeline__is_default=True, code="NEW").get()
    assert manager_client.post("/settings/users/new/", {"username": "x", "role": "admin"}).status_code == 403
    assert manager_client.post(f"/settings/stages/{stage.pk}/", {"name": "X", "semantic": "process"}).status_code \
        == 403
    assert manager_client.post(f"/settings/stages/{stage.pk}/delete/").status_code == 403
    assert manager_client.post("/settings/pipelines/reorder/", {"order": ""}).status_code == 403
    assert not get_user_model().objects.filter(username="x").exists()
    assert Stage.objects.get(pk=stage.pk).name == stage.name


def test_index_links_every_settings_screen(admin_client):
    page = admin_client.get("/settings/").content.decode()
    for url in ("/settings/users/", "/settings/pipelines/", "/settings/lead-statuses/", "/settings/sources/",
                "/settings/directories/DEAL_TYPE/", "/settings/directories/HONORIFIC/", "/settings/custom-fields/",
                "/settings/crm-mode/", "/settings/simple-mode/", "/settings/forms/", "/settings/webhooks/",
                "/settings/outgoing-webhooks/", "/account/password/", "/account/language/"):
        assert f'href="{url}"' in page, url
    assert "Einstellungen" in page and "Pipelines und Phasen" in page


def test_invited_colleague_sets_a_password_and_logs_in(admin_client, seeded):
    response = admin_client.post("/settings/users/new/", {
        "username": "jana", "first_name": "Jana", "last_name": "Berg", "email": "Jana@Example.com",
        "role": Role.MANAGER})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Jana Berg wurde eingeladen" in page
    link = re.search(r'value="(http://testserver/account/set-password/[^"]+)"', page).group(1)
    user = get_user_model().objects.get(username="jana")
    assert user.email == "jana@example.com" and user.role == Role.MANAGER and not user.has_usable_password()
    assert len(mail.outbox) == 1 and link in mail.outbox[0].body and mail.outbox[0].to == ["jana@example.com"]
    colleague = Client()
    assert colleague.post("/login/", {"username": "jana", "password": "x"}).status_code == 200  # no password yet
    form_page = colleague.get(link, follow=True)
    assert "Passwort festlegen" in form_page.content.decode()
    done = colleague.post(form_page.redirect_chain[-1][0] if form_page.redirect_chain else link,
                          {"new_password1": "Sommer-Regen-42", "new_password2": "Sommer-Regen-42"}, follow=True)
    assert "Ihr Passwort ist festgelegt" in done.content.decode()
    assert colleague.post("/login/", {"username": "jana", "password": "Sommer-Regen-42"}).status_code == 302
    assert colleague.get("/deals/").status_code == 200
    # The link works once.
    again = Client().get(link, follow=True).content.decode()
    assert "gilt nicht mehr" in again


def test_duplicate_user_name_is_shown_on_the_form(admin_client, admin_user):
    page = admin_client.post("/settings/users/new/", {"username": admin_user.username.upper(),
                                                      "role": Role.MANAGER}).content.decode()
    assert "already exists" in page or "existiert" in page


def test_role_change_and_deactivation_use_the_services(admin_client, admin_user, manager_user):
    assert admin_client.post(f"/settings/users/{manager_user.pk}/", {"role": Role.ADMIN}).status_code == 302
    manager_user.refresh_from_db()
    assert manager_user.role == Role.ADMIN and manager_user.is_staff
    admin_client.post(f"/settings/users/{manager_user.pk}/active/", {"active": "0"})
    manager_user.refresh_from_db()
    assert not manager_user.is_active
    assert "Deaktiviert" in admin_client.get("/settings/users/").content.decode()
    admin_client.post(f"/settings/users/{manager_user.pk}/active/", {"active": "1"})
    manager_user.refresh_from_db()
    assert manager_user.is_active
    # Not oneself: no lock-out by accident.
    page = admin_client.post(f"/settings/users/{admin_user.pk}/active/", {"active": "0"}, follow=True)
    assert "nicht selbst deaktivieren" in page.content.decode()
    page = admin_client.post(f"/settings/users/{admin_user.pk}/", {"role": Role.MANAGER}).content.decode()
    admin_user.refresh_from_db()
    assert admin_user.is_active and admin_user.role == Role.ADMIN
    assert "administrator role" in page or "Administratorrolle" in page


def test_new_password_link_for_an_existing_user(admin_client, manager_user):
    page = admin_client.post(f"/settings/users/{manager_user.pk}/password-link/").content.decode()
    assert "/account/set-password/" in page


def test_own_language_is_kept_on_the_account_and_applied_at_login(manager_client, manager_user):
    response = manager_client.post("/account/language/", {"language": "en"})
    assert response.status_code == 302 and response.cookies["django_language"].value == "en"
    manager_user.refresh_from_db()
    assert manager_user.language == "en"
    assert "My language" in manager_client.get("/account/language/").content.decode()
    assert manager_client.post("/account/language/", {"language": "xx"}).status_code == 200
    # Another browser (no cookie): the login applies the account's language.
    other = Client()
    login = other.post("/login/", {"username": "manager_test", "password": "manager-pass-123"})
    assert login.status_code == 302 and login.cookies["django_language"].value == "en"
    assert "<h1>Deals</h1>" in other.get("/deals/?view=list").content.decode()


def test_rename_recolour_and_reorder_stages(admin_client, admin_user, seeded):
    pipeline = Pipeline.objects.get(is_default=True)
    stage = pipeline.stages.get(code="PREPAYMENT_INVOICE")
    page = admin_client.get(f"/settings/pipelines/{pipeline.pk}/").content.decode()
    assert "Rechnung für Vorauszahlung" in page
    response = admin_client.post(f"/settings/stages/{stage.pk}/", {"name": "Anzahlung", "color": "#ff5752",
                                                                   "semantic": "process"})
    assert response.status_code == 302
    stage.refresh_from_db()
    assert (stage.name, stage.color) == ("Anzahlung", "#ff5752")
    bad = admin_client.post(f"/settings/stages/{stage.pk}/", {"name": "X", "color": "red;}", "semantic": "process"})
    assert bad.status_code == 200 and "#rrggbb" in bad.content.decode()
    ids = list(pipeline.stages.order_by("sort", "id").values_list("pk", flat=True))
    new_order = [ids[2], ids[0], ids[1], *ids[3:]]
    assert admin_client.post(f"/settings/pipelines/{pipeline.pk}/stages/reorder/",
                             {"order": ",".join(map(str, new_order))},
                             headers={"X-Requested-With": "fetch"}).status_code == 204
    assert list(pipeline.stages.order_by("sort", "id").values_list("pk", flat=True)) == new_order
    # The button fallback: one step down.
    admin_client.post(f"/settings/pipelines/{pipeline.pk}/stages/reorder/", {"move": str(new_order[0]),
                                                                             "direction": "down"})
    assert list(pipeline.stages.order_by("sort", "id").values_list("pk", flat=True))[:2] == [new_order[1],
                                                                                              new_order[0]]
    assert AuditLog.objects.filter(action="stage_updated").exists()


def test_add_stage_and_pipeline(admin_client, seeded):
    pipeline = Pipeline.objects.get(is_default=True)
    response = admin_client.post(f"/settings/pipelines/{pipeline.pk}/", {
        "form": "stage", "stage-name": "Angebot", "stage-color": "#39a8ef", "stage-semantic": "process"})
    assert response.status_code == 302
    stages = list(pipeline.stages.order_by("sort", "id"))
    new = next(s for s in stages if s.name == "Angebot")
    last_process = max(i for i, s in enumerate(stages) if s.semantic == Semantic.PROCESS)
    assert stages[last_process] == new  # after the other in-progress stages, before won/lost
    response = admin_client.post("/settings/pipelines/", {"name": "Service"})
    created = Pipeline.objects.get(name="Service")
    assert response["Location"] == f"/settings/pipelines/{created.pk}/" and created.stages.count() == 8


def test_delete_stage_moves_its_deals_first(admin_client, admin_user, seeded):
    pipeline = Pipeline.objects.get(is_default=True)
    stage, target = pipeline.stages.get(code="PREPARATION"), pipeline.stages.get(code="NEW")
    deal = services.deal_create(actor=admin_user, data={"title": "Zaun", "stage_id": stage.pk})
    page = admin_client.get(f"/settings/stages/{stage.pk}/delete/").content.decode()
    assert "1 Datensatz" in page and "move-target" in page
    refused = admin_client.post(f"/settings/stages/{stage.pk}/delete/", {"target": ""})
    assert refused.status_code == 200 and Stage.objects.filter(pk=stage.pk).exists()
    response = admin_client.post(f"/settings/stages/{stage.pk}/delete/", {"target": str(target.pk)})
    assert response.status_code == 302
    deal.refresh_from_db()
    assert deal.stage_id == target.pk and not Stage.objects.filter(pk=stage.pk).exists()


def test_last_won_stage_cannot_be_deleted(admin_client, seeded):
    won = Stage.objects.get(pipeline__is_default=True, code="WON")
    page = admin_client.post(f"/settings/stages/{won.pk}/delete/").content.decode()
    assert Stage.objects.filter(pk=won.pk).exists() and "success" in page


def test_delete_pipeline_moves_deals_to_another_pipeline(admin_client, admin_user, seeded):
    other = services.pipeline_create(actor=admin_user, name="Service")
    deal = services.deal_create(actor=admin_user, data={"title": "Wartung", "pipeline_id": other.pk})
    target = Stage.objects.get(pipeline__is_default=True, code="NEW")
    response = admin_client.post(f"/settings/pipelines/{other.pk}/delete/", {"target": str(target.pk)})
    assert response.status_code == 302 and not Pipeline.objects.filter(pk=other.pk).exists()
    deal.refresh_from_db()
    assert deal.pipeline.is_default and deal.stage_id == target.pk
    default = Pipeline.objects.get(is_default=True)
    admin_client.post(f"/settings/pipelines/{default.pk}/delete/", {})
    assert Pipeline.objects.filter(pk=default.pk).exists()


def test_lead_statuses_add_reorder_delete_with_move(admin_client, admin_user, seeded):
    response = admin_client.post("/settings/lead-statuses/", {"name": "Rückruf", "color": "#ffa900",
                                                              "semantic": "process"})
    assert response.status_code == 302
    status = LeadStatus.objects.get(name="Rückruf")
    assert status.code == "RUCKRUF" and status.color == "#ffa900"
    lead = services.lead_create(actor=admin_user, data={"title": "Anfrage", "status_id": status.code},
                                convert_in_simple_mode=False)
    admin_client.post(f"/settings/lead-statuses/{status.code}/", {"name": "Rückruf vereinbart", "color": "#ff5752"})
    status.refresh_from_db()
    assert status.name == "Rückruf vereinbart"
    response = admin_client.post(f"/settings/lead-statuses/{status.code}/delete/", {"target": "NEW"})
    assert response.status_code == 302 and not LeadStatus.objects.filter(code="RUCKRUF").exists()
    lead.refresh_from_db()
    assert lead.status_id == "NEW"
    builtin = admin_client.get("/settings/lead-statuses/NEW/delete/").content.decode()
    assert "nicht gelöscht" in builtin


def test_sources_and_directories(admin_client, admin_user, seeded):
    admin_client.post("/settings/sources/", {"name": "Messe 2026"})
    source = Source.objects.get(code="MESSE_2026")
    lead = services.lead_create(actor=admin_user, data={"title": "Messe", "source": source.code},
                                convert_in_simple_mode=False)
    admin_client.post(f"/settings/sources/{source.code}/", {"name": "Fachmesse 2026"})
    assert Source.objects.get(code="MESSE_2026").name == "Fachmesse 2026"
    admin_client.post(f"/settings/sources/{source.code}/delete/", {"target": "-"})
    lead.refresh_from_db()
    assert lead.source_id is None and not Source.objects.filter(code="MESSE_2026").exists()
    admin_client.post("/settings/directories/DEAL_TYPE/", {"name": "Wartungsvertrag"})
    item = DirectoryItem.objects.get(directory="DEAL_TYPE", name="Wartungsvertrag")
    items = list(DirectoryItem.objects.filter(directory="DEAL_TYPE").order_by("sort", "id"))
    assert items[-1] == item
    admin_client.post("/settings/directories/DEAL_TYPE/reorder/", {"move": str(item.pk), "direction": "up"})
    items = list(DirectoryItem.objects.filter(directory="DEAL_TYPE").order_by("sort", "id"))
    assert items[-2] == item
    services.deal_create(actor=admin_user, data={"title": "W", "type_id": item.code})
    page = admin_client.post(f"/settings/directories/DEAL_TYPE/{item.pk}/delete/").content.decode()
    assert "wird noch von Datensätzen verwendet" in page and DirectoryItem.objects.filter(pk=item.pk).exists()
    assert admin_client.get("/settings/directories/NOPE/").status_code == 404
    assert Deal.objects.count() == 1 and Lead.objects.count() == 1


def test_api_changes_the_role_through_the_same_service(admin_api, admin_user, manager_user):
    response = admin_api.patch(f"/api/v1/users/{manager_user.pk}", {"role": "admin"})
    assert response.status_code == 200 and response.json()["role"] == "admin"
    manager_user.refresh_from_db()
    assert manager_user.role == Role.ADMIN and manager_user.is_staff
    bad = admin_api.patch(f"/api/v1/users/{manager_user.pk}", {"role": "boss"})
    assert bad.status_code == 422 and bad.json()["field"] == "role"
    own = admin_api.patch(f"/api/v1/users/{admin_user.pk}", {"role": "manager"})
    assert own.status_code == 409 and own.json()["field"] == "role"
