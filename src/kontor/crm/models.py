"""The CRM's records: companies, contacts, leads, deals in pipelines, activities, timeline, audit.

Phones and e-mails of every record kind live in one table, ``Communication``, keyed by
``(entity_type, entity_id)`` as Bitrix24's ``crm_multifield`` is; its normalised column is indexed,
because that is how duplicates are found. Activities reach their records the same way, through
``ActivityBinding``. Records link to each other by plain foreign keys.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kontor.crm.enums import (
    ActivityDirection,
    ActivityType,
    CommType,
    CrmMode,
    EntityType,
    Semantic,
    TimelineKind,
)

USER = settings.AUTH_USER_MODEL

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise

    StrOrPromise = str | _StrPromise


class Pipeline(models.Model):
    """A deal pipeline (Bitrix24: category, "Richtung") with its own ordered stages."""

    name = models.CharField(_("name"), max_length=255)
    sort = models.IntegerField(_("sort"), default=500)
    is_default = models.BooleanField(_("default"), default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["sort", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=models.Q(is_default=True), name="one_default_pipeline"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Stage(models.Model):
    """A step of a pipeline. ``code`` is unique within the pipeline (``NEW``, ``WON`` …)."""

    pipeline = models.ForeignKey(Pipeline, on_delete=models.CASCADE, related_name="stages")
    code = models.CharField(_("code"), max_length=50)
    name = models.CharField(_("name"), max_length=255)
    sort = models.IntegerField(_("sort"), default=10)
    semantic = models.CharField(_("semantic"), max_length=10, choices=Semantic.choices, default=Semantic.PROCESS)
    color = models.CharField(_("color"), max_length=16, blank=True, default="")

    class Meta:
        ordering = ["pipeline_id", "sort", "id"]
        constraints = [models.UniqueConstraint(fields=["pipeline", "code"], name="unique_stage_code")]
        indexes = [models.Index(fields=["pipeline", "sort"])]

    def __str__(self) -> str:
        return self.name


class LeadStatus(models.Model):
    """A lead status; ``code`` (``NEW``, ``IN_PROCESS``, ``CONVERTED``, ``JUNK`` …) is the key."""

    code = models.CharField(_("code"), max_length=50, primary_key=True)
    name = models.CharField(_("name"), max_length=255)
    sort = models.IntegerField(_("sort"), default=10)
    semantic = models.CharField(_("semantic"), max_length=10, choices=Semantic.choices, default=Semantic.PROCESS)
    color = models.CharField(_("color"), max_length=16, blank=True, default="")
    system = models.BooleanField(default=False, help_text="Built-in statuses cannot be deleted")

    class Meta:
        ordering = ["sort", "code"]
        verbose_name_plural = "lead statuses"

    def __str__(self) -> str:
        return self.name


class Source(models.Model):
    """Where an inquiry came from (Bitrix24 directory SOURCE)."""

    code = models.CharField(_("code"), max_length=50, primary_key=True)
    name = models.CharField(_("name"), max_length=255)
    sort = models.IntegerField(_("sort"), default=10)

    class Meta:
        ordering = ["sort", "code"]

    def __str__(self) -> str:
        return self.name


class CrmSettings(models.Model):
    """The installation's CRM settings: one row (pk 1), read from the database by every path."""

    mode = models.CharField(max_length=10, choices=CrmMode.choices, default=CrmMode.SIMPLE)
    #: Pipeline for deals made from inquiries in simple mode; ``None`` means the default pipeline.
    simple_pipeline = models.ForeignKey(Pipeline, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    create_company = models.BooleanField(default=False)
    match_existing_customers = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "CRM settings"

    @classmethod
    def load(cls, *, for_update: bool = False) -> CrmSettings:
        qs = cls.objects.select_for_update() if for_update else cls.objects
        obj = qs.filter(pk=1).first()
        if obj is None:
            obj, _ = cls.objects.get_or_create(pk=1)
        return obj


# Soft references (``db_constraint=False``): who did something (users), where it came from (source,
# origin lead) and what a lead became (its contact, company, deal). Django still applies ``on_delete``
# (SET_NULL) when the referenced row is deleted through the application, and every service checks the
# ids it is given; only the database's own foreign-key check is left out. That check costs a row lock
# on the referenced row for every row written (a quarter of a bulk conversion's time on PostgreSQL)
# and guards nothing these columns need; Bitrix24 keeps no foreign keys in its CRM tables either. The
# references that make up a record's structure keep theirs: a deal's pipeline, stage, contact and
# company, a contact's company, a lead's status, a deal's contact list, an activity's bindings.


def _text(label: StrOrPromise, max_length: int = 255) -> models.CharField:
    # db_default too: the bulk paths (switch job, generators) insert with plain SQL and name only the
    # columns they fill.
    return models.CharField(label, max_length=max_length, blank=True, default="", db_default="")


def _longtext(label: StrOrPromise) -> models.TextField:
    return models.TextField(label, blank=True, default="", db_default="")


class TimestampedRecord(models.Model):
    """Fields every CRM record has (the ones Bitrix24 gives all four kinds; ``kontor.crm.fields`` says
    how each appears on the API, the facade and the forms)."""

    assigned = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                 db_constraint=False)
    # No index of its own: only a user's deletion looks records up by creator (bulk writes stay cheaper).
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                   db_index=False, db_constraint=False)
    comments = models.TextField(_("comments"), blank=True, default="")
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now, db_index=True)
    #: Visible to everyone (Bitrix24 OPENED).
    opened = models.BooleanField(_("available to everyone"), default=True, db_default=True)
    #: The record's id in the external system that created it (Bitrix24 ORIGINATOR_ID / ORIGIN_ID).
    originator_id = _text(_("external system"))
    origin_id = _text(_("external id"))
    utm_source = _text("UTM source")
    utm_medium = _text("UTM medium")
    utm_campaign = _text("UTM campaign")
    utm_content = _text("UTM content")
    utm_term = _text("UTM term")
    #: Custom field values ({"uf_crm_x": value}); ``None`` when the record has none. Definitions are
    #: ``CustomField`` rows; a defined field's filter is served by an expression index on its key.
    uf = models.JSONField(null=True, blank=True, default=None)

    class Meta:
        abstract = True


