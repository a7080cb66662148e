"""Notifications: each kind is written for the right person, shown by the bell and mailed — through
a real local SMTP server — in the user's language; reminders go out once."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from kontor.accounts.models import Role
from kontor.accounts.services import user_create
from kontor.crm import services
from kontor.crm.enums import CrmMode
from kontor.crm.models import CrmSettings, Deal, Lead
from kontor.notifications.models import MailStatus, Notification, NotificationKind
from kontor.notifications.services import MAX_MAIL_ATTEMPTS, run_pass, send_pending_mails
from kontor.settings import _email_settings
from kontor.web.models import WebForm
from kontor.web.views.webforms import form_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(db):
    anna = user_create(username="anna", password="anna-pass-123", email="anna@kontor.example",
                       first_name="Anna", last_name="Berger")
    ben = user_create(username="ben", password="ben-pass-123", email="ben@kontor.example",
                      first_name="Ben", last_name="Cordes")
    boss = user_create(username="boss", password="boss-pass-123", role=Role.ADMIN, email="boss@kontor.example",
                       first_name="Bea", last_name="Boss")
    return {"anna": anna, "ben": ben, "boss": boss}


# --- mail configuration -------------------------------------------------------------------------


def test_email_url_is_parsed_into_django_settings():
    smtp = _email_settings("smtp://user%40x.de:p%3Ass@mail.example.de:587?tls=true")
    assert smtp["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert (smtp["EMAIL_HOST"], smtp["EMAIL_PORT"], smtp["EMAIL_HOST_USER"], smtp["EMAIL_HOST_PASSWORD"]) == (
        "mail.example.de", 587, "user@x.de", "p:ss")
    assert smtp["EMAIL_USE_TLS"] is True and smtp["EMAIL_USE_SSL"] is False
    ssl = _email_settings("smtp://mail.example.de?ssl=true")
    assert ssl["EMAIL_USE_SSL"] is True and ssl["EMAIL_USE_TLS"] is False and ssl["EMAIL_PORT"] == 465
    assert _email_settings("smtps://mail.example.de")["EMAIL_USE_SSL"] is True
    assert _email_settings("")["EMAIL_BACKEND"] == "kontor.notifications.mail.LogBackend"
    with pytest.raises(ValueError, match="unknown scheme 'http'"):
        _email_settings("http://mail.example.de")


def test_without_mail_url_mail_goes_to_the_log(people, settings, caplog, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "kontor.notifications.mail.LogBackend"
    with django_capture_on_commit_callbacks(execute=True):
        services.deal_create(actor=people["ben"], data={"title": "Log deal", "assigned_id": people["anna"].pk})
    with caplog.at_level("INFO", logger="kontor.mail"):
        assert send_pending_mails() == 1
    assert "anna@kontor.example" in caplog.text and "Log deal" in caplog.text


# --- assigned to you -----------------------------------------------------------------------------


def test_record_assigned_by_someone_else_notifies_and_mails(people, smtp_server,
                                                            django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        deal = services.deal_create(actor=people["ben"], data={
            "title": "Praxis Umbau", "opportunity": Decimal("5000"), "assigned_id": people["anna"].pk})
    n = Notification.objects.get(user=people["anna"])
    assert (n.kind, n.entity, n.record_id, n.mail_status) == (NotificationKind.ASSIGNED, "deal", deal.pk,
                                                              MailStatus.PENDING)
    assert run_pass() == {"reminders": 0, "mails": 1}
    [mail] = smtp_server.to("anna@kontor.example")
    subject, body = smtp_server.subject(mail), smtp_server.body(mail)
    # The installation's language (de) for a user who chose none.
    assert "Ben Cordes hat Ihnen „Praxis Umbau“ (Auftrag) zugewiesen." in subject
    assert f"https://crm.example.de/deals/{deal.pk}/" in body
    assert mail["From"] == "crm@kontor.example"
    n.refresh_from_db()
    assert n.mail_status == MailStatus.SENT and n.mailed_at is not None
    assert run_pass()["mails"] == 0  # sent once


def test_english_user_gets_english_mail(people, smtp_server, django_capture_on_commit_callbacks):
    anna = people["anna"]
    anna.language = "en"
    anna.save()
    with django_capture_on_commit_callbacks(execute=True):
        services.deal_create(actor=people["ben"], data={"title": "Clinic", "assigned_id": anna.pk})
    run_pass()
    [mail] = smtp_server.to("anna@kontor.example")
    assert "Ben Cordes assigned “Clinic” (Deal) to you." in smtp_server.subject(mail)


def test_own_assignment_and_unassigned_changes_tell_nothing(people, django_capture_on_commit_callbacks):
    anna = people["anna"]
    with django_capture_on_commit_callbacks(execute=True):
        deal = services.deal_create(actor=anna, data={"title": "Mine", "assigned_id": anna.pk})
        services.deal_update(deal=deal, actor=people["ben"], data={"title": "Mine, renamed"})
    assert not Notification.objects.exists()


def test_reassignment_notifies_the_new_person(people, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        contact = services.contact_create(actor=people["anna"], data={"name": "Karl", "assigned_id": people["anna"].pk})
        services.contact_update(contact=contact, actor=people["anna"], data={"assigned_id": people["ben"].pk})
    [n] = Notification.objects.filter(user=people["ben"])
    assert n.kind == NotificationKind.ASSIGNED and n.entity == "contact" and n.data["actor"] == "Anna Berger"
    assert n.data["title"] == "Karl"
    assert not Notification.objects.filter(user=people["anna"]).exists()


def test_rolled_back_change_tells_nothing(people):
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        services.deal_create(actor=people["ben"], data={"title": "Gone", "assigned_id": people["anna"].pk})
        raise RuntimeError
    assert not Notification.objects.exists()


def test_activity_given_to_someone_else_notifies(people, django_capture_on_commit_callbacks):
    deal = services.deal_create(actor=people["anna"], data={"title": "D"})
    with django_capture_on_commit_callbacks(execute=True):
        services.activity_create(actor=people["anna"], data={
            "type": "call", "subject": "Rückruf", "responsible_id": people["ben"].pk,
            "bindings": [{"entity": "deal", "id": deal.pk}]})
    [n] = Notification.objects.filter(user=people["ben"])
    assert n.entity == "activity" and n.data["title"] == "Rückruf"


def test_failing_mail_server_is_retried_then_given_up(people, settings, unused_port,
                                                      django_capture_on_commit_callbacks):
    for key, value in _email_settings(f"smtp://127.0.0.1:{unused_port}?timeout=2").items():
        setattr(settings, key, value)  # nobody listens there
    with django_capture_on_commit_callbacks(execute=True):
        services.deal_create(actor=people["ben"], data={"title": "X", "assigned_id": people["anna"].pk})
    for _ in range(MAX_MAIL_ATTEMPTS):
        assert send_pending_mails() == 0
    n = Notification.objects.get()
    assert n.mail_status == MailStatus.FAILED and n.mail_attempts == MAX_MAIL_ATTEMPTS and n.mail_error
    assert send_pending_mails() == 0


# --- web-form inquiries --------------------------------------------------------------------------


def _submit(slug: str, webform: WebForm, **fields) -> object:
    data = {"name": "Erika Muster", "email": "erika@example.org", "token": form_token(webform), **fields}
    return Client().post(f"/forms/{slug}/", data)


def test_webform_inquiry_goes_to_the_responsible_person(people, smtp_server, django_capture_on_commit_callbacks):
    webform = WebForm.objects.create(name="Kontakt", slug="kontakt", responsible=people["anna"])
    with django_capture_on_commit_callbacks(execute=True):
        response = _submit("kontakt", webform, company="Muster AG")
    assert response.status_code == 200
    record = Deal.objects.get() if CrmSettings.load().mode == CrmMode.SIMPLE else Lead.objects.get()
    assert record.assigned_id == people["anna"].pk
    [n] = Notification.objects.filter(user=people["anna"])
    assert n.kind == NotificationKind.INQUIRY and n.data["form"] == "Kontakt"
    run_pass()
    [mail] = smtp_server.to("anna@kontor.example")
    assert "Neue Anfrage über das Formular „Kontakt“" in smtp_server.subject(mail)
    assert not smtp_server.to("ben@kontor.example")


def test_webform_round_robin_takes_turns(people, django_capture_on_commit_callbacks):
    webform = WebForm.objects.create(name="Kontakt", slug="kontakt", responsible=people["boss"])
    webform.round_robin_users.set([people["anna"], people["ben"]])
    with django_capture_on_commit_callbacks(execute=True):
        for i in range(4):
            assert _submit("kontakt", webform, email=f"p{i}@example.org").status_code == 200
    told = list(Notification.objects.filter(kind=NotificationKind.INQUIRY).order_by("id")
                .values_list("user__username", flat=True))
    assert told == ["anna", "ben", "anna", "ben"]


# --- reminders -----------------------------------------------------------------------------------


def _activity(people, deadline, **extra):
    deal = services.deal_create(actor=people["anna"], data={"title": "D"})
    return services.activity_create(actor=people["anna"], data={
        "type": "call", "subject": "Kunde anrufen", "deadline": deadline, "responsible_id": people["anna"].pk,
        "bindings": [{"entity": "deal", "id": deal.pk}], **extra})


def test_due_soon_reminder_is_sent_once(people, smtp_server, settings):
    settings.KONTOR_REMINDER_MINUTES = 15
    now = timezone.now()
    activity = _activity(people, now + timedelta(minutes=10))
    _activity(people, now + timedelta(minutes=40))  # not yet
    assert run_pass() == {"reminders": 1, "mails": 1}
    assert run_pass() == {"reminders": 0, "mails": 0}
    [n] = Notification.objects.filter(kind=NotificationKind.ACTIVITY_DUE)
    assert n.record_id == activity.pk
    [mail] = smtp_server.to("anna@kontor.example")
    assert "Aktivität fällig um" in smtp_server.subject(mail) and "Kunde anrufen" in smtp_server.subject(mail)
    # Once it is overdue, one overdue reminder follows — once.
    later = now + timedelta(minutes=11)
    assert run_pass(later)["reminders"] == 1
    assert run_pass(later + timedelta(minutes=5))["reminders"] == 0
    assert Notification.objects.filter(kind=NotificationKind.ACTIVITY_OVERDUE, record_id=activity.pk).count() == 1


def test_overdue_reminder_and_new_deadline_rearms(people):
    now = timezone.now()
    activity = _activity(people, now - timedelta(hours=2))
    assert run_pass()["reminders"] == 1
    assert run_pass()["reminders"] == 0
    services.activity_update(activity=activity, actor=people["anna"], data={"deadline": now - timedelta(hours=1)})
    assert run_pass()["reminders"] == 1  # a new deadline, a new reminder
    assert Notification.objects.filter(kind=NotificationKind.ACTIVITY_OVERDUE).count() == 2


def test_no_reminder_for_completed_old_or_unassigned_activities(people):
    now = timezone.now()
    _activity(people, now - timedelta(hours=1), completed=True)
    _activity(people, now - timedelta(days=30))  # history, not a reminder
    activity = _activity(people, now - timedelta(hours=1))
    from kontor.crm.models import Activity

    Activity.objects.filter(pk=activity.pk).update(responsible=None)
    assert run_pass()["reminders"] == 0


# --- the bell ------------------------------------------------------------------------------------


def test_bell_shows_unread_count_and_list_marks_read(people, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        deal = services.deal_create(actor=people["ben"], data={"title": "Glocke", "assigned_id": people["anna"].pk})
    client = Client()
    client.force_login(people["anna"])
    page = client.get("/contacts/").content.decode()
    assert 'data-unread="1"' in page and 'class="badge">1<' in page
    listing = client.get("/notifications/").content.decode()
    assert "Ben Cordes hat Ihnen „Glocke“ (Auftrag) zugewiesen." in listing
    n = Notification.objects.get()
    response = client.get(f"/notifications/{n.pk}/")
    assert response.status_code == 302 and response["Location"] == f"/deals/{deal.pk}/"
    assert 'data-unread="0"' in client.get("/contacts/").content.decode()
    # Someone else's notification is not theirs to open.
    other = Client()
    other.force_login(people["ben"])
    other.get(f"/notifications/{n.pk}/")
    assert "Glocke" not in other.get("/notifications/").content.decode()


def test_mark_all_read(people, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        for i in range(3):
            services.deal_create(actor=people["ben"], data={"title": f"D{i}", "assigned_id": people["anna"].pk})
    client = Client()
    client.force_login(people["anna"])
    client.post("/notifications/read/")
    assert not Notification.objects.filter(read_at__isnull=True).exists()


def test_api_and_facade_changes_notify_too(people, django_capture_on_commit_callbacks):
    """Every path that assigns a record goes through the same event subscribers."""
    from kontor.accounts.services import token_create
    from kontor.bitrix.services import webhook_create

    _token, raw = token_create(user=people["ben"])
    api = Client(headers={"Authorization": f"Bearer {raw}"})
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/api/v1/inquiries", {"name": "Per API", "emails": ["api@example.org"],
                                                  "assigned_id": people["anna"].pk}, content_type="application/json")
    assert response.status_code in (200, 201), response.content
    _hook, secret = webhook_create(user=people["ben"])
    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post(f"/rest/{people['ben'].pk}/{secret}/crm.contact.add.json",
                                 {"fields[NAME]": "Per Facade", "fields[ASSIGNED_BY_ID]": people["anna"].pk})
    assert response.status_code == 200, response.content
    titles = sorted(n.data["title"] for n in Notification.objects.filter(user=people["anna"]))
    assert any("Per API" in t for t in titles) and "Per Facade" in titles


def test_language_switch_is_remembered_for_mails(people):
    client = Client()
    client.force_login(people["anna"])
    client.post("/i18n/setlang/", {"language": "en", "next": "/deals/"})
    people["anna"].refresh_from_db()
    assert people["anna"].language == "en"
