"""The CRM modes: inquiry intake, lead conversion, the classic ↔ simple switch, simple-mode settings.

Every path (native API, web UI, CLI, Bitrix24 facade, web forms) calls these services; the mode
and the simple-mode settings are read from ``CrmSettings`` in the database on every call.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from kontor.accounts.models import Action
from kontor.core.errors import ErrorCode, KontorError, validation
from kontor.core.generation import generation_pinned
from kontor.crm import access
from kontor.crm.enums import CommType, CrmMode, EntityType, Semantic
from kontor.crm.fields import native_value
from kontor.crm.models import (
    Activity,
    ActivityBinding,
    AuditLog,
    Company,
    Contact,
    CrmSettings,
    Deal,
    Lead,
    LeadStatus,
    Pipeline,
    Stage,
)
from kontor.crm.services import company_create, contact_create, deal_create, lead_create
from kontor.crm.services.common import (
    clean_amount,
    clean_communications,
    clean_currency,
    clean_text,
    resolve_fk,
    resolve_user,
    unknown_fields,
)
from kontor.crm.services.deals import default_pipeline, first_stage
from kontor.crm.services.leads import default_lead_title, lead_is_converted
from kontor.crm.services.pipelines import pipeline_create
from kontor.events.bus import Event, emit, record_event
from kontor.modes.conversion import (
    TargetMap,
    carried_uf,
    conversion_map,
    create_missing_target_fields,
    fields_made,
)
from kontor.modes.intake import intake_config, match_customer, simple_intake, source_code
from kontor.modes.matching import (
    company_match,
    contact_match,
    customer_keys,
    lock_customer_keys,
    normalized_comms,
)
from kontor.modes.models import ACTIVE_STATUSES, ModeSwitch, SwitchStatus

INQUIRY_FIELDS = (
    "title", "name", "second_name", "last_name", "company_title", "phones", "emails", "source",
    "source_description", "comments", "opportunity", "currency", "assigned_id",
)


@dataclass
class InquiryResult:
    """What an inquiry became: a lead (classic mode) or a deal with its customer (simple mode)."""

    mode: str
    lead: Lead | None = None
    deal: Deal | None = None
    contact: Contact | None = None
    company: Company | None = None
    contact_matched: bool = False
    company_matched: bool = False


def simple_pipeline(settings: CrmSettings | None = None) -> Pipeline:
    """The pipeline simple mode puts new deals in: the configured one, else the default one."""
    settings = settings or CrmSettings.load()
    if settings.simple_pipeline_id:
        pipeline = Pipeline.objects.filter(pk=settings.simple_pipeline_id).first()
        if pipeline is not None:
            return pipeline
    return default_pipeline()


def active_switch() -> ModeSwitch | None:
    return ModeSwitch.objects.filter(status__in=ACTIVE_STATUSES).order_by("-id").first()


# --- inquiry intake ------------------------------------------------------------------------------


def _default_name(values: Mapping[str, Any], comms: Mapping) -> str:
    for key in ("title", "company_title"):
        if values.get(key):
            return values[key][:100]
    for items in comms.values():
        if items:
            return items[0]["value"][:100]
    return ""


def _lenient(items: Any) -> Any:
    """Inquiry phones and e-mails are taken as Bitrix24 takes them: a value that is no phone or
    e-mail ("call me after 5pm") is stored as typed, with an empty matching key, instead of losing
    the whole inquiry (``lenient`` items of ``kontor.crm.services.common``)."""
    if isinstance(items, str | Mapping):
        items = [items]
    if not isinstance(items, list | tuple):
        return items  # the cleaning names the wrong type
    return [{"value": i, "lenient": True} if isinstance(i, str)
            else {**i, "lenient": True} if isinstance(i, Mapping) else i for i in items]


def inquiry_accept(*, actor, data: Mapping[str, Any], create_company: bool | None = None) -> InquiryResult:
    """Take in an inquiry from outside (API, web form, facade) according to the CRM mode.

    Classic mode: a lead in the first in-progress status, linked to the contact (and its company)
    when one with the same normalised phone or e-mail exists — a repeat lead. Simple mode: a deal
    at the first stage of the configured pipeline with a contact (matched or new) and, when
    ``create_company`` is on and a company title was given, a company (matched by case-folded
    title or new). All in one transaction; simple mode writes its rows through the few statements
    of ``kontor.modes.intake``. Phones and e-mails that cannot be normalised are kept as typed and
    never matched. ``create_company`` overrides the simple-mode setting for this inquiry (a web form
    that asks for the company makes one whatever the mode wizard chose).
    """
    with transaction.atomic():
        if not isinstance(data, Mapping):
            raise validation("the inquiry must be an object")
        unknown_fields(data, INQUIRY_FIELDS)
        with generation_pinned():
            config = intake_config()
            values: dict[str, Any] = {}
            for name in ("name", "second_name", "last_name"):
                values[name] = clean_text(data.get(name), name, max_length=100)
            for name in ("title", "company_title"):
                values[name] = clean_text(data.get(name), name)
            for name in ("comments", "source_description"):
                values[name] = clean_text(data.get(name), name, max_length=None)
            values["opportunity"] = clean_amount(data.get("opportunity"))
            values["currency"] = clean_currency(data.get("currency"))
            source = source_code(config, data.get("source"))
            assigned = resolve_user(data.get("assigned_id"))
            comms = clean_communications(phones=_lenient(data.get("phones") or []),
                                         emails=_lenient(data.get("emails") or []))
            # Values that could not be normalised are stored, but have no key to match or lock on.
            phones = [c["normalized"] for c in comms[CommType.PHONE] if c["normalized"]]
            emails = [c["normalized"] for c in comms[CommType.EMAIL] if c["normalized"]]
            if not (values["title"] or values["name"] or values["last_name"] or values["company_title"]
                    or comms[CommType.PHONE] or comms[CommType.EMAIL]):
                raise validation("an inquiry needs a title, a name, a company, a phone or an e-mail", "name")
            match = config.match_existing_customers
            assigned_id: int | None = assigned.pk if assigned else None
            common = {"source": source, "assigned_id": assigned_id}

            if config.mode == CrmMode.CLASSIC:
                raw_comms = {field: [{"value": c["value"], "type": c["value_type"], "lenient": True}
                                     for c in comms[type_]]
                             for type_, field in ((CommType.PHONE, "phones"), (CommType.EMAIL, "emails"))}
                contact = contact_match(phones=phones, emails=emails) if match else None
                company = company_match(title=values["company_title"]) if match and values["company_title"] else None
                if company is None and contact is not None and contact.company_id:
                    company = contact.company
                # a lead of only a phone or e-mail is titled with it (simple mode's deal is "Deal #N")
                title = values["title"] or default_lead_title(values) or _default_name(values, comms)
                lead = lead_create(actor=actor, convert_in_simple_mode=False, data={
                    **{k: values[k] for k in ("name", "second_name", "last_name", "company_title", "comments",
                                              "source_description", "currency")}, "title": title,
                    "opportunity": str(values["opportunity"]), **raw_comms, **common,
                    "contact_id": contact.pk if contact else None, "company_id": company.pk if company else None,
                })
                return InquiryResult(mode=CrmMode.CLASSIC, lead=lead, contact=contact, company=company,
                                     contact_matched=contact is not None, company_matched=company is not None)

            want_company = (config.create_company if create_company is None else create_company) \
                and bool(values["company_title"])
            keys = customer_keys(phones=phones, emails=emails,
                                 company_title=values["company_title"] if want_company else "")
            if match:
                found = match_customer(phones=phones, emails=emails, lock_keys=keys)  # locks, then matches
            else:
                lock_customer_keys(keys)
                found = None
            company = None
            company_matched = False
            if want_company:
                company = company_match(title=values["company_title"]) if match else None
                company_matched = company is not None
                if company is None:
                    company = company_create(actor=actor, data={"title": values["company_title"], **(
                        {"assigned_id": common["assigned_id"]} if assigned else {})})
            comments = values["comments"]
            if values["source_description"]:
                comments = f"{comments}\n\n{values['source_description']}".strip()
            title = values["title"] or " – ".join(
                p for p in (" ".join(x for x in (values["name"], values["last_name"]) if x), values["company_title"])
                if p)
            made = simple_intake(
                actor=actor, config=config, match=found, company=company, source=source,
                assigned_id=assigned_id, comms=comms,
                contact_values={"name": values["name"] or ("" if values["last_name"] else _default_name(values, comms)),
                                "second_name": values["second_name"], "last_name": values["last_name"]},
                deal_values={"title": title, "opportunity": values["opportunity"], "currency": values["currency"],
                             "comments": comments})
            return InquiryResult(mode=CrmMode.SIMPLE, deal=made.deal, contact=made.contact, company=company,
                                 contact_matched=made.contact_matched, company_matched=company_matched)


# --- single lead conversion ----------------------------------------------------------------------


def success_status() -> LeadStatus:
    status = LeadStatus.objects.filter(semantic=Semantic.SUCCESS).order_by("sort", "code").first()
    if status is None:
        raise KontorError(ErrorCode.CONFLICT, "no converted (success) lead status is configured")
    return status


def _choice(value: Any, field: str, model) -> str | Any:
    """``"create"``, ``"none"`` or an existing record from ``{"id": N}``."""
    if value is None:
        return "none"
    if isinstance(value, str) and value in ("create", "none"):
        return value
    if isinstance(value, Mapping) and set(value) == {"id"}:
        obj = resolve_fk(model, value["id"], f"{field}.id")
        if obj is None:
            raise validation(f"{field}.id is required", field)
        return obj
    raise validation(f'{field} must be "create", "none" or {{"id": N}}', field)


def _clean_deal_spec(deal: Mapping[str, Any] | None) -> tuple[Pipeline, Stage] | None:
    if deal is None:
        return None
    if not isinstance(deal, Mapping):
        raise validation('deal must be {"pipeline_id", "stage_id"} or null', "deal")
    unknown_fields(deal, ("pipeline_id", "stage_id"))
    pipeline = resolve_fk(Pipeline, deal.get("pipeline_id"), "deal.pipeline_id")
    stage = resolve_fk(Stage, deal.get("stage_id"), "deal.stage_id")
    if stage is not None and pipeline is not None and stage.pipeline_id != pipeline.pk:
        raise validation(f"deal.stage_id: stage {stage.pk} does not belong to pipeline {pipeline.pk}", "deal.stage_id")
    if stage is not None:
        return stage.pipeline, stage
    pipeline = pipeline or simple_pipeline()
    return pipeline, first_stage(pipeline)


def _lead_comms_data(lead: Lead, comm_types: tuple[str, ...]) -> dict[str, list[dict[str, str]]]:
    from kontor.crm.models import Communication
    from kontor.crm.services.common import COMM_FIELDS

    out: dict[str, list[dict[str, str]]] = {COMM_FIELDS[CommType(t)]: [] for t in comm_types}
    for type_, value, value_type in Communication.objects.filter(
        entity_type=EntityType.LEAD, entity_id=lead.pk, type__in=comm_types
    ).order_by("id").values_list("type", "value", "value_type"):
        out[COMM_FIELDS[CommType(type_)]].append({"value": value, "type": value_type})
    return out


def _carried(lead: Lead, tmap: TargetMap) -> dict[str, Any]:
    """The target's input from the conversion map: standard fields, phones/e-mails/…, custom values."""
    data: dict[str, Any] = {c.target.name: native_value(c.source, getattr(lead, c.source.column))
                            for c in tmap.columns}
    if tmap.comm_types:
        data.update(_lead_comms_data(lead, tmap.comm_types))
    data.update(carried_uf(lead.uf, tmap))
    return data