class AddressFields(models.Model):
    """Bitrix24's ADDRESS, ADDRESS_2, ADDRESS_CITY … of leads, contacts and companies."""

    address = _text(_("street address"))
    address_2 = _text(_("address line 2"))
    address_city = _text(_("city"))
    address_postal_code = _text(_("postal code"), 20)
    address_region = _text(_("region"))
    address_province = _text(_("state / province"))
    address_country = _text(_("country"))
    address_country_code = _text(_("country code"), 2)

    class Meta:
        abstract = True


class Company(AddressFields, TimestampedRecord):
    """An organisation."""

    entity_type = EntityType.COMPANY

    title = models.CharField(_("title"), max_length=255)
    #: Case-folded title, how an inquiry's company finds an existing one.
    # Indexed through Meta.indexes: only looked up by equality (no PostgreSQL "_like" index).
    title_normalized = models.CharField(max_length=255, editable=False, default="")
    industry = models.CharField(_("industry"), max_length=100, blank=True, default="")
    company_type = _text(_("company type"), 50)
    employees = _text(_("employees"), 50)
    revenue = models.DecimalField(_("annual revenue"), max_digits=18, decimal_places=2, null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, blank=True, default="", db_default="")
    banking_details = _longtext(_("banking details"))
    lead = models.ForeignKey("Lead", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                             db_constraint=False)

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "companies"
        indexes = [models.Index(fields=["title_normalized"], name="crm_company_title_norm_idx")]

    def __str__(self) -> str:
        return self.title


class Contact(AddressFields, TimestampedRecord):
    """A person."""

    entity_type = EntityType.CONTACT

    honorific = _text(_("salutation"), 50)
    birthdate = models.DateField(_("date of birth"), null=True, blank=True)
    type_id = _text(_("contact type"), 50)
    source_description = _longtext(_("source information"))
    export = models.BooleanField(_("included in export"), default=True, db_default=True)
    name = models.CharField(_("first name"), max_length=100, blank=True, default="")
    second_name = models.CharField(_("second name"), max_length=100, blank=True, default="")
    last_name = models.CharField(_("last name"), max_length=100, blank=True, default="")
    post = models.CharField(_("position"), max_length=255, blank=True, default="")
    #: The primary company; all companies are in ``companies`` (through ContactCompany).
    company = models.ForeignKey(Company, null=True, blank=True, on_delete=models.SET_NULL, related_name="contacts")
    companies = models.ManyToManyField(Company, through="ContactCompany", related_name="all_contacts", blank=True)
    # Indexed through Meta.indexes (a source code is only compared for equality: no "_like" index).
    source = models.ForeignKey(Source, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                               db_index=False, db_constraint=False)
    #: The lead this contact was made from, if any.
    lead = models.ForeignKey("Lead", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                             db_constraint=False)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["last_name", "name"]),
            models.Index(fields=["source"], name="crm_contact_source_idx"),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.name, self.second_name, self.last_name) if p) or f"#{self.pk}"


