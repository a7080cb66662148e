"""Notes, activities, the lost-deal reason and the web form settings, as the web UI shows them."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from kontor.accounts.models import Role
from kontor.accounts.services import user_create
from kontor.crm import services
from kontor.crm.enums import CrmMode, EntityType, Semantic, TimelineKind
from kontor.crm.models import Activity, Company, CrmSettings, Deal, Stage, TimelineEntry
from kontor.crm.services.notes import note_add
from kontor.web.models import WebForm
from kontor.web.views.webforms import form_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def other_client(seeded):
    user = user_create(username="otto", password="otto-pass-123", role=Role.MANAGER, first_name="Otto",
                       last_name="Other")
    client = Client()
    client.force_login(user)
    return client


def _page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


# --- notes ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("entity", ["deal", "contact", "company"])
def test_add_note_on_any_record_shows_in_timeline_with_author(manager_client, sample, entity):
    record = sample[entity]
    url = f"/{ {'deal': 'deals', 'contact': 'contacts', 'company': 'companies'}[entity]}/{record.pk}/"
    response = manager_client.post("/notes/new/", {"entity": entity, "entity_id": record.pk,
                                                   "text": "Kunde ruft Montag zurück", "next": url})
    assert response.status_code == 302 and response["Location"] == url + "#timeline"
    page = _page(manager_client, url)
    assert "Notiz: Kunde ruft Montag zurück" in page and "— Max Manager" in page


def test_empty_note_is_refused_with_message(manager_client, sample):
    deal = sample["deal"]
    response = manager_client.post("/notes/new/", {"entity": "deal", "entity_id": deal.pk, "text": "  "},
                                   follow=True)
    assert "Notiz:" in response.content.decode() and "Dieses Feld ist zwingend erforderlich." in \
        response.content.decode()
    assert not TimelineEntry.objects.filter(kind=TimelineKind.COMMENT).exists()


def test_only_author_or_admin_may_edit_or_delete_a_note(manager_client, other_client, admin_client, sample):
    deal = sample["deal"]
    manager_client.post("/notes/new/", {"entity": "deal", "entity_id": deal.pk, "text": "Erste Fassung"})
    note = TimelineEntry.objects.get(kind=TimelineKind.COMMENT)
    # Someone else: no edit link, and posting is refused.
    assert f"/notes/{note.pk}/edit/" not in _page(other_client, f"/deals/{deal.pk}/")
    other_client.post(f"/notes/{note.pk}/edit/", {"text": "Gekapert"})
    other_client.post(f"/notes/{note.pk}/delete/")
    note.refresh_from_db()
    assert note.data["text"] == "Erste Fassung"
    # The author edits it.
    assert f"/notes/{note.pk}/edit/" in _page(manager_client, f"/deals/{deal.pk}/")
    manager_client.post(f"/notes/{note.pk}/edit/", {"text": "Zweite Fassung"})
    page = _page(manager_client, f"/deals/{deal.pk}/")
    assert "Notiz: Zweite Fassung" in page and "(bearbeitet)" in page
    # An administrator deletes it.
    admin_client.post(f"/notes/{note.pk}/delete/")
    assert not TimelineEntry.objects.filter(pk=note.pk).exists()


def test_facade_comment_update_by_someone_else_is_refused(sample, manager_user, seeded):
    from kontor.bitrix.services import webhook_create

    entry = note_add(entity_type=EntityType.DEAL, entity_id=sample["deal"].pk, text="Von Ada",
                                    actor=sample["deal"].assigned)
    _webhook, raw = webhook_create(user=manager_user)
    client = Client()
    response = client.post(f"/rest/{manager_user.pk}/{raw}/crm.timeline.comment.update.json",
                           {"id": entry.pk, "fields[COMMENT]": "Überschrieben"})
    assert response.status_code in (400, 403) and "Access denied" in response.content.decode()
    entry.refresh_from_db()
    assert entry.data["text"] == "Von Ada"


# --- change entries ------------------------------------------------------------------------------


def test_timeline_change_entry_reads_old_to_new_with_names(manager_client, sample, admin_user):
    deal = sample["deal"]
    other = user_create(username="kim", password="kim-pass-123", first_name="Kim", last_name="Klar")
    services.deal_update(deal=deal, actor=admin_user, data={"opportunity": Decimal("14000"),
                                                            "assigned_id": other.pk})
    page = _page(manager_client, f"/deals/{deal.pk}/")
    assert "Betrag: 12.500,00 EUR → 14.000,00 EUR" in page
    assert "Verantwortlich: Ada Admin → Kim Klar" in page
    manager_client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = _page(manager_client, f"/deals/{deal.pk}/")
    assert "Amount: 12,500.00 EUR → 14,000.00 EUR" in page


# --- activities ----------------------------------------------------------------------------------


def test_activities_page_defaults_to_my_activities_in_sections(manager_client, manager_user, admin_user, sample):
    deal = sample["deal"]
    now = timezone.now()

    def make(subject, deadline, user):
        return services.activity_create(actor=admin_user, data={
            "type": "call", "subject": subject, "deadline": deadline, "responsible_id": user.pk,
            "bindings": [{"entity": "deal", "id": deal.pk}]})

    late = make("Überfälliger Anruf", now - timedelta(days=4), manager_user)
    make("Später Termin", now + timedelta(days=3), manager_user)
    make("Nicht meins", now + timedelta(days=1), admin_user)
    page = _page(manager_client, "/activities/")
    assert "Meine Aktivitäten" in page
    assert 'data-section="overdue"' in page and 'data-section="upcoming"' in page
    assert "Überfälliger Anruf" in page and "Später Termin" in page and "Nicht meins" not in page
    assert f'<tr data-activity="{late.pk}" class="overdue">' in page and "überfällig" in page
    others = _page(manager_client, "/activities/?scope=others")
    assert "Nicht meins" in others and "Später Termin" not in others
    everyone = _page(manager_client, "/activities/?scope=all")
    assert "Nicht meins" in everyone and "Später Termin" in everyone
    # The deal's page highlights it too.
    detail = _page(manager_client, f"/deals/{deal.pk}/")
    assert f'class="activity overdue" data-activity="{late.pk}"' in detail


def test_open_edit_and_delete_an_activity(manager_client, manager_user, sample):
    activity = sample["activity"]
    page = _page(manager_client, f"/activities/{activity.pk}/")
    assert "Angebot besprechen" in page and "Ada Admin" in page and "Website-Relaunch" in page
    response = manager_client.post(f"/activities/{activity.pk}/edit/", {
        "type": "meeting", "subject": "Angebot vor Ort besprechen", "deadline": "2026-12-10T10:00",
        "description": "", "responsible_id": str(manager_user.pk)})
    assert response.status_code == 302
    activity.refresh_from_db()
    assert (activity.subject, activity.type, activity.responsible_id) == ("Angebot vor Ort besprechen", "meeting",
                                                                         manager_user.pk)
    assert timezone.localtime(activity.deadline).strftime("%Y-%m-%d %H:%M") == "2026-12-10 10:00"
    bad = manager_client.post(f"/activities/{activity.pk}/edit/", {"type": "call", "subject": ""})
    assert bad.status_code == 422 and "Dieses Feld ist zwingend erforderlich." in bad.content.decode()
    assert _page(manager_client, f"/activities/{activity.pk}/delete/")
    manager_client.post(f"/activities/{activity.pk}/delete/")
    assert not Activity.objects.filter(pk=activity.pk).exists()
    assert manager_client.get(f"/activities/{activity.pk}/").status_code == 404


def test_new_activity_from_activities_page_and_from_a_record(manager_client, manager_user, sample):
    contact = sample["contact"]
    form = _page(manager_client, "/activities/new/")
    assert 'name="deal_id"' in form and 'name="contact_id"' in form
    missing = manager_client.post("/activities/new/", {"type": "task", "subject": "Ohne Datensatz"})
    assert missing.status_code == 422 and "Wählen Sie den Datensatz" in missing.content.decode()
    manager_client.post("/activities/new/", {"type": "task", "subject": "Unterlagen schicken",
                                             "contact_id": contact.pk, "responsible_id": str(manager_user.pk)})
    made = Activity.objects.get(subject="Unterlagen schicken")
    assert list(made.bindings.values_list("entity_type", "entity_id")) == [(3, contact.pk)]
    # Pre-bound from a record's page.
    record_form = _page(manager_client, f"/activities/new/?entity=company&entity_id={sample['company'].pk}")
    assert "Müller GmbH" in record_form and 'name="deal_id"' not in record_form
    assert f"/activities/new/?entity=contact&amp;entity_id={contact.pk}" in _page(manager_client,
                                                                                f"/contacts/{contact.pk}/")


# --- lost deals ----------------------------------------------------------------------------------


def test_moving_a_deal_to_lost_asks_the_reason_and_closes_activities(manager_client, sample):
    deal = sample["deal"]
    lost = Stage.objects.filter(pipeline=deal.pipeline, semantic=Semantic.FAILURE).first()
    response = manager_client.post(f"/deals/{deal.pk}/move/", {"stage_id": lost.pk})
    assert response.status_code == 302 and f"/deals/{deal.pk}/lost/?stage_id={lost.pk}" in response["Location"]
    deal.refresh_from_db()
    assert deal.stage_id != lost.pk  # not yet
    # From the board (htmx): the browser is sent to the same question.
    board = manager_client.post(f"/deals/{deal.pk}/move/", {"stage_id": lost.pk}, headers={"HX-Request": "true"})
    assert f"/deals/{deal.pk}/lost/" in board["HX-Redirect"]
    form = _page(manager_client, f"/deals/{deal.pk}/lost/?stage_id={lost.pk}")
    assert "Angebot besprechen" in form and "Grund für den Verlust" in form
    empty = manager_client.post(f"/deals/{deal.pk}/lost/", {"stage_id": lost.pk, "reason": ""})
    assert empty.status_code == 200 and "Dieses Feld ist zwingend erforderlich." in empty.content.decode()
    manager_client.post(f"/deals/{deal.pk}/lost/", {"stage_id": lost.pk, "reason": "Zu teuer",
                                                    "close_activities": "on"})
    deal.refresh_from_db()
    assert deal.stage_id == lost.pk and deal.closed
    assert Activity.objects.get(pk=sample["activity"].pk).completed
    assert "Grund für den Verlust: Zu teuer" in _page(manager_client, f"/deals/{deal.pk}/")


def test_lost_without_closing_keeps_activities_open(manager_client, sample):
    deal = sample["deal"]
    lost = Stage.objects.filter(pipeline=deal.pipeline, semantic=Semantic.FAILURE).first()
    manager_client.post(f"/deals/{deal.pk}/lost/", {"stage_id": lost.pk, "reason": "Kein Budget"})
    assert not Activity.objects.get(pk=sample["activity"].pk).completed
    assert Deal.objects.get(pk=deal.pk).stage_id == lost.pk


# --- web form settings ---------------------------------------------------------------------------


def test_public_form_input_types_and_consent(seeded):
    webform = WebForm.objects.create(name="Kontakt", slug="kontakt", consent_required=True,
                                     privacy_url="https://example.de/datenschutz")
    page = Client().get("/forms/kontakt/").content.decode()
    assert 'type="tel"' in page and 'type="email"' in page
    assert 'name="consent"' in page and 'href="https://example.de/datenschutz"' in page
    response = Client().post("/forms/kontakt/", {"name": "Eva", "email": "eva@example.org",
                                                 "token": form_token(webform)})
    assert response.status_code == 422 and "Bitte stimmen Sie zu" in response.content.decode()
    ok = Client().post("/forms/kontakt/", {"name": "Eva", "email": "eva@example.org", "consent": "on",
                                           "token": form_token(webform)})
    assert ok.status_code == 200
    deal = Deal.objects.get()
    assert "Einwilligung im Formular „Kontakt“" in deal.comments


def test_form_company_is_kept_whatever_the_wizard_chose(seeded):
    settings = CrmSettings.load()
    settings.mode, settings.create_company = CrmMode.SIMPLE, False
    settings.save()
    webform = WebForm.objects.create(name="Kontakt", slug="kontakt")
    Client().post("/forms/kontakt/", {"name": "Eva Beispiel", "email": "eva@example.org", "company": "Beispiel AG",
                                      "token": form_token(webform)})
    assert Deal.objects.get().company.title == "Beispiel AG"
    hidden = WebForm.objects.create(name="Ohne Firma", slug="ohne", ask_company=False)
    assert 'name="company"' not in Client().get("/forms/ohne/").content.decode()
    Client().post("/forms/ohne/", {"name": "Udo", "email": "udo@example.org", "company": "Soll weg",
                                   "token": form_token(hidden)})
    assert not Company.objects.filter(title="Soll weg").exists()


def test_webform_settings_store_assignment_and_consent(admin_client, manager_user):
    webform = WebForm.objects.create(name="Kontakt", slug="kontakt")
    response = admin_client.post(f"/settings/forms/{webform.pk}/", {
        "name": "Kontakt", "slug": "kontakt", "is_active": "on", "responsible": str(manager_user.pk),
        "round_robin_users": [str(manager_user.pk)], "ask_company": "on", "consent_required": "on",
        "privacy_url": ""})
    assert response.status_code == 200 and "braucht die Adresse Ihrer Datenschutzerklärung" in \
        response.content.decode()
    admin_client.post(f"/settings/forms/{webform.pk}/", {
        "name": "Kontakt", "slug": "kontakt", "is_active": "on", "responsible": str(manager_user.pk),
        "round_robin_users": [str(manager_user.pk)], "consent_required": "on",
        "privacy_url": "https://example.de/datenschutz"})
    webform.refresh_from_db()
    assert webform.responsible_id == manager_user.pk and not webform.ask_company and webform.consent_required
    assert list(webform.round_robin_users.values_list("pk", flat=True)) == [manager_user.pk]


def test_record_form_sends_textarea_lines_with_lf(manager_client, sample):
    """A browser posts a textarea with CRLF; saving the form unchanged must not log a change."""
    from kontor.web import forms

    deal = sample["deal"]
    services.deal_update(deal=deal, actor=None, data={"comments": "Zeile 1\n\nZeile 2"})
    initial = forms.record_initial(EntityType.DEAL, deal, {})
    data = {k: ("" if v is None else v) for k, v in initial.items() if not isinstance(v, list)}
    data["comments"] = "Zeile 1\r\n\r\nZeile 2"
    form = forms.RecordForm(data, entity=EntityType.DEAL, initial=initial)
    assert form.is_valid(), form.errors
    assert form.payload()["comments"] == "Zeile 1\n\nZeile 2"


def test_activity_without_chosen_responsible_is_the_creators(manager_client, manager_user, sample):
    deal = sample["deal"]
    manager_client.post("/activities/new/", {"entity": "deal", "entity_id": deal.pk, "inline": "1", "type": "call",
                                             "subject": "Kurz anrufen", "responsible_id": ""})
    assert Activity.objects.get(subject="Kurz anrufen").responsible_id == manager_user.pk
    assert "Kurz anrufen" in _page(manager_client, "/activities/")


@pytest.mark.django_db(transaction=True)
def test_existing_forms_get_their_creator_as_responsible(admin_user):
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    executor.migrate([("web", "0002_webform_assignment_consent_company")])
    old = executor.loader.project_state([("web", "0002_webform_assignment_consent_company")]).apps
    OldForm = old.get_model("web", "WebForm")
    made = OldForm.objects.create(name="Alt", slug="alt", created_by_id=admin_user.pk)
    orphan = OldForm.objects.create(name="Ohne", slug="ohne")
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert WebForm.objects.get(pk=made.pk).responsible_id == admin_user.pk
    assert WebForm.objects.get(pk=orphan.pk).responsible_id is None


def test_only_admin_or_responsible_may_delete_an_activity(other_client, admin_client, sample):
    activity = sample["activity"]  # Ada Admin is responsible
    assert "/delete/" not in _page(other_client, f"/activities/{activity.pk}/")
    assert other_client.post(f"/activities/{activity.pk}/delete/").status_code == 403
    assert Activity.objects.filter(pk=activity.pk).exists()
    assert f"/activities/{activity.pk}/delete/" in _page(admin_client, f"/activities/{activity.pk}/")
    admin_client.post(f"/activities/{activity.pk}/delete/")
    assert not Activity.objects.filter(pk=activity.pk).exists()


def test_change_entries_keep_names_of_the_time(manager_client, sample, admin_user):
    """The timeline stores the names a change referred to: a user renamed later and a company deleted
    later still read as they were."""
    import re

    deal, company = sample["deal"], sample["company"]
    kim = user_create(username="kim", password="kim-pass-123", first_name="Kim", last_name="Klar")
    services.deal_update(deal=deal, actor=admin_user, data={"assigned_id": kim.pk, "company_id": None})
    entry = TimelineEntry.objects.filter(entity_id=deal.pk, kind=TimelineKind.UPDATED).order_by("id").first()
    assigned = next(c for c in entry.data["changes"] if c["field"] == "assigned_id")
    assert (assigned["old_name"], assigned["new_name"]) == ("Ada Admin", "Kim Klar")
    kim.first_name = "Kimberly"
    kim.save()
    services.company_delete(company=company, actor=admin_user)
    text = re.sub(r"<[^>]+>", "", _page(manager_client, f"/deals/{deal.pk}/"))
    assert "Verantwortlich: Ada Admin → Kim Klar" in text
    assert "Firma: Müller GmbH → —" in text  # deleted since; its name then