def _move_activities(*, lead: Lead, deal: Deal | None, contact: Contact | None, company: Company | None,
                     keep_open: bool) -> None:
    """Move the lead's activities to its deal (and bind them to the contact/company); complete the
    open ones unless ``keep_open``. Without a deal they stay on the lead as well."""
    bindings = ActivityBinding.objects.filter(entity_type=EntityType.LEAD, entity_id=lead.pk)
    activity_ids = list(bindings.values_list("activity_id", flat=True))
    if not activity_ids:
        return
    targets = [(et, obj.pk) for et, obj in ((EntityType.CONTACT, contact), (EntityType.COMPANY, company)) if obj]
    ActivityBinding.objects.bulk_create(
        [ActivityBinding(activity_id=a, entity_type=et, entity_id=pk) for a in activity_ids for et, pk in targets],
        ignore_conflicts=True,
    )
    now = timezone.now()
    owner = (EntityType.DEAL, deal.pk) if deal is not None else (targets[0] if targets else None)
    if owner is not None:
        Activity.objects.filter(pk__in=activity_ids, owner_type=EntityType.LEAD, owner_id=lead.pk).update(
            owner_type=owner[0], owner_id=owner[1], updated_at=now)
    if deal is not None:
        bindings.update(entity_type=EntityType.DEAL, entity_id=deal.pk)
    if not keep_open:
        Activity.objects.filter(pk__in=activity_ids, completed=False).update(completed=True, completed_at=now,
                                                                            updated_at=now)


