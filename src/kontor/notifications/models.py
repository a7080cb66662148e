"""A notification for one user, and the reminders already sent for an activity's deadline."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class NotificationKind(models.TextChoices):
    """What a notification tells."""

    ASSIGNED = "assigned", _("Assigned to you")  # someone else made the user responsible for a record
    INQUIRY = "inquiry", _("New inquiry")  # a web-form inquiry was assigned to the user
    ACTIVITY_DUE = "activity_due", _("Activity due soon")  # an open activity's deadline is near
    ACTIVITY_OVERDUE = "activity_overdue", _("Activity overdue")  # an open activity's deadline passed


class MailStatus(models.TextChoices):
    """Where the notification's e-mail is."""

    NONE = "none", _("No e-mail")  # the user has no address
    PENDING = "pending", _("Waiting")  # the worker sends it on its next pass
    SENDING = "sending", _("Sending")  # claimed by one worker
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")  # gave up after MAX_MAIL_ATTEMPTS


class Notification(models.Model):
    """One thing a user is told, in the app (the bell) and by e-mail.

    ``data`` holds what the text needs (the record's title, who did it, the form's name, the
    deadline), so the text is written in the reader's language when shown or mailed.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=32, choices=NotificationKind.choices)
    #: The record it is about: lead, deal, contact, company or activity, and its id.
    entity = models.CharField(max_length=16, blank=True, default="")
    record_id = models.BigIntegerField(null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    mail_status = models.CharField(max_length=16, choices=MailStatus.choices, default=MailStatus.NONE)
    mail_attempts = models.PositiveSmallIntegerField(default=0)
    mail_error = models.CharField(max_length=500, blank=True, default="")
    mailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "read_at"], name="notification_unread"),
            models.Index(fields=["mail_status"], name="notification_mail_status"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.user_id}"


class ActivityReminder(models.Model):
    """A reminder already sent: at most one per activity, kind and deadline (a new deadline arms the
    reminders again). The unique row is the claim, so two workers never both send one."""

    activity_id = models.BigIntegerField()
    kind = models.CharField(max_length=32, choices=NotificationKind.choices)
    deadline = models.DateTimeField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["activity_id", "kind", "deadline"],
                                               name="unique_activity_reminder")]