class Lead(AddressFields, TimestampedRecord):
    """An inquiry not yet qualified. Once converted it is read-only history."""

    entity_type = EntityType.LEAD

    title = models.CharField(_("title"), max_length=255)
    honorific = _text(_("salutation"), 50)
    birthdate = models.DateField(_("date of birth"), null=True, blank=True)
    status_description = _longtext(_("status information"))
    name = models.CharField(_("first name"), max_length=100, blank=True, default="")
    second_name = models.CharField(_("second name"), max_length=100, blank=True, default="")
    last_name = models.CharField(_("last name"), max_length=100, blank=True, default="")
    post = models.CharField(_("position"), max_length=255, blank=True, default="")
    company_title = models.CharField(_("company name"), max_length=255, blank=True, default="")
    #: Case-folded company title (``normalize_title``): how conversion finds an existing company.
    company_title_normalized = models.CharField(max_length=255, blank=True, default="", editable=False)
    # Indexed by (status, id) in Meta.indexes, which serves every lookup by status.
    status = models.ForeignKey(LeadStatus, on_delete=models.PROTECT, related_name="leads", default="NEW",
                               db_index=False)
    # Indexed through Meta.indexes (a source code is only compared for equality: no "_like" index).
    source = models.ForeignKey(Source, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                               db_index=False, db_constraint=False)
    source_description = models.TextField(blank=True, default="")
    opportunity = models.DecimalField(_("amount"), max_digits=18, decimal_places=2, default=Decimal("0"))
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    #: The customer this lead is linked to (a repeat lead), or what it became when converted.
    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="leads",
                                db_constraint=False)
    company = models.ForeignKey(Company, null=True, blank=True, on_delete=models.SET_NULL, related_name="leads",
                                db_constraint=False)
    deal = models.ForeignKey("Deal", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                             db_constraint=False)
    is_return_customer = models.BooleanField(default=False)
    converted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["status", "id"]),
            models.Index(fields=["source"], name="crm_lead_source_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.name, self.second_name, self.last_name) if p)


class Deal(TimestampedRecord):
    """A sale: in exactly one pipeline, at one of its stages."""

    entity_type = EntityType.DEAL

    title = models.CharField(_("title"), max_length=255)
    # Indexed through Meta.indexes ((pipeline, stage, id), (stage, id), (pipeline, closed, id)).
    pipeline = models.ForeignKey(Pipeline, on_delete=models.PROTECT, related_name="deals", db_index=False)
    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="deals", db_index=False)
    opportunity = models.DecimalField(_("amount"), max_digits=18, decimal_places=2, default=Decimal("0"))
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    #: The primary contact; all contacts are in ``contacts`` (through DealContact).
    contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    contacts = models.ManyToManyField(Contact, through="DealContact", related_name="deals", blank=True)
    company = models.ForeignKey(Company, null=True, blank=True, on_delete=models.SET_NULL, related_name="deals")
    #: The lead this deal was converted from.
    lead = models.ForeignKey(Lead, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                             db_constraint=False)
    # Indexed through Meta.indexes (a source code is only compared for equality: no "_like" index).
    source = models.ForeignKey(Source, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                               db_index=False, db_constraint=False)
    closed = models.BooleanField(default=False)
    closed_at = models.DateTimeField(null=True, blank=True)
    is_return_customer = models.BooleanField(default=False)
    type_id = _text(_("deal type"), 50)
    #: Start and expected close date (Bitrix24 BEGINDATE / CLOSEDATE); a deal closed without one gets
    #: the day it closed.
    begindate = models.DateField(_("start date"), null=True, blank=True)
    closedate = models.DateField(_("close date"), null=True, blank=True)
    probability = models.PositiveSmallIntegerField(_("probability"), null=True, blank=True)
    source_description = _longtext(_("source information"))
    additional_info = _longtext(_("additional information"))
    # Indexed by (assigned, closed, id) in Meta.indexes: "my open deals", newest first, is the list
    # everyone opens, and its page and its count are then read from the index alone.
    assigned = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                 db_index=False, db_constraint=False)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["pipeline", "stage", "id"]),
            models.Index(fields=["stage", "id"]),
            # A pipeline's open deals (the list's default view), newest first, page and count read
            # from the index alone.
            models.Index(fields=["pipeline", "closed", "id"], name="crm_deal_pipeline_open_idx"),
            models.Index(fields=["source"], name="crm_deal_source_idx"),
            models.Index(fields=["assigned", "closed", "id"], name="crm_deal_assigned_open_idx"),
        ]

    def __str__(self) -> str:
        return self.title