def _convert_lead(*, lead: Lead, actor, deal_spec: tuple[Pipeline, Stage] | None, contact_choice, company_choice,
                  keep_open: bool, fields_created: list | None = None) -> Lead:
    """Turn a locked, unconverted lead into what the choices say (one transaction, caller's)."""
    cmap = conversion_map()
    company = None
    if isinstance(company_choice, Company):
        company = company_choice
    elif company_choice == "create":
        data = _carried(lead, cmap["company"])
        data["title"] = lead.company_title or lead.title  # "create" without a company name: the lead's title
        company = company_create(actor=actor, data=data)
        Company.objects.filter(pk=company.pk).update(lead=lead)
    contact = None
    if isinstance(contact_choice, Contact):
        contact = contact_choice
    elif contact_choice == "create":
        data = _carried(lead, cmap["contact"])
        # A contact needs a name: a lead with neither first nor last name lends its title.
        data["name"] = lead.name or ("" if lead.last_name else lead.title[:100])
        contact = contact_create(actor=actor, data={**data, "company_id": company.pk if company else None})
        Contact.objects.filter(pk=contact.pk).update(lead=lead)
    deal = None
    if deal_spec is not None:
        pipeline, stage = deal_spec
        deal = deal_create(actor=actor, lead=lead, data={
            **_carried(lead, cmap["deal"]), "pipeline_id": pipeline.pk, "stage_id": stage.pk,
            "contact_id": contact.pk if contact else None, "company_id": company.pk if company else None,
        })
    _move_activities(lead=lead, deal=deal, contact=contact, company=company, keep_open=keep_open)
    now = timezone.now()
    before = {"status_id": lead.status_id, "contact_id": lead.contact_id, "company_id": lead.company_id,
              "deal_id": lead.deal_id}
    lead.status = success_status()
    lead.contact = contact or lead.contact
    lead.company = company or lead.company
    lead.deal = deal
    lead.converted_at = now
    lead.updated_at = now
    lead.save(update_fields=["status", "contact", "company", "deal", "converted_at", "updated_at"])
    changes = {k: [v, getattr(lead, k)] for k, v in before.items() if getattr(lead, k) != v}
    made: dict[str, Any] = {"deal_id": deal.pk if deal else None, "contact_id": contact.pk if contact else None,
            "company_id": company.pk if company else None}
    if fields_created:
        made["fields_created"] = fields_made(fields_created)
    record_event("updated", "lead", lead.pk, actor=actor, changes=changes)
    # The timeline's ``converted`` and ``created_from_lead`` entries come from this event's subscriber.
    record_event("converted", "lead", lead.pk, actor=actor, data={"converted_to": made})
    return lead


