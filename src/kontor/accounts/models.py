"""Users with a CRM role, and their API tokens."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")  # everything, including settings and the CRM mode
    MANAGER = "manager", _("Manager")  # all CRM records, no settings


class Level(models.TextChoices):
    """How far a role's right to one action on one record kind reaches (Bitrix24's role levels)."""

    NONE = "none", _("None")  # not at all
    OWN = "own", _("Own")  # records the user is responsible for
    DEPARTMENT = "department", _("Own and department")  # … or a member of the user's department is
    ALL = "all", _("All")  # every record


class RecordKind(models.TextChoices):
    """The record kinds a role's matrix speaks about."""

    LEAD = "lead", _("Leads")
    DEAL = "deal", _("Deals")
    CONTACT = "contact", _("Contacts")
    COMPANY = "company", _("Companies")
    ACTIVITY = "activity", _("Activities")


class Action(models.TextChoices):
    """What a user does with records of one kind."""

    READ = "read", _("Read")
    ADD = "add", _("Add")
    EDIT = "edit", _("Edit")
    DELETE = "delete", _("Delete")
    EXPORT = "export", _("Export")


class Department(models.Model):
    """A team of users. A role's ``department`` level reaches the records of all its members."""

    name = models.CharField(_("name"), max_length=100, unique=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self) -> str:
        return self.name


class AccessRole(models.Model):
    """A custom role for managers: per record kind and action, a ``Level``.

    ``permissions`` is ``{"deal": {"read": "own", "edit": "own", …}, …}``; a missing entry is
    ``none``. Administrators ignore it (they may do everything); a manager without one sees all
    records, as before roles existed. ``kontor.crm.access`` is the one place that reads it.
    """

    name = models.CharField(_("name"), max_length=100, unique=True)
    permissions = models.JSONField(_("permissions"), default=dict, blank=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("role")
        verbose_name_plural = _("roles")

    def __str__(self) -> str:
        return self.name

    def level(self, kind: str, action: str) -> str:
        value = (self.permissions or {}).get(kind, {}).get(action, Level.NONE)
        return value if value in Level.values else Level.NONE


class User(AbstractUser):
    """A person who works in the CRM. ``role`` decides what beyond the records they may touch;
    a manager's ``access_role`` (when set) narrows which records, ``department`` is their team."""

    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.MANAGER)
    department = models.ForeignKey(Department, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="members", verbose_name=_("department"))
    # PROTECT: deleting a role in use must not silently widen its users' rights to "all".
    access_role = models.ForeignKey(AccessRole, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="users", verbose_name=_("access role"))
    #: The language the user chose in the web UI ("" = the installation's); their e-mails use it.
    language = models.CharField(_("language"), max_length=8, blank=True, default="",
                                choices=settings.LANGUAGES)

    @property
    def is_crm_admin(self) -> bool:
        return self.is_active and (self.role == Role.ADMIN or self.is_superuser)

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username


class ApiToken(models.Model):
    """A bearer token for the native API. Only a SHA-256 hash is stored; the token is shown once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=12, help_text="First characters, to tell tokens apart")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