class DealContact(models.Model):
    """A contact's part in a deal (Bitrix24 crm.deal.contact.items)."""

    # Indexed by unique_deal_contact, which starts with it.
    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="deal_contacts", db_index=False)
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="deal_links")
    sort = models.IntegerField(default=10)
    is_primary = models.BooleanField(default=False)

    class Meta:
        ordering = ["sort", "id"]
        constraints = [models.UniqueConstraint(fields=["deal", "contact"], name="unique_deal_contact")]


class ContactCompany(models.Model):
    """A contact's place in a company (Bitrix24 COMPANY_IDS, crm.contact.company.items)."""

    # Indexed by unique_contact_company, which starts with it.
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="company_links", db_index=False)
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="contact_links")
    sort = models.IntegerField(default=10)
    is_primary = models.BooleanField(default=False)

    class Meta:
        ordering = ["sort", "id"]
        constraints = [models.UniqueConstraint(fields=["contact", "company"], name="unique_contact_company")]


class DirectoryItem(models.Model):
    """An entry of one of Bitrix24's simple directories (crm.status ENTITY_ID ``HONORIFIC``,
    ``CONTACT_TYPE``, ``COMPANY_TYPE``, ``DEAL_TYPE``, ``INDUSTRY``, ``EMPLOYEES``). Lead statuses,
    sources and stages have models of their own."""

    directory = models.CharField(max_length=32)
    code = models.CharField(_("code"), max_length=50)
    name = models.CharField(_("name"), max_length=255)
    sort = models.IntegerField(_("sort"), default=10)
    system = models.BooleanField(default=False)

    class Meta:
        ordering = ["directory", "sort", "id"]
        constraints = [models.UniqueConstraint(fields=["directory", "code"], name="unique_directory_item")]

    def __str__(self) -> str:
        return self.name


class CustomField(models.Model):
    """A field an admin added to a record kind ("Benutzerdefiniertes Feld", Bitrix24 ``UF_CRM_*``).

    Values live in the record's ``uf`` JSON under ``code.lower()``; ``kontor.crm.fields`` turns each
    definition into a field spec beside the standard ones, so the API, the facade, the forms, the
    filters and the conversion treat both alike.
    """

    entity_type = models.PositiveSmallIntegerField(choices=EntityType.choices)
    #: ``UF_CRM_<NAME>``, upper case (the facade's spelling; the native key is its lower case).
    code = models.CharField(max_length=50)
    type = models.CharField(max_length=16)
    multiple = models.BooleanField(default=False)
    mandatory = models.BooleanField(default=False)
    sort = models.IntegerField(default=100)
    label_de = models.CharField(max_length=255, blank=True, default="")
    label_en = models.CharField(max_length=255, blank=True, default="")
    show_in_list = models.BooleanField(default=True)
    show_filter = models.BooleanField(default=True)
    #: Type settings: ``{"entity": "contact"}`` for links to CRM records, ``{"default": …}``.
    settings = models.JSONField(default=dict, blank=True)
    xml_id = models.CharField(max_length=255, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["entity_type", "sort", "id"]
        constraints = [models.UniqueConstraint(fields=["entity_type", "code"], name="unique_custom_field")]

    def __str__(self) -> str:
        return self.code

    @property
    def key(self) -> str:
        """The native API's flat key, ``uf_crm_<name>``."""
        return self.code.lower()


class CustomFieldItem(models.Model):
    """One choice of an enumeration custom field; records store its id, as Bitrix24 does."""

    field = models.ForeignKey(CustomField, on_delete=models.CASCADE, related_name="items")
    value = models.CharField(max_length=255)
    sort = models.IntegerField(default=500)
    is_default = models.BooleanField(default=False)
    xml_id = models.CharField(max_length=255, blank=True, default="")

    class Meta:
        ordering = ["sort", "id"]

    def __str__(self) -> str:
        return self.value


class Communication(models.Model):
    """One phone or e-mail of a lead, deal, contact or company (Bitrix24 multi-field)."""

    entity_type = models.PositiveSmallIntegerField(choices=EntityType.choices)
    entity_id = models.BigIntegerField()
    type = models.CharField(max_length=10, choices=CommType.choices)
    value_type = models.CharField(max_length=20, default="WORK")
    value = models.CharField(max_length=255)
    #: E.164 phone or lower-cased e-mail: the duplicate-matching key.
    normalized = models.CharField(max_length=255)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["entity_type", "entity_id"]),
            models.Index(fields=["type", "normalized", "entity_type"]),
        ]

    def __str__(self) -> str:
        return self.value