def lead_convert(*, lead: Lead, actor, deal: Mapping[str, Any] | None, contact: Any = "create",
                 company: Any = "none", keep_open_activities: bool = True, create_missing_fields: bool = True) -> Lead:
    """Convert a lead into a deal and/or a contact and/or a company (manual conversion).

    ``deal`` is ``{"pipeline_id", "stage_id"}`` (either may be null: the simple-mode pipeline and
    its first stage) or ``None`` for no deal; ``contact``/``company`` are ``"create"``, ``"none"``
    or ``{"id": N}`` (an existing record). The lead's activities are bound to what it became, open
    ones kept open when ``keep_open_activities``. A converted lead answers ``ALREADY_CONVERTED``; a
    junk lead is closed and cannot be converted (Bitrix24 and Odoo refuse closed leads too): set it
    back to an in-progress status first.

    Custom values travel by ``kontor.modes.conversion``; with ``create_missing_fields`` (the default)
    the deal first gets the lead's custom fields it lacks (``create_missing_target_fields``). The
    fields made are listed in the lead's ``converted`` timeline entry and in ``lead.fields_created``.
    """
    with transaction.atomic():
        lead = Lead.objects.select_for_update().select_related("status").filter(pk=lead.pk).first() or lead
        access.require(actor, lead, Action.EDIT)
        if lead_is_converted(lead):
            raise KontorError(ErrorCode.ALREADY_CONVERTED, f"lead {lead.pk} is already converted")
        if lead.status.semantic == Semantic.FAILURE:
            raise KontorError(ErrorCode.CONFLICT, f"lead {lead.pk} is junk; move it back to an in-progress status "
                              "to convert it")
        switch = active_switch()
        if switch is not None and lead.pk <= switch.max_lead_id:
            raise KontorError(ErrorCode.SWITCH_IN_PROGRESS, "the CRM-mode switch is converting this lead right now")
        if not isinstance(keep_open_activities, bool):
            raise validation("keep_open_activities must be true or false", "keep_open_activities")
        deal_spec = _clean_deal_spec(deal)
        contact_choice = _choice(contact, "contact", Contact)
        company_choice = _choice(company, "company", Company)
        for field, chosen in (("contact", contact_choice), ("company", company_choice)):
            # An existing record the actor may not see is answered as one that does not exist.
            if isinstance(chosen, str):
                continue
            if not access.scope(type(chosen).objects.filter(pk=chosen.pk), actor).exists():
                raise validation(f"{field}.id: {field} {chosen.pk} does not exist", f"{field}.id")
        if deal_spec is None and contact_choice == "none" and company_choice == "none":
            raise validation("choose at least one of deal, contact or company to convert into", "deal")
        create_missing_fields = _clean_bool(create_missing_fields, "create_missing_fields")
        made = create_missing_target_fields(actor=actor) if create_missing_fields and deal_spec is not None else []
        lead = _convert_lead(lead=lead, actor=actor, deal_spec=deal_spec, contact_choice=contact_choice,
                             company_choice=company_choice, keep_open=keep_open_activities, fields_created=made)
        lead.fields_created = made  # type: ignore[attr-defined]
        return lead


