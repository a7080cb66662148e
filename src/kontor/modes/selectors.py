"""Reads of the CRM-mode state for the API, the UI and the CLI."""

from __future__ import annotations

from kontor.crm.models import CrmSettings
from kontor.modes.models import ModeSwitch


def _iso(value):
    return value.isoformat() if value else None


def switch_as_dict(switch: ModeSwitch) -> dict:
    """The switch object of SPEC §4."""
    return {
        "id": switch.pk,
        "status": switch.status,
        "from_mode": switch.from_mode,
        "to_mode": switch.to_mode,
        "total": switch.total,
        "converted": switch.converted,
        "failed": switch.failed,
        "errors": list(switch.errors or []),
        "pipeline_id": switch.pipeline_id,
        "options": dict(switch.options or {}),
        "fields_created": list((switch.options or {}).get("fields_created") or []),
        # What the conversion did, as measured batch by batch (the web UI's result page shows it).
        "breakdown": {"contacts_created": switch.contacts_created, "contacts_matched": switch.contacts_matched,
                      "companies_created": switch.companies_created,
                      "companies_matched": switch.companies_matched, "activities_open": switch.activities_open},
        "actor_id": switch.actor_id,
        "started_at": _iso(switch.started_at),
        "finished_at": _iso(switch.finished_at),
    }


def crm_mode_state() -> dict:
    """``GET /api/v1/crm-mode``: the mode, the simple-mode settings and the running switch."""
    from kontor.modes.services import active_switch, simple_pipeline

    settings = CrmSettings.load()
    try:
        pipeline_id = simple_pipeline(settings).pk
    except Exception:  # no pipeline at all: nothing to point at
        pipeline_id = None
    active = active_switch()
    return {
        "mode": settings.mode,
        "simple_mode": {
            "pipeline_id": pipeline_id,
            "create_company": settings.create_company,
            "match_existing_customers": settings.match_existing_customers,
        },
        "active_switch": switch_as_dict(active) if active else None,
    }


def switch_preview(*, create_contacts: bool = True, create_companies: bool = True,
                   keep_open_activities: bool = True) -> dict:
    """What a switch to simple mode would do now, counted with set-based SQL before anything changes,
    by the job's rules (``kontor.modes.jobs``): the leads in progress become deals; a lead's contact
    is the one it names, else (when matching is on) the oldest contact with one of its phones or
    e-mails, else a new one; a company likewise by its case-folded company name. Two leads of one new
    person (a phone or e-mail in common) make one new contact, as in the job: a lead counts as new
    unless an earlier unmatched lead shares one of its phones or e-mails. (A chain — A and B share a
    phone, B and C an e-mail — is counted as one contact where the job makes two: "about".)"""
    from django.db.models import Exists, OuterRef

    from kontor.crm.enums import CommType, EntityType, Semantic
    from kontor.crm.models import Activity, ActivityBinding, Communication, Company, Lead

    settings = CrmSettings.load()
    match = settings.match_existing_customers
    leads = Lead.objects.filter(status__semantic=Semantic.PROCESS)
    total = leads.count()
    make_contacts = create_contacts or not create_companies
    out = {"leads": total, "contacts_linked": 0, "contacts_matched": 0, "contacts_new": 0, "companies_linked": 0,
           "companies_matched": 0, "companies_new": 0, "activities_open": 0, "keep_open": keep_open_activities,
           "match": match, "make_contacts": make_contacts, "make_companies": create_companies}
    if not total:
        return out
    if make_contacts:
        out["contacts_linked"] = leads.filter(contact__isnull=False).count()
        free = leads.filter(contact__isnull=True)
        if match:
            known = Communication.objects.filter(entity_type=EntityType.CONTACT, type=OuterRef("type"),
                                                 normalized=OuterRef("normalized"))
            own = Communication.objects.filter(entity_type=EntityType.LEAD, entity_id=OuterRef("pk"),
                                               type__in=(CommType.PHONE, CommType.EMAIL)) \
                .exclude(normalized="").filter(Exists(known))  # a value kept as typed never matches
            out["contacts_matched"] = free.filter(Exists(own)).count()
            unmatched = free.exclude(Exists(own))
            keys = Communication.objects.filter(entity_type=EntityType.LEAD, type__in=(CommType.PHONE, CommType.EMAIL),
                                                entity_id__in=unmatched.values("pk")).exclude(normalized="")
            earlier = keys.filter(type=OuterRef("type"), normalized=OuterRef("normalized"),
                                  entity_id__lt=OuterRef("entity_id"))
            same_person = keys.filter(Exists(earlier)).values("entity_id").distinct().count()
            out["contacts_new"] = free.count() - out["contacts_matched"] - same_person
        else:
            out["contacts_new"] = free.count()
    if create_companies:
        out["companies_linked"] = leads.filter(company__isnull=False).count()
        named = leads.filter(company__isnull=True).exclude(company_title_normalized="")
        if match:
            existing = Company.objects.filter(title_normalized=OuterRef("company_title_normalized"))
            out["companies_matched"] = named.filter(Exists(existing)).count()
            out["companies_new"] = named.exclude(Exists(existing)).values("company_title_normalized") \
                .distinct().count()
        else:
            out["companies_new"] = named.count()
    bound = ActivityBinding.objects.filter(activity_id=OuterRef("pk"), entity_type=EntityType.LEAD,
                                           entity_id__in=leads.values("pk"))
    out["activities_open"] = Activity.objects.filter(completed=False).filter(Exists(bound)).count()
    return out