class Activity(models.Model):
    """A call, meeting, e-mail, task or to-do; open until completed; bound to one or more records."""

    type = models.CharField(_("type"), max_length=10, choices=ActivityType.choices, default=ActivityType.TODO)
    subject = models.CharField(_("subject"), max_length=255)
    description = models.TextField(_("description"), blank=True, default="")
    deadline = models.DateTimeField(_("deadline"), null=True, blank=True)
    #: Bitrix24 keeps a call's or meeting's start and end beside the deadline (START_TIME, END_TIME).
    start_time = models.DateTimeField(_("start time"), null=True, blank=True)
    end_time = models.DateTimeField(_("end time"), null=True, blank=True)
    #: Who the activity is with, as Bitrix24's COMMUNICATIONS: [{"type": "PHONE", "value": "+49…",
    #: "entity_type": 3, "entity_id": 5}, …]; kept as given, read back in the same order.
    communications = models.JSONField(default=list, blank=True)
    completed = models.BooleanField(_("completed"), default=False)
    completed_at = models.DateTimeField(null=True, blank=True)
    direction = models.PositiveSmallIntegerField(choices=ActivityDirection.choices, null=True, blank=True)
    priority = models.PositiveSmallIntegerField(default=2)
    # Indexed by (responsible, completed) in Meta.indexes.
    responsible = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                    db_index=False, db_constraint=False)
    author = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                               db_constraint=False)
    #: The primary binding (Bitrix24 OWNER_TYPE_ID / OWNER_ID); all bindings are in ActivityBinding.
    owner_type = models.PositiveSmallIntegerField(choices=EntityType.choices, null=True, blank=True)
    owner_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "activities"
        indexes = [
            models.Index(fields=["completed", "deadline"]),
            models.Index(fields=["responsible", "completed"]),
        ]

    def __str__(self) -> str:
        return self.subject


class ActivityBinding(models.Model):
    """Binds an activity to a record."""

    # Indexed by unique_activity_binding, which starts with it.
    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="bindings", db_index=False)
    entity_type = models.PositiveSmallIntegerField(choices=EntityType.choices)
    entity_id = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["activity", "entity_type", "entity_id"], name="unique_activity_binding")
        ]
        indexes = [models.Index(fields=["entity_type", "entity_id"])]


class TimelineEntry(models.Model):
    """An event in a record's history."""

    entity_type = models.PositiveSmallIntegerField(choices=EntityType.choices)
    entity_id = models.BigIntegerField()
    kind = models.CharField(max_length=32, choices=TimelineKind.choices)
    data = models.JSONField(default=dict, blank=True)
    actor = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                              db_index=False, db_constraint=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "timeline entries"
        indexes = [models.Index(fields=["entity_type", "entity_id", "created_at"])]


class AuditLog(models.Model):
    """A change of settings (CRM mode, simple-mode settings, pipelines): who, what, old and new."""

    action = models.CharField(max_length=64, db_index=True)
    actor = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]


RECORD_MODELS: dict[EntityType, type[models.Model]] = {
    EntityType.LEAD: Lead,
    EntityType.DEAL: Deal,
    EntityType.CONTACT: Contact,
    EntityType.COMPANY: Company,
}