def lead_convert_simple(*, lead: Lead, actor, settings: CrmSettings | None = None) -> Lead:
    """Convert a new lead the way simple mode does: a deal in the simple-mode pipeline, the lead's
    contact (or a matched / new one), and a company when ``create_company`` is on."""
    settings = settings or CrmSettings.load()
    lead = Lead.objects.select_for_update().select_related("status").get(pk=lead.pk)
    if lead_is_converted(lead) or lead.status.semantic != Semantic.PROCESS:
        return lead
    phones, emails = normalized_comms(entity_type=EntityType.LEAD, entity_id=lead.pk)
    want_company = settings.create_company and bool(lead.company_title) and lead.company_id is None
    lock_customer_keys(customer_keys(phones=phones, emails=emails,
                                     company_title=lead.company_title if want_company else ""))
    contact_choice: Any = lead.contact
    if contact_choice is None and settings.match_existing_customers:
        contact_choice = contact_match(phones=phones, emails=emails)
    contact_choice = contact_choice or "create"
    company_choice: Any = lead.company or "none"
    if want_company:
        company_choice = (company_match(title=lead.company_title) if settings.match_existing_customers else None) \
            or "create"
    pipeline = simple_pipeline(settings)
    return _convert_lead(lead=lead, actor=actor, deal_spec=(pipeline, first_stage(pipeline)),
                         contact_choice=contact_choice, company_choice=company_choice, keep_open=True)


