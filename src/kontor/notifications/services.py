"""Notifications: ``notify`` is the one way to tell a user something; the worker's pass
(``run_pass``) sends the waiting e-mails and the activities' reminders.

``notify`` writes the in-app notification (the bell) and, when the user has an e-mail address,
marks its mail as waiting. It never talks to the mail server itself: it is called from the
event bus's after-commit subscribers, i.e. at the end of a web request, and a slow or absent mail
server must not slow or fail that request. The background worker (``kontor db_worker``, or
``kontor send_notifications`` from cron) sends the mails within ``KONTOR_NOTIFICATION_SWEEP_SECONDS``
and retries a failed one up to ``MAX_MAIL_ATTEMPTS`` times. Each mail is claimed by one UPDATE, each
reminder by a unique row, so several workers never send one twice.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from kontor.notifications.models import ActivityReminder, MailStatus, Notification, NotificationKind

log = logging.getLogger(__name__)

#: A mail that failed this often is given up (``mail_status`` failed, the error kept).
MAX_MAIL_ATTEMPTS = 5
#: Mails sent per pass at most (the rest wait for the next pass).
MAILS_PER_PASS = 200


def notify(user: Any, kind: NotificationKind | str, *, entity: str = "", record_id: int | None = None,
           data: dict[str, Any] | None = None) -> Notification | None:
    """Tell ``user`` (a user or a user id) about ``kind``: in the app, and by e-mail to ``user.email``.

    Returns the notification, or ``None`` for a missing or deactivated user."""
    User = get_user_model()
    if not isinstance(user, User):
        user = User.objects.filter(pk=user).first()
    if user is None or not user.is_active:
        return None
    return Notification.objects.create(
        user=user, kind=NotificationKind(kind), entity=entity, record_id=record_id, data=dict(data or {}),
        mail_status=MailStatus.PENDING if (user.email or "").strip() else MailStatus.NONE)


# --- texts ---------------------------------------------------------------------------------------


def _kind_label(entity: str) -> str:
    return {"lead": _("Lead"), "deal": _("Deal"), "contact": _("Contact"), "company": _("Company"),
            "activity": _("Activity")}.get(entity, entity)


def _moment(value: Any) -> str:
    from django.utils.dateparse import parse_datetime

    moment = value if isinstance(value, datetime) else parse_datetime(str(value or ""))
    if moment is None:
        return ""
    return date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")


def notification_text(n: Notification) -> str:
    """One line telling what happened, in the active language."""
    d = n.data or {}
    title = d.get("title") or f"#{n.record_id}"
    if n.kind == NotificationKind.ASSIGNED:
        return _("%(actor)s assigned “%(title)s” (%(kind)s) to you.") % {
            "actor": d.get("actor") or _("Someone"), "kind": _kind_label(n.entity), "title": title}
    if n.kind == NotificationKind.INQUIRY:
        return _("New inquiry from the form “%(form)s”: %(title)s") % {"form": d.get("form", ""), "title": title}
    if n.kind == NotificationKind.ACTIVITY_DUE:
        return _("Activity due at %(time)s: %(title)s") % {"time": _moment(d.get("deadline")), "title": title}
    if n.kind == NotificationKind.ACTIVITY_OVERDUE:
        return _("Activity overdue since %(time)s: %(title)s") % {"time": _moment(d.get("deadline")),
                                                                   "title": title}
    return str(title)


def notification_url(n: Notification) -> str:
    """The path of the record the notification is about ("" when it has none)."""
    from kontor.crm.enums import EntityType

    if not n.record_id or not n.entity:
        return ""
    if n.entity == "activity":
        return f"/activities/{n.record_id}/"
    try:
        entity_type = EntityType.from_name(n.entity)
    except (KeyError, ValueError):
        return ""
    from kontor.web.views.common import record_url

    return record_url(entity_type, n.record_id)


def user_language(user: Any) -> str:
    """The language of a user's mails: their own choice when they made one, else the installation's."""
    chosen = (getattr(user, "language", "") or "").strip()
    return chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def mail_of(n: Notification) -> EmailMessage:
    """The e-mail of notification ``n``, written in its user's language."""
    with translation.override(user_language(n.user)):
        line = notification_text(n)
        subject = f"Kontor: {line}"
        if len(subject) > 150:
            subject = subject[:149] + "…"
        lines = [_("Hello %(name)s,") % {"name": n.user.display_name}, "", line]
        url = notification_url(n)
        base = (getattr(settings, "KONTOR_BASE_URL", "") or "").rstrip("/")
        if url and base:
            lines += ["", f"{base}{url}"]
        lines += ["", "— Kontor", _("You get this e-mail because you work with these records in Kontor.")]
    return EmailMessage(subject=subject, body="\n".join(lines), from_email=settings.DEFAULT_FROM_EMAIL,
                        to=[n.user.email])


