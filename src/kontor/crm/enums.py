"""Enumerations of the CRM domain. Values are stored in the database and sent on the wire."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class EntityType(models.IntegerChoices):
    """Record kinds, numbered as Bitrix24's CCrmOwnerType so the facade passes them through."""

    LEAD = 1, _("Lead")  # an inquiry not yet qualified (classic mode)
    DEAL = 2, _("Deal")  # a sale in a pipeline
    CONTACT = 3, _("Contact")  # a person
    COMPANY = 4, _("Company")  # an organisation

    @classmethod
    def from_name(cls, name: str) -> "EntityType":
        return cls[name.strip().upper()]


class Semantic(models.TextChoices):
    """What a stage or lead status means for the record's life cycle."""

    PROCESS = "process", _("In progress")  # still being worked on
    SUCCESS = "success", _("Success")  # won deal / converted lead
    FAILURE = "failure", _("Failure")  # lost deal / junk lead


class CrmMode(models.TextChoices):
    """The two CRM modes of Bitrix24 (REST crm.settings.mode.get: classic = 1, simple = 2)."""

    CLASSIC = "classic", _("Classic CRM")  # inquiries become leads, converted later
    SIMPLE = "simple", _("Simple CRM")  # inquiries become deals and contacts at once


class CommType(models.TextChoices):
    """Kinds of multi-value communication fields (Bitrix24 TYPE_ID)."""

    PHONE = "PHONE", _("Phone")
    EMAIL = "EMAIL", _("E-mail")
    WEB = "WEB", _("Website")
    IM = "IM", _("Messenger")


PHONE_VALUE_TYPES = ("WORK", "MOBILE", "FAX", "HOME", "PAGER", "MAILING", "OTHER")
EMAIL_VALUE_TYPES = ("WORK", "HOME", "MAILING", "OTHER")
WEB_VALUE_TYPES = ("WORK", "HOME", "FACEBOOK", "VK", "LIVEJOURNAL", "TWITTER", "OTHER")
IM_VALUE_TYPES = ("TELEGRAM", "WHATSAPP", "VK", "SKYPE", "VIBER", "FACEBOOK", "INSTAGRAM", "BITRIX24", "OPENLINE",
                  "IMOL", "ICQ", "MSN", "JABBER", "OTHER")
#: The value types each multi-field accepts (Bitrix24 VALUE_TYPE).
COMM_VALUE_TYPES = {"PHONE": PHONE_VALUE_TYPES, "EMAIL": EMAIL_VALUE_TYPES, "WEB": WEB_VALUE_TYPES,
                    "IM": IM_VALUE_TYPES}


class ActivityType(models.TextChoices):
    """Kinds of activity."""

    CALL = "call", _("Call")
    MEETING = "meeting", _("Meeting")
    EMAIL = "email", _("E-mail")
    TASK = "task", _("Task")
    TODO = "todo", _("To-do")


class ActivityDirection(models.IntegerChoices):
    """Direction of a call or e-mail (Bitrix24 DIRECTION)."""

    INCOMING = 1, _("Incoming")
    OUTGOING = 2, _("Outgoing")


class TimelineKind(models.TextChoices):
    """Kinds of timeline events shown on a record."""

    CREATED = "created", _("Created")  # the record was created
    UPDATED = "updated", _("Updated")  # fields changed; data.changes lists them
    STAGE_CHANGED = "stage_changed", _("Stage changed")  # deal moved; data.from/to
    STATUS_CHANGED = "status_changed", _("Status changed")  # lead status changed; data.from/to
    CONVERTED = "converted", _("Converted")  # lead converted; data names what it became
    CREATED_FROM_LEAD = "created_from_lead", _("Created from lead")  # deal/contact/company made by conversion
    ACTIVITY_ADDED = "activity_added", _("Activity added")
    ACTIVITY_COMPLETED = "activity_completed", _("Activity completed")
    COMMENT = "comment", _("Comment")  # a free-text note


# Default deal stages of Bitrix24's general pipeline: (code, German name, English name, semantic, color).
DEFAULT_STAGES = [
    ("NEW", "Neu", "New", Semantic.PROCESS, "#39A8EF"),
    ("PREPARATION", "Vorbereitung der Unterlagen", "Preparing documents", Semantic.PROCESS, "#2FC6F6"),
    ("PREPAYMENT_INVOICE", "Rechnung für Vorauszahlung", "Prepayment invoice", Semantic.PROCESS, "#55D0E0"),
    ("EXECUTING", "In Bearbeitung", "In progress", Semantic.PROCESS, "#47E4C2"),
    ("FINAL_INVOICE", "Schlussrechnung", "Final invoice", Semantic.PROCESS, "#FFA900"),
    ("WON", "Auftrag gewonnen", "Deal won", Semantic.SUCCESS, "#7BD500"),
    ("LOSE", "Auftrag verloren", "Deal lost", Semantic.FAILURE, "#FF5752"),
    ("APOLOGY", "Analyse der Ursache", "Analyse failure", Semantic.FAILURE, "#FF5752"),
]