# --- simple-mode settings ------------------------------------------------------------------------

_UNSET: Any = object()


def simple_settings_update(*, actor, pipeline_id: Any = _UNSET, create_company: Any = _UNSET,
                           match_existing_customers: Any = _UNSET) -> CrmSettings:
    """Change how simple mode makes deals from inquiries; audited, nothing written when nothing changes."""
    with transaction.atomic():
        settings = CrmSettings.load(for_update=True)
        new: dict[str, Any] = {}
        if pipeline_id is not _UNSET:
            pipeline = resolve_fk(Pipeline, pipeline_id, "pipeline_id") if pipeline_id else None
            new["simple_pipeline_id"] = pipeline.pk if pipeline else None
        for name, value in (("create_company", create_company), ("match_existing_customers", match_existing_customers)):
            if value is not _UNSET:
                if not isinstance(value, bool):
                    raise validation(f"{name} must be true or false", name)
                new[name] = value
        changes = {k: [getattr(settings, k), v] for k, v in new.items() if getattr(settings, k) != v}
        if not changes:
            return settings
        for name, (_old, value) in changes.items():
            setattr(settings, name, value)
        settings.save()
        AuditLog.objects.create(action="simple_settings_changed", actor=actor,
                                data={"changes": {k.removesuffix("_id"): v for k, v in changes.items()}})
        return settings


# --- the switch ----------------------------------------------------------------------------------


def _clean_bool(value: Any, field: str) -> bool:
    if not isinstance(value, bool):
        raise validation(f"{field} must be true or false", field)
    return value


def _switched(switch: ModeSwitch) -> None:
    """``crm_mode.switched``: the mode changed (the leads' conversion follows as batch events)."""
    emit(Event(name="crm_mode.switched", actor_id=switch.actor_id, data={
        "switch_id": switch.pk, "from": switch.from_mode, "to": switch.to_mode, "status": switch.status,
        "total": switch.total, "pipeline_id": switch.pipeline_id}))