# --- the worker's pass ---------------------------------------------------------------------------


def send_pending_mails(limit: int = MAILS_PER_PASS) -> int:
    """Send the waiting notification mails; returns how many went out."""
    sent = 0
    ids = list(Notification.objects.filter(mail_status=MailStatus.PENDING).order_by("id")
               .values_list("id", flat=True)[:limit])
    for pk in ids:
        # The claim: only the process whose UPDATE changed the row sends the mail.
        if not Notification.objects.filter(pk=pk, mail_status=MailStatus.PENDING).update(
                mail_status=MailStatus.SENDING):
            continue
        n = Notification.objects.select_related("user").get(pk=pk)
        try:
            mail_of(n).send(fail_silently=False)
        except Exception as exc:  # any transport error: retried on the next pass
            attempts = n.mail_attempts + 1
            status = MailStatus.FAILED if attempts >= MAX_MAIL_ATTEMPTS else MailStatus.PENDING
            Notification.objects.filter(pk=pk).update(mail_status=status, mail_attempts=attempts,
                                                      mail_error=f"{exc.__class__.__name__}: {exc}"[:500])
            log.warning("notification mail %s to user %s failed (attempt %s): %s", pk, n.user_id, attempts, exc)
            continue
        Notification.objects.filter(pk=pk).update(mail_status=MailStatus.SENT, mailed_at=timezone.now(),
                                                  mail_attempts=n.mail_attempts + 1, mail_error="")
        sent += 1
    return sent


def reminder_window() -> tuple[timedelta, timedelta]:
    """(how long before its deadline an activity is "due soon", how long after it overdue ones are
    still reminded of: older ones — e.g. imported history — are not)."""
    return (timedelta(minutes=float(getattr(settings, "KONTOR_REMINDER_MINUTES", 15))),
            timedelta(days=float(getattr(settings, "KONTOR_REMINDER_OVERDUE_DAYS", 7))))


def send_due_reminders(now: datetime | None = None) -> int:
    """Notify the responsible person of each open activity that is due soon or overdue, once per
    activity, kind and deadline. Returns the number of reminders."""
    from kontor.crm.models import Activity

    now = now or timezone.now()
    soon, back = reminder_window()
    count = 0
    for kind, window in ((NotificationKind.ACTIVITY_OVERDUE, {"deadline__lte": now, "deadline__gt": now - back}),
                         (NotificationKind.ACTIVITY_DUE, {"deadline__gt": now, "deadline__lte": now + soon})):
        sent = ActivityReminder.objects.filter(activity_id=OuterRef("pk"), kind=kind, deadline=OuterRef("deadline"))
        due = (Activity.objects.filter(completed=False, responsible__isnull=False, **window)
               .exclude(Exists(sent)).order_by("deadline", "id")
               .values_list("id", "subject", "deadline", "responsible_id")[:500])
        for activity_id, subject, deadline, responsible_id in due:
            if deadline is None:  # excluded by the filter; for the type checker
                continue
            try:
                with transaction.atomic():
                    ActivityReminder.objects.create(activity_id=activity_id, kind=kind, deadline=deadline)
                    notify(responsible_id, kind, entity="activity", record_id=activity_id,
                           data={"title": subject, "deadline": deadline.isoformat()})
            except IntegrityError:  # another worker sent it
                continue
            count += 1
    return count


def run_pass(now: datetime | None = None) -> dict[str, int]:
    """One pass of the worker: due reminders first (their mails go out in the same pass), then mails."""
    reminders = send_due_reminders(now)
    return {"reminders": reminders, "mails": send_pending_mails()}


# --- the bell ------------------------------------------------------------------------------------


def unread_count(user: Any) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def notifications_mark_read(*, user: Any, ids: list[int] | None = None) -> int:
    """Mark the user's notifications read (``ids``: only these; ``None``: all). Returns how many."""
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=timezone.now())