# Default lead statuses of Bitrix24: (code, German name, English name, sort, semantic).
DEFAULT_LEAD_STATUSES = [
    ("NEW", "Unbearbeitet", "Unassigned", 10, Semantic.PROCESS),
    ("IN_PROCESS", "In Bearbeitung", "In process", 20, Semantic.PROCESS),
    ("PROCESSED", "Bearbeitet", "Processed", 30, Semantic.PROCESS),
    ("CONVERTED", "Qualifizierter Lead", "Good lead", 50, Semantic.SUCCESS),
    ("JUNK", "Schlechter Lead", "Junk lead", 60, Semantic.FAILURE),
]

# Default sources of Bitrix24 (directory SOURCE): (code, German, English).
DEFAULT_SOURCES = [
    ("CALL", "Anruf", "Call"),
    ("EMAIL", "E-Mail", "E-mail"),
    ("WEB", "Webseite", "Website"),
    ("ADVERTISING", "Werbung", "Advertising"),
    ("PARTNER", "Partner", "Partner"),
    ("RECOMMENDATION", "Empfehlung", "Recommendation"),
    ("TRADE_SHOW", "Messe", "Trade show"),
    ("WEBFORM", "CRM-Formular", "CRM form"),
    ("CALLBACK", "Rückruf", "Callback"),
    ("RC_GENERATOR", "Vertriebsbooster", "Sales boost"),
    ("STORE", "Onlineshop", "Online store"),
    ("OTHER", "Sonstiges", "Other"),
]

# Bitrix24's simple directories (crm.status ENTITY_ID): {directory: [(code, German, English), …]}.
DEFAULT_DIRECTORIES = {
    "HONORIFIC": [("HNR_EN_1", "Herr", "Mr."), ("HNR_EN_2", "Frau", "Mrs."), ("HNR_EN_3", "Frau", "Ms."),
                  ("HNR_EN_4", "Dr.", "Dr.")],
    "CONTACT_TYPE": [("CLIENT", "Kunden", "Clients"), ("SUPPLIER", "Lieferanten", "Suppliers"),
                     ("PARTNER", "Partner", "Partners"), ("OTHER", "Sonstiges", "Other")],
    "COMPANY_TYPE": [("CUSTOMER", "Kunde", "Client"), ("SUPPLIER", "Lieferant", "Supplier"),
                     ("COMPETITOR", "Mitbewerber", "Competitor"), ("PARTNER", "Partner", "Partner"),
                     ("OTHER", "Sonstiges", "Other")],
    "DEAL_TYPE": [("SALE", "Verkauf", "Sales"), ("COMPLEX", "Komplexverkauf", "Integrated sale"),
                  ("GOODS", "Warenverkauf", "Merchandise sale"), ("SERVICES", "Dienstleistungen", "Services"),
                  ("SERVICE", "Kundendienst", "After-sales service")],
    "INDUSTRY": [("IT", "Informationstechnologie", "Information Technology"),
                 ("TELECOM", "Telekommunikation", "Telecommunication"),
                 ("MANUFACTURING", "Produktion", "Manufacturing"),
                 ("BANKING", "Bankwesen", "Banking Services"), ("CONSULTING", "Beratung", "Consulting"),
                 ("FINANCE", "Finanzen", "Finance"), ("GOVERNMENT", "Behörden", "Government"),
                 ("DELIVERY", "Lieferung", "Delivery"), ("ENTERTAINMENT", "Unterhaltung", "Entertainment"),
                 ("NOTPROFIT", "Gemeinnützig", "Non-profit"), ("OTHER", "Sonstiges", "Other")],
    "EMPLOYEES": [("EMPLOYEES_1", "weniger als 50", "less than 50"), ("EMPLOYEES_2", "50–250", "50-250"),
                  ("EMPLOYEES_3", "250–500", "250-500"), ("EMPLOYEES_4", "mehr als 500", "over 500")],
}

CONVERTED_STATUS = "CONVERTED"
JUNK_STATUS = "JUNK"