def crm_mode_switch(*, actor, mode: str, pipeline_id: int | None = None, new_pipeline_name: str | None = None,
                    create_contacts: bool = True, create_companies: bool = True,
                    keep_open_activities: bool = True, create_missing_fields: bool = True) -> ModeSwitch:
    """Switch the CRM mode (admin only; the caller checks the role).

    Simple → classic and classic → simple without leads in progress happen at once (the switch
    is ``done``). Classic → simple with leads in progress flips the mode at once — new inquiries
    become deals from this moment — and queues the conversion job (``kontor.modes.jobs``), which a
    worker runs after this transaction commits. The wizard's pipeline and company choice become the
    simple-mode settings. One switch at a time: ``SWITCH_IN_PROGRESS`` while one is active.

    With ``create_missing_fields`` (the default) a switch to simple mode first gives the deal the
    lead custom fields it lacks, so the leads' values travel; ``options["fields_created"]`` and the
    audit entry name them.
    """
    with transaction.atomic():
        if mode not in CrmMode.values:
            raise validation("mode must be simple or classic", "mode")
        create_contacts = _clean_bool(create_contacts, "create_contacts")
        create_companies = _clean_bool(create_companies, "create_companies")
        keep_open_activities = _clean_bool(keep_open_activities, "keep_open_activities")
        create_missing_fields = _clean_bool(create_missing_fields, "create_missing_fields")
        settings = CrmSettings.load(for_update=True)
        running = active_switch()
        if running is not None:
            raise KontorError(ErrorCode.SWITCH_IN_PROGRESS, f"switch {running.pk} is still {running.status}")
        if settings.mode == mode:
            raise KontorError(ErrorCode.WRONG_MODE, f"the CRM is already in {mode} mode")
        if pipeline_id is not None and new_pipeline_name:
            raise validation("give either pipeline_id or new_pipeline_name, not both", "new_pipeline_name")
        now = timezone.now()
        from_mode = settings.mode
        options: dict[str, Any] = {"create_contacts": create_contacts, "create_companies": create_companies,
                   "keep_open_activities": keep_open_activities}
        if mode == CrmMode.CLASSIC:
            settings.mode = CrmMode.CLASSIC
            settings.save()
            audit = AuditLog.objects.create(action="crm_mode_switched", actor=actor, data={
                "from": from_mode, "to": mode, "total": 0, "converted": 0, "failed": 0})
            switch = ModeSwitch.objects.create(status=SwitchStatus.DONE, from_mode=from_mode, to_mode=mode, actor=actor,
                                               audit=audit, started_at=now, finished_at=now, is_active=None)
            _switched(switch)
            return switch

        in_progress = Lead.objects.filter(status__semantic=Semantic.PROCESS)
        max_lead_id = Lead.objects.order_by("-id").values_list("id", flat=True).first() or 0
        total = in_progress.count()
        if new_pipeline_name is not None and not isinstance(new_pipeline_name, str):
            raise validation("new_pipeline_name must be a string", "new_pipeline_name")
        if new_pipeline_name and new_pipeline_name.strip():
            pipeline = pipeline_create(actor=actor, name=new_pipeline_name, default_stages=True)
            options["new_pipeline_name"] = pipeline.name
        elif pipeline_id is not None:
            pipeline = resolve_fk(Pipeline, pipeline_id, "pipeline_id")
        else:
            pipeline = simple_pipeline(settings)
        first_stage(pipeline)  # a pipeline without stages is refused before anything changes
        if create_missing_fields:
            options["fields_created"] = fields_made(create_missing_target_fields(actor=actor))
        if not create_contacts and not create_companies:
            options["create_contacts"] = True  # Bitrix24 always makes a contact when neither is chosen
        settings.mode = CrmMode.SIMPLE
        settings.simple_pipeline = pipeline
        settings.create_company = create_companies
        settings.save()
        status = SwitchStatus.QUEUED if total else SwitchStatus.DONE
        audit = AuditLog.objects.create(action="crm_mode_switched", actor=actor, data={
            "from": from_mode, "to": mode, "pipeline_id": pipeline.pk, "options": options, "total": total,
            "converted": 0, "failed": 0})
        try:
            with transaction.atomic():
                switch = ModeSwitch.objects.create(
                    status=status, from_mode=from_mode, to_mode=mode, total=total, pipeline=pipeline, options=options,
                    actor=actor, audit=audit, max_lead_id=max_lead_id, started_at=now,
                    finished_at=None if total else now, is_active=True if total else None)
        except IntegrityError:
            raise KontorError(ErrorCode.SWITCH_IN_PROGRESS, "another switch is running") from None
        audit.data["switch_id"] = switch.pk
        audit.save(update_fields=["data"])
        _switched(switch)
        if total:
            from kontor.modes.jobs import switch_enqueue

            transaction.on_commit(lambda: switch_enqueue(switch.pk))
        return switch
