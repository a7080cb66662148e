"""Sample data for a newcomer: a living CRM in German and English, made through the real services.

``DemoData(seed=…).create()`` makes two sales managers, a second pipeline, companies, contacts with
phones and e-mails, deals in every stage of both pipelines, leads in every status (the converted
ones linked to the deal and contact they became), and activities with past and future deadlines,
some completed. The same seed gives the same data. Records get creation dates spread over the last
three months so lists, ordering and the timeline look lived in.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from kontor.accounts.models import Role, User
from kontor.accounts.services import user_get_or_create
from kontor.crm.enums import CONVERTED_STATUS, CrmMode, EntityType, Semantic
from kontor.crm.models import (
    Activity,
    ActivityBinding,
    AuditLog,
    Communication,
    Company,
    Contact,
    CrmSettings,
    Deal,
    DealContact,
    Lead,
    Pipeline,
    TimelineEntry,
)
from kontor.crm.services import (
    activity_create,
    company_create,
    contact_create,
    deal_create,
    lead_create,
    pipeline_create,
)

SECOND_PIPELINE = "Service & Wartung"

COMPANIES = [
    # (title, industry code of the INDUSTRY directory, phone, e-mail domain)
    ("Müller Bau GmbH", "MANUFACTURING", "+49 30 2345 6789", "mueller-bau.example.de"),
    ("Schneider Logistik AG", "DELIVERY", "040 87654321", "schneider-logistik.example.de"),
    ("Bäckerei Weiß", "MANUFACTURING", "089 1234567", "baeckerei-weiss.example.de"),
    ("Fischer & Söhne KG", "OTHER", "0221 9876543", "fischer-soehne.example.de"),
    ("Hoffmann IT-Service", "IT", "0711 4455667", "hoffmann-it.example.de"),
    ("Kaffeerösterei Braun", "MANUFACTURING", "0351 7788990", "roesterei-braun.example.de"),
    ("Northwind Traders Ltd", "DELIVERY", "+44 20 7946 0123", "northwind.example.co.uk"),
    ("Blue Harbor Software Inc.", "IT", "+1 212 555 0142", "blueharbor.example.com"),
    ("Greenfield Energy plc", "OTHER", "+44 161 496 0456", "greenfield.example.co.uk"),
    ("Alpenblick Hotel GmbH", "ENTERTAINMENT", "+43 512 123456", "alpenblick.example.at"),
    ("Zürcher Treuhand AG", "FINANCE", "+41 44 668 18 00", "zuercher-treuhand.example.ch"),
    ("Atlantic Medical Supplies", "OTHER", "+1 617 555 0199", "atlantic-med.example.com"),
]

PEOPLE = [
    # (first name, last name, position)
    ("Jürgen", "Müller", "Geschäftsführer"),
    ("Sabine", "Schneider", "Einkaufsleiterin"),
    ("Günther", "Weiß", "Inhaber"),
    ("Anna", "Fischer", "Prokuristin"),
    ("Lukas", "Hoffmann", "IT-Leiter"),
    ("Sophie", "Braun", "Marketing"),
    ("Oliver", "Bennett", "Purchasing Manager"),
    ("Emily", "Carter", "CTO"),
    ("Harry", "Thompson", "Operations Director"),
    ("Katharina", "Gruber", "Direktorin"),
    ("Reto", "Keller", "Partner"),
    ("Jessica", "Miller", "Procurement"),
    ("Thomas", "Schulz", "Bauleiter"),
    ("Lena", "Wagner", "Assistentin der Geschäftsführung"),
    ("Michael", "Becker", "Vertrieb"),
    ("Grace", "Walker", "Office Manager"),
    ("Felix", "Zimmermann", ""),
    ("Charlotte", "Evans", "Head of Facilities"),
    ("Jonas", "Krüger", "Einkauf"),
    ("Marie", "Schäfer", ""),
    ("Daniel", "Roberts", "Finance"),
    ("Hannah", "Köhler", "Projektleiterin"),
]

MOBILES = ["0151 2345{:04d}", "0170 8765{:04d}", "+49 176 5544{:04d}", "+44 7700 90{:04d}", "+1 646 555 0{:03d}"]

DEAL_TITLES = [
    "Neubau Lagerhalle", "Wartungsvertrag 2027", "Website-Relaunch", "Kaffeevollautomaten für Filialen",
    "Server-Migration", "Annual supply contract", "CRM rollout", "Solar panels for HQ", "Jahresinspektion",
    "Büroausstattung", "Fuhrpark-Leasing", "Cloud backup", "Hotel-WLAN", "Steuerberatung Paket M",
    "Medical devices Q3", "Schulung Mitarbeiter", "Dachsanierung", "Catering Sommerfest", "Security audit",
    "Rahmenvertrag Verpackung",
]

LEAD_TITLES = [
    ("Anfrage über Webformular", "WEB"), ("Rückrufbitte", "CALLBACK"), ("Messe-Kontakt Hannover", "TRADE_SHOW"),
    ("Empfehlung von Müller Bau", "RECOMMENDATION"), ("Website enquiry: pricing", "WEB"),
    ("Cold call follow-up", "CALL"), ("Anfrage Angebot Wartung", "EMAIL"), ("Newsletter sign-up", "ADVERTISING"),
    ("Partneranfrage", "PARTNER"), ("Online shop question", "STORE"), ("Preisanfrage Großhandel", "EMAIL"),
    ("Demo request", "WEBFORM"),
]

LEAD_PEOPLE = [
    ("Petra", "Lehmann", "Lehmann Druck GmbH"), ("George", "Hughes", "Hughes & Co"), ("Stefan", "Wolf", ""),
    ("Olivia", "Green", "Green Leaf Cafés"), ("Monika", "Neumann", "Neumann Immobilien"),
    ("Jack", "Turner", ""), ("Ursula", "Schwarz", "Schwarz Metallbau"), ("Amelia", "Hall", "Hall Logistics"),
    ("Klaus", "Zimmer", ""), ("Sarah", "Young", "Young Dental"), ("Heinz", "Krause", "Krause Gartenbau"),
    ("Chloe", "King", ""),
]

ACTIVITY_SUBJECTS = {
    "call": ["Rückruf wegen Angebot", "Follow-up call", "Telefonat Budget klären", "Call about delivery date"],
    "meeting": ["Termin vor Ort", "Kick-off meeting", "Präsentation beim Kunden", "Quarterly review"],
    "email": ["Angebot per E-Mail senden", "Send contract draft", "Unterlagen nachreichen", "Reply to enquiry"],
    "task": ["Angebot kalkulieren", "Prepare proposal", "Referenzen zusammenstellen", "Check credit rating"],
    "todo": ["Visitenkarte erfassen", "Update CRM notes", "Muster verschicken", "Book meeting room"],
}


def _ascii(text: str) -> str:
    text = text.replace("ä", "ae").replace("ö", "oe").replace("ü", "ue").replace("ß", "ss")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in text.lower() if ch.isalnum() or ch in ".-")


@dataclass
class DemoSummary:
    """What ``DemoData.create`` made."""

    counts: dict[str, int] = field(default_factory=dict)

    def __str__(self) -> str:
        return ", ".join(f"{n} {name}" for name, n in self.counts.items())


def crm_has_records() -> bool:
    """Whether the CRM holds any record the demo would mix with."""
    return any(model.objects.exists() for model in (Lead, Deal, Contact, Company, Activity))


@transaction.atomic
def crm_records_delete() -> None:
    """Delete every CRM record (leads, deals, contacts, companies, activities, their phones, e-mails and
    timelines) and every pipeline but the default one. Users, statuses and settings stay."""
    ActivityBinding.objects.all().delete()
    Activity.objects.all().delete()
    DealContact.objects.all().delete()
    Lead.objects.update(contact=None, company=None, deal=None)
    Deal.objects.all().delete()
    Lead.objects.all().delete()
    Contact.objects.all().delete()
    Company.objects.all().delete()
    Communication.objects.all().delete()
    TimelineEntry.objects.all().delete()
    CrmSettings.objects.filter(pk=1).update(simple_pipeline=None)
    Pipeline.objects.filter(is_default=False).delete()


class DemoData:
    """Makes the sample CRM through the same services the API uses, deterministically per ``seed``."""

    def __init__(self, *, seed: int = 2026, actor: User | None = None) -> None:
        self.rng = random.Random(seed)
        self.actor = actor
        self.now = timezone.now()
        self.summary = DemoSummary()

    @transaction.atomic
    def create(self) -> DemoSummary:
        managers = self._managers()
        pipelines = self._pipelines()
        companies = self._companies(managers)
        contacts = self._contacts(companies, managers)
        deals = self._deals(pipelines, contacts, managers)
        leads = self._leads(managers, pipelines[0])
        self._activities(deals, leads, contacts, managers)
        # Converted leads made a contact and a deal each: count what is there.
        self.summary.counts.update(contacts=Contact.objects.count(), deals=Deal.objects.count())
        settings = CrmSettings.load(for_update=True)
        if settings.mode != CrmMode.CLASSIC:
            AuditLog.objects.create(action="crm_mode_changed", actor=self.actor,
                                    data={"from": settings.mode, "to": CrmMode.CLASSIC, "by": "kontor demo"})
            settings.mode = CrmMode.CLASSIC
            settings.save(update_fields=["mode", "updated_at"])
        AuditLog.objects.create(action="demo_created", actor=self.actor, data=dict(self.summary.counts))
        return self.summary

    # -- pieces -----------------------------------------------------------------------------------

    def _managers(self) -> list[User]:
        people = [("anna.schneider", "Anna", "Schneider"), ("james.wilson", "James", "Wilson")]
        managers = []
        for username, first, last in people:
            user, created = user_get_or_create(username=username, role=Role.MANAGER)
            if created:
                User.objects.filter(pk=user.pk).update(first_name=first, last_name=last,
                                                       email=f"{username}@kontor.example")
            managers.append(user)
        self.summary.counts["users"] = len(managers)
        return managers

    def _pipelines(self) -> list[Pipeline]:
        default = Pipeline.objects.get(is_default=True)
        second = Pipeline.objects.filter(name=SECOND_PIPELINE).first()
        if second is None:
            second = pipeline_create(actor=self.actor, name=SECOND_PIPELINE, sort=600)
        self.summary.counts["pipelines"] = 2
        return [default, second]

    def _backdate(self, model, pk: int, *, max_days: int = 90) -> None:
        created = self.now - timedelta(days=self.rng.randint(1, max_days), minutes=self.rng.randint(0, 1440))
        updated = min(self.now, created + timedelta(days=self.rng.randint(0, 10)))
        model.objects.filter(pk=pk).update(created_at=created, updated_at=updated)

    def _companies(self, managers: list[User]) -> list[Company]:
        companies = []
        for title, industry, phone, domain in COMPANIES:
            company = company_create(actor=self.actor, data={
                "title": title, "industry": industry, "phones": [phone],
                "emails": [{"value": f"info@{domain}", "type": "WORK"}],
                "assigned_id": self.rng.choice(managers).pk,
            })
            company.demo_domain = domain  # type: ignore[attr-defined]
            self._backdate(Company, company.pk)
            companies.append(company)
        self.summary.counts["companies"] = len(companies)
        return companies

    def _contacts(self, companies: list[Company], managers: list[User]) -> list[Contact]:
        contacts = []
        for index, (first, last, post) in enumerate(PEOPLE):
            company = companies[index % len(companies)] if index < 18 else None
            domain = company.demo_domain if company else "mail.example.org"  # type: ignore[attr-defined]
            phones: list = [{"value": self.rng.choice(MOBILES).format(index * 37 % 1000), "type": "MOBILE"}]
            if company and index % 3 == 0:
                phones.append({"value": company_phone(company), "type": "WORK"})
            contact = contact_create(actor=self.actor, data={
                "name": first, "last_name": last, "post": post, "company_id": company.pk if company else None,
                "phones": phones, "emails": [f"{_ascii(first)}.{_ascii(last)}@{domain}"],
                "source": self.rng.choice(["CALL", "EMAIL", "WEB", "RECOMMENDATION", "TRADE_SHOW"]),
                "assigned_id": self.rng.choice(managers).pk,
            })
            self._backdate(Contact, contact.pk)
            contacts.append(contact)
        self.summary.counts["contacts"] = len(contacts)
        return contacts

    def _deals(self, pipelines: list[Pipeline], contacts: list[Contact], managers: list[User]) -> list[Deal]:
        deals = []
        titles = iter(DEAL_TITLES * 3)
        # Every stage of both pipelines gets deals; early stages more, as in a real funnel.
        for pipeline in pipelines:
            for stage in pipeline.stages.order_by("sort", "id"):
                count = 3 if stage.semantic == Semantic.PROCESS and stage.sort <= 20 else 1
                if pipeline.is_default and stage.semantic == Semantic.PROCESS:
                    count += 1
                for _ in range(count):
                    contact = self.rng.choice(contacts)
                    deal = deal_create(actor=self.actor, data={
                        "title": next(titles), "pipeline_id": pipeline.pk, "stage_id": stage.pk,
                        "opportunity": Decimal(self.rng.randrange(500, 95000, 250)),
                        "currency": "EUR" if self.rng.random() < 0.8 else self.rng.choice(["USD", "GBP", "CHF"]),
                        "contact_ids": [contact.pk], "company_id": contact.company_id,
                        "source": self.rng.choice(["CALL", "WEB", "EMAIL", "PARTNER"]),
                        "assigned_id": self.rng.choice(managers).pk,
                        "comments": "" if self.rng.random() < 0.6 else "Kunde wünscht Angebot bis Monatsende.",
                    })
                    self._backdate(Deal, deal.pk)
                    deals.append(deal)
        self.summary.counts["deals"] = len(deals)
        return deals

    def _leads(self, managers: list[User], default_pipeline: Pipeline) -> list[Lead]:
        statuses = ["NEW", "NEW", "NEW", "IN_PROCESS", "IN_PROCESS", "PROCESSED", "JUNK", CONVERTED_STATUS]
        leads = []
        for index, ((title, source), (first, last, company_title)) in enumerate(
            zip(LEAD_TITLES * 2, LEAD_PEOPLE * 2, strict=True)
        ):
            status = statuses[index % len(statuses)]
            domain = _ascii(company_title.split()[0]) + ".example.de" if company_title else "mail.example.org"
            lead = lead_create(actor=self.actor, convert_in_simple_mode=False, data={
                "title": title if index < len(LEAD_TITLES) else f"{title} ({first} {last})",
                "name": first, "last_name": last, "company_title": company_title,
                "phones": [self.rng.choice(MOBILES).format((index * 53 + 7) % 1000)],
                "emails": [f"{_ascii(first)}.{_ascii(last)}@{domain}"], "source": source,
                "status_id": status if status != CONVERTED_STATUS else "NEW",
                "opportunity": Decimal(self.rng.randrange(0, 20000, 500)),
                "assigned_id": self.rng.choice(managers).pk,
            })
            if status == CONVERTED_STATUS:
                self._as_converted(lead, default_pipeline)
            self._backdate(Lead, lead.pk, max_days=30)
            leads.append(lead)
        self.summary.counts["leads"] = len(leads)
        return leads

    def _as_converted(self, lead: Lead, pipeline: Pipeline) -> None:
        """History: a lead converted earlier, linked to the contact and deal it became."""
        contact = contact_create(actor=self.actor, data={
            "name": lead.name, "last_name": lead.last_name, "source": lead.source_id,
            "phones": [c.value for c in Communication.objects.filter(entity_type=EntityType.LEAD, entity_id=lead.pk,
                                                                    type="PHONE")],
        })
        deal = deal_create(actor=self.actor, lead=lead, data={
            "title": lead.title, "pipeline_id": pipeline.pk, "opportunity": lead.opportunity,
            "contact_ids": [contact.pk], "source": lead.source_id, "assigned_id": lead.assigned_id,
        })
        Contact.objects.filter(pk=contact.pk).update(lead=lead)
        Lead.objects.filter(pk=lead.pk).update(status=CONVERTED_STATUS, contact=contact, deal=deal,
                                               converted_at=self.now)
        lead.refresh_from_db()

    def _activities(self, deals: list[Deal], leads: list[Lead], contacts: list[Contact],
                    managers: list[User]) -> None:
        made = 0
        targets = [("deal", d.pk, d.contact_id) for d in deals if not d.closed]
        targets += [("lead", lead.pk, None) for lead in leads if lead.status_id not in ("JUNK", CONVERTED_STATUS)]
        targets += [("contact", c.pk, None) for c in contacts[::4]]
        for entity, pk, contact_id in targets:
            for _ in range(self.rng.randint(1, 3)):
                kind = self.rng.choice(list(ACTIVITY_SUBJECTS))
                days = self.rng.randint(-20, 21)  # past (overdue or done) and future deadlines
                deadline = (self.now + timedelta(days=days)).replace(
                    hour=self.rng.choice([9, 10, 11, 14, 15, 16]), minute=self.rng.choice([0, 30]), second=0,
                    microsecond=0)
                bindings = [{"entity": entity, "id": pk}]
                if contact_id:
                    bindings.append({"entity": "contact", "id": contact_id})
                activity_create(actor=self.actor, data={
                    "type": kind, "subject": self.rng.choice(ACTIVITY_SUBJECTS[kind]), "deadline": deadline,
                    "completed": days < 0 and self.rng.random() < 0.6, "bindings": bindings,
                    "responsible_id": self.rng.choice(managers).pk,
                })
                made += 1
        self.summary.counts["activities"] = made


def company_phone(company: Company) -> str:
    phone = Communication.objects.filter(entity_type=EntityType.COMPANY, entity_id=company.pk, type="PHONE").first()
    return phone.value if phone else ""
