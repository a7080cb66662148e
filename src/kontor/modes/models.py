"""A CRM-mode switch: what was asked, how far the conversion job got, and who runs it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from kontor.crm.enums import CrmMode


class SwitchStatus(models.TextChoices):
    """Life cycle of a switch."""

    QUEUED = "queued"  # the mode flipped; the conversion job waits for a worker
    RUNNING = "running"  # a worker is converting leads batch by batch
    DONE = "done"  # finished (leads that failed are listed in ``errors``)
    FAILED = "failed"  # the job could not go on at all (e.g. its pipeline was deleted)


ACTIVE_STATUSES = (SwitchStatus.QUEUED, SwitchStatus.RUNNING)


class ModeSwitch(models.Model):
    """One change of the CRM mode and, for classic → simple, the bulk conversion of its leads.

    The job converts leads in id ranges; ``cursor`` (the highest lead id handled) and the counts
    are written in the same transaction as each batch, so a restarted job resumes exactly where the
    last committed batch ended. ``runner``/``lease_until`` say which process works on it: another
    process takes over only after the lease has run out.
    """

    status = models.CharField(max_length=10, choices=SwitchStatus.choices, default=SwitchStatus.QUEUED)
    from_mode = models.CharField(max_length=10, choices=CrmMode.choices)
    to_mode = models.CharField(max_length=10, choices=CrmMode.choices)
    total = models.IntegerField(default=0)
    converted = models.IntegerField(default=0)
    failed = models.IntegerField(default=0)
    #: What the conversion did, counted per batch in the batch's transaction (the result page):
    #: contacts made and leads matched to an existing contact, companies made and leads matched
    #: to an existing company, open activities that now belong to the new deals.
    contacts_created = models.IntegerField(default=0)
    contacts_matched = models.IntegerField(default=0)
    companies_created = models.IntegerField(default=0)
    companies_matched = models.IntegerField(default=0)
    activities_open = models.IntegerField(default=0)
    #: ``[{"lead_id": N, "error": "..."}]`` for leads that could not be converted (first 1000).
    errors = models.JSONField(default=list, blank=True)
    pipeline = models.ForeignKey("crm.Pipeline", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    #: The wizard's choices: create_contacts, create_companies, keep_open_activities, new_pipeline_name.
    options = models.JSONField(default=dict, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    audit = models.ForeignKey("crm.AuditLog", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    #: Leads with an id up to ``max_lead_id`` existed when the switch began; the job walks them.
    max_lead_id = models.BigIntegerField(default=0)
    cursor = models.BigIntegerField(default=0)
    runner = models.CharField(max_length=64, blank=True, default="")
    lease_until = models.DateTimeField(null=True, blank=True)
    #: True while queued or running; unique, so the database itself allows one switch at a time.
    is_active = models.BooleanField(null=True, default=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["is_active"], condition=models.Q(is_active=True),
                                    name="one_active_mode_switch")
        ]

    def __str__(self) -> str:
        return f"{self.from_mode} → {self.to_mode} ({self.status})"

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_STATUSES


class SwitchKey(models.Model):
    """A customer key (``EMAIL:…``, ``PHONE:…``, ``company:…``) a running conversion batch holds.

    Batches that run side by side on PostgreSQL upsert the keys of their leads, in sorted order,
    before they match or create contacts and companies; the row lock lasts until the batch commits,
    so a second batch with the same customer waits and then finds the contact the first one made.
    The table is unlogged and emptied when a switch ends: its rows mean nothing after that.
    """

    key = models.CharField(max_length=300, primary_key=True)
