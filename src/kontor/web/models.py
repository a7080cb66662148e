"""Records the web UI owns: the public web forms through which inquiries reach the CRM."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class WebForm(models.Model):
    """A public inquiry form at ``/forms/<slug>/`` (Bitrix24: CRM-Formular); each submission is an
    inquiry handed to ``inquiry_accept`` (a lead in classic mode, a deal and a contact in simple mode)."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("address"), max_length=80, unique=True)
    heading = models.CharField(_("heading"), max_length=200, blank=True, default="")
    success_message = models.CharField(_("thank-you message"), max_length=500, blank=True, default="")
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    submissions = models.PositiveIntegerField(default=0)
    #: Who gets the inquiries (assigned and notified): the responsible person, or — when users are
    #: chosen for it — each of ``round_robin_users`` in turn (``round_robin_next`` counts the turns).
    responsible = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", verbose_name=_("responsible person"))
    round_robin_users = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+",
                                               verbose_name=_("take turns among"))
    round_robin_next = models.PositiveIntegerField(default=0)
    #: The form asks for the company; a company given becomes a company record in simple mode,
    #: whatever the simple-mode setting says (the lead keeps it as its company name in classic mode).
    ask_company = models.BooleanField(_("ask for the company"), default=True)
    #: The visitor must tick a consent checkbox that links to the privacy policy.
    consent_required = models.BooleanField(_("consent checkbox"), default=False)
    privacy_url = models.URLField(_("privacy policy address"), max_length=500, blank=True, default="")

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name
