"""Lists, detail pages and forms of leads, deals, contacts, companies and activities.

Each view validates a form, calls one service and shows a ``KontorError`` next to its field.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kontor.core.errors import KontorError
from kontor.crm import selectors, services
from kontor.crm.enums import ActivityType, CommType, CrmMode, EntityType
from kontor.crm.models import Activity, Company, Contact, Deal, Lead, Pipeline, Stage
from kontor.web import forms
from kontor.web.views.common import (
    add_service_error,
    clean_filters,
    crm_mode,
    error_message,
    paginate,
    query_without_page,
    record_url,
    safe_next,
)


def _get(model_or_qs, pk):
    qs = model_or_qs if hasattr(model_or_qs, "filter") else model_or_qs.objects
    obj = qs.filter(pk=pk).first()
    if obj is None:
        raise Http404
    return obj


def _comms(entity_type: EntityType, pk: int) -> dict[str, list]:
    return selectors.record_communications(entity_type, [pk])[pk]


def _comm_text(entity_type: EntityType, pk: int) -> dict[str, str]:
    comms = _comms(entity_type, pk)
    return {"phones": "\n".join(c.value for c in comms[CommType.PHONE]),
            "emails": "\n".join(c.value for c in comms[CommType.EMAIL])}


def _record_context(entity_type: EntityType, obj) -> dict[str, Any]:
    """Phones, e-mails, timeline and activities of a record, and an empty activity form."""
    name = entity_type.name.lower()
    activities = list(selectors.activity_list(filters={"entity": name, "entity_id": obj.pk}, order="deadline"))
    return {
        "object": obj,
        "entity": name,
        "comms": _comms(entity_type, obj.pk),
        "timeline": selectors.record_timeline(entity_type, obj.pk, limit=50),
        "open_activities": [a for a in activities if not a.completed],
        "done_activities": [a for a in activities if a.completed],
        "activity_form": forms.ActivityForm(),
    }


def _with_comms(form_data: dict[str, Any], entity_type: EntityType | None, pk: int | None) -> dict[str, Any]:
    data = dict(form_data)
    existing = _comms(entity_type, pk) if entity_type and pk else {CommType.PHONE: [], CommType.EMAIL: []}
    if "phones" in data:
        data["phones"] = forms.comm_payload(data["phones"], existing[CommType.PHONE])
    if "emails" in data:
        data["emails"] = forms.comm_payload(data["emails"], existing[CommType.EMAIL])
    return data


def _blank_to_none(data: dict[str, Any], *names: str) -> dict[str, Any]:
    for name in names:
        if name in data and data[name] in ("", None):
            data[name] = None
    return data


def _save(request: HttpRequest, form, call) -> Any | None:
    """Run a service call for a valid form; on ``KontorError`` put the message on the form."""
    if not form.is_valid():
        return None
    try:
        return call(form.cleaned_data)
    except KontorError as exc:
        add_service_error(form, exc)
        return None


# --- leads -------------------------------------------------------------------------------------


def _lead_data(cleaned: dict[str, Any], lead: Lead | None) -> dict[str, Any]:
    data = _with_comms(cleaned, EntityType.LEAD, lead.pk if lead else None)
    data["opportunity"] = data.get("opportunity") or 0
    return _blank_to_none(data, "assigned_id", "source")


@login_required
def lead_list(request: HttpRequest) -> HttpResponse:
    classic = crm_mode() == CrmMode.CLASSIC
    view = request.GET.get("view") or ("kanban" if classic else "list")
    filters = clean_filters(request, ("q", "status_id", "assigned_id", "semantic"))
    try:
        qs = selectors.lead_list(filters=filters)
    except KontorError as exc:
        messages.error(request, error_message(exc))
        qs = selectors.lead_list(filters={})
    context: dict[str, Any] = {"view": view, "filters": filters, "statuses": selectors.lead_status_list(),
                               "users": forms.user_choices()[1:], "classic": classic}
    if view == "kanban":
        from kontor.web.views.kanban import lead_columns

        context["columns"] = lead_columns(qs)
    else:
        context["page"] = paginate(request, qs)
        context["query"] = query_without_page(request)
    return render(request, "web/leads/list.html", context)


@login_required
def lead_create(request: HttpRequest) -> HttpResponse:
    form = forms.LeadForm(request.POST or None, initial={"assigned_id": str(request.user.pk)})
    if request.method == "POST":
        lead = _save(request, form, lambda d: services.lead_create(actor=request.user, data=_lead_data(d, None)))
        if lead is not None:
            lead.refresh_from_db()
            if lead.deal_id:  # simple mode: the lead was converted at once, as Bitrix24 does
                messages.success(request, _("Simple CRM: the lead was converted into a deal at once."))
                return redirect("web:deal_detail", lead.deal_id)
            messages.success(request, _("Lead created."))
            return redirect("web:lead_detail", lead.pk)
    return render(request, "web/form.html", {"form": form, "title": _("New lead"), "back": "web:lead_list"})


@login_required
def lead_detail(request: HttpRequest, pk: int) -> HttpResponse:
    lead = _get(Lead.objects.select_related("status", "source", "assigned", "contact", "company", "deal"), pk)
    context = _record_context(EntityType.LEAD, lead)
    converted = services.leads.lead_is_converted(lead)
    context.update({"converted": converted, "can_convert": not converted and crm_mode() == CrmMode.CLASSIC})
    return render(request, "web/leads/detail.html", context)


@login_required
def lead_edit(request: HttpRequest, pk: int) -> HttpResponse:
    lead = _get(Lead.objects.select_related("status"), pk)
    if services.leads.lead_is_converted(lead):
        messages.error(request, _("This record can no longer be changed."))
        return redirect("web:lead_detail", pk)
    initial = {
        "title": lead.title, "name": lead.name, "last_name": lead.last_name, "company_title": lead.company_title,
        "status_id": lead.status_id, "source": lead.source_id or "", "opportunity": lead.opportunity,
        "currency": lead.currency, "assigned_id": str(lead.assigned_id or ""), "comments": lead.comments,
        **_comm_text(EntityType.LEAD, lead.pk),
    }
    form = forms.LeadForm(request.POST or None, initial=initial)
    if request.method == "POST" and _save(
        request, form, lambda d: services.lead_update(lead=lead, actor=request.user, data=_lead_data(d, lead))
    ):
        messages.success(request, _("Changes saved."))
        return redirect("web:lead_detail", pk)
    return render(request, "web/form.html", {"form": form, "title": _("Edit lead"), "object": lead,
                                             "cancel": record_url(EntityType.LEAD, pk)})


@login_required
def lead_convert(request: HttpRequest, pk: int) -> HttpResponse:
    """Classic mode: turn a lead into a deal and a contact and/or company (``lead_convert``)."""
    lead = _get(Lead.objects.select_related("status", "contact", "company"), pk)
    form = forms.ConvertForm(request.POST or None, lead=lead)
    if request.method == "POST" and form.is_valid():
        from kontor.modes.services import lead_convert as convert

        d = form.cleaned_data
        deal = None
        if d["create_deal"]:
            deal = {"pipeline_id": None, "stage_id": None}
            if d.get("stage_id"):
                stage = Stage.objects.filter(pk=d["stage_id"]).first()
                deal = {"pipeline_id": stage.pipeline_id if stage else None, "stage_id": int(d["stage_id"])}

        def choice(value: str):
            return value if value in ("create", "none") else {"id": int(value)}

        try:
            convert(lead=lead, actor=request.user, deal=deal, contact=choice(d["contact"]),
                    company=choice(d["company"]), keep_open_activities=d["keep_open_activities"])
        except KontorError as exc:
            add_service_error(form, exc)
        else:
            lead.refresh_from_db()
            messages.success(request, _("The lead was converted."))
            if lead.deal_id:
                return redirect("web:deal_detail", lead.deal_id)
            return redirect("web:lead_detail", pk)
    return render(request, "web/leads/convert.html", {"form": form, "object": lead})


# --- deals -------------------------------------------------------------------------------------


def _deal_data(cleaned: dict[str, Any]) -> dict[str, Any]:
    data = dict(cleaned)
    data["stage_id"] = int(data["stage_id"])
    data["opportunity"] = data.get("opportunity") or 0
    return _blank_to_none(data, "assigned_id", "source", "contact_id", "company_id")


@login_required
def deal_list(request: HttpRequest) -> HttpResponse:
    view = request.GET.get("view") or "kanban"
    pipelines = list(selectors.pipeline_list())
    filters = clean_filters(request, ("q", "pipeline_id", "stage_id", "assigned_id", "closed"))
    context: dict[str, Any] = {"view": view, "filters": filters, "pipelines": pipelines,
                               "users": forms.user_choices()[1:]}
    if view == "kanban":
        from kontor.web.views.kanban import deal_columns

        pipeline = _current_pipeline(request, pipelines)
        context.update({"pipeline": pipeline, "columns": deal_columns(pipeline, q=filters.get("q", ""))})
    else:
        try:
            qs = selectors.deal_list(filters=filters)
        except KontorError as exc:
            messages.error(request, error_message(exc))
            qs = selectors.deal_list(filters={})
        context.update({"page": paginate(request, qs), "query": query_without_page(request),
                        "stages": [s for p in pipelines for s in p.stages.all()]})
    return render(request, "web/deals/list.html", context)


def _current_pipeline(request: HttpRequest, pipelines: list[Pipeline]) -> Pipeline | None:
    wanted = request.GET.get("pipeline") or request.GET.get("pipeline_id") or request.session.get("pipeline")
    chosen = next((p for p in pipelines if str(p.pk) == str(wanted)), None)
    chosen = chosen or next((p for p in pipelines if p.is_default), None) or (pipelines[0] if pipelines else None)
    if chosen is not None and request.session.get("pipeline") != chosen.pk:
        request.session["pipeline"] = chosen.pk
    return chosen


@login_required
def deal_create(request: HttpRequest) -> HttpResponse:
    initial: dict[str, Any] = {"assigned_id": str(request.user.pk)}
    if request.GET.get("stage"):
        initial["stage_id"] = request.GET["stage"]
    for name in ("contact_id", "company_id"):
        if request.GET.get(name, "").isdigit():
            initial[name] = int(request.GET[name])
    form = forms.DealForm(request.POST or None, initial=initial)
    if request.method == "POST":
        deal = _save(request, form, lambda d: services.deal_create(actor=request.user, data=_deal_data(d)))
        if deal is not None:
            messages.success(request, _("Deal created."))
            return redirect("web:deal_detail", deal.pk)
    return render(request, "web/form.html", {"form": form, "title": _("New deal"), "back": "web:deal_list"})


@login_required
def deal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    deal = _get(Deal.objects.select_related("stage", "pipeline", "contact", "company", "lead", "assigned",
                                            "source"), pk)
    context = _record_context(EntityType.DEAL, deal)
    context["contacts"] = list(deal.contacts.order_by("deal_links__sort"))
    context["stages"] = selectors.stage_list(pipeline=deal.pipeline)
    return render(request, "web/deals/detail.html", context)


@login_required
def deal_edit(request: HttpRequest, pk: int) -> HttpResponse:
    deal = _get(Deal, pk)
    initial = {
        "title": deal.title, "stage_id": str(deal.stage_id), "opportunity": deal.opportunity,
        "currency": deal.currency, "contact_id": deal.contact_id, "company_id": deal.company_id,
        "source": deal.source_id or "", "assigned_id": str(deal.assigned_id or ""), "comments": deal.comments,
    }
    form = forms.DealForm(request.POST or None, initial=initial)
    if request.method == "POST" and _save(
        request, form, lambda d: services.deal_update(deal=deal, actor=request.user, data=_deal_data(d))
    ):
        messages.success(request, _("Changes saved."))
        return redirect("web:deal_detail", pk)
    return render(request, "web/form.html", {"form": form, "title": _("Edit deal"), "object": deal,
                                             "cancel": record_url(EntityType.DEAL, pk)})


# --- contacts ----------------------------------------------------------------------------------


def _contact_data(cleaned: dict[str, Any], contact: Contact | None) -> dict[str, Any]:
    data = _with_comms(cleaned, EntityType.CONTACT, contact.pk if contact else None)
    return _blank_to_none(data, "assigned_id", "company_id")


@login_required
def contact_list(request: HttpRequest) -> HttpResponse:
    filters = clean_filters(request, ("q", "company_id", "assigned_id"))
    try:
        qs = selectors.contact_list(filters=filters)
    except KontorError as exc:
        messages.error(request, error_message(exc))
        qs = selectors.contact_list(filters={})
    page = paginate(request, qs)
    comms = selectors.record_communications(EntityType.CONTACT, [c.pk for c in page])
    rows = [(c, comms[c.pk]) for c in page]
    return render(request, "web/contacts/list.html", {"page": page, "rows": rows, "filters": filters,
                                                      "query": query_without_page(request),
                                                      "users": forms.user_choices()[1:]})


@login_required
def contact_create(request: HttpRequest) -> HttpResponse:
    initial: dict[str, Any] = {"assigned_id": str(request.user.pk)}
    if request.GET.get("company_id", "").isdigit():
        initial["company_id"] = int(request.GET["company_id"])
    form = forms.ContactForm(request.POST or None, initial=initial)
    if request.method == "POST":
        contact = _save(request, form,
                        lambda d: services.contact_create(actor=request.user, data=_contact_data(d, None)))
        if contact is not None:
            messages.success(request, _("Contact created."))
            return redirect("web:contact_detail", contact.pk)
    return render(request, "web/form.html", {"form": form, "title": _("New contact"), "back": "web:contact_list"})


@login_required
def contact_detail(request: HttpRequest, pk: int) -> HttpResponse:
    contact = _get(Contact.objects.select_related("company", "assigned"), pk)
    context = _record_context(EntityType.CONTACT, contact)
    context["deals"] = Deal.objects.filter(Q(contact=contact) | Q(deal_contacts__contact=contact)).distinct() \
        .select_related("stage").order_by("-id")[:50]
    context["leads"] = Lead.objects.filter(contact=contact).select_related("status").order_by("-id")[:50]
    return render(request, "web/contacts/detail.html", context)


@login_required
def contact_edit(request: HttpRequest, pk: int) -> HttpResponse:
    contact = _get(Contact, pk)
    initial = {"name": contact.name, "last_name": contact.last_name, "post": contact.post,
               "company_id": contact.company_id, "assigned_id": str(contact.assigned_id or ""),
               "comments": contact.comments, **_comm_text(EntityType.CONTACT, pk)}
    form = forms.ContactForm(request.POST or None, initial=initial)
    if request.method == "POST" and _save(
        request, form,
        lambda d: services.contact_update(contact=contact, actor=request.user, data=_contact_data(d, contact)),
    ):
        messages.success(request, _("Changes saved."))
        return redirect("web:contact_detail", pk)
    return render(request, "web/form.html", {"form": form, "title": _("Edit contact"), "object": contact,
                                             "cancel": record_url(EntityType.CONTACT, pk)})


# --- companies ---------------------------------------------------------------------------------


def _company_data(cleaned: dict[str, Any], company: Company | None) -> dict[str, Any]:
    data = _with_comms(cleaned, EntityType.COMPANY, company.pk if company else None)
    return _blank_to_none(data, "assigned_id")


@login_required
def company_list(request: HttpRequest) -> HttpResponse:
    filters = clean_filters(request, ("q", "assigned_id"))
    try:
        qs = selectors.company_list(filters=filters)
    except KontorError as exc:
        messages.error(request, error_message(exc))
        qs = selectors.company_list(filters={})
    page = paginate(request, qs)
    comms = selectors.record_communications(EntityType.COMPANY, [c.pk for c in page])
    rows = [(c, comms[c.pk]) for c in page]
    return render(request, "web/companies/list.html", {"page": page, "rows": rows, "filters": filters,
                                                       "query": query_without_page(request),
                                                       "users": forms.user_choices()[1:]})


@login_required
def company_create(request: HttpRequest) -> HttpResponse:
    form = forms.CompanyForm(request.POST or None, initial={"assigned_id": str(request.user.pk)})
    if request.method == "POST":
        company = _save(request, form,
                        lambda d: services.company_create(actor=request.user, data=_company_data(d, None)))
        if company is not None:
            messages.success(request, _("Company created."))
            return redirect("web:company_detail", company.pk)
    return render(request, "web/form.html", {"form": form, "title": _("New company"), "back": "web:company_list"})


@login_required
def company_detail(request: HttpRequest, pk: int) -> HttpResponse:
    company = _get(Company.objects.select_related("assigned"), pk)
    context = _record_context(EntityType.COMPANY, company)
    context["contacts"] = company.contacts.order_by("last_name", "name")[:50]
    context["deals"] = company.deals.select_related("stage").order_by("-id")[:50]
    context["leads"] = Lead.objects.filter(company=company).select_related("status").order_by("-id")[:50]
    return render(request, "web/companies/detail.html", context)


@login_required
def company_edit(request: HttpRequest, pk: int) -> HttpResponse:
    company = _get(Company, pk)
    initial = {"title": company.title, "industry": company.industry, "assigned_id": str(company.assigned_id or ""),
               "comments": company.comments, **_comm_text(EntityType.COMPANY, pk)}
    form = forms.CompanyForm(request.POST or None, initial=initial)
    if request.method == "POST" and _save(
        request, form,
        lambda d: services.company_update(company=company, actor=request.user, data=_company_data(d, company)),
    ):
        messages.success(request, _("Changes saved."))
        return redirect("web:company_detail", pk)
    return render(request, "web/form.html", {"form": form, "title": _("Edit company"), "object": company,
                                             "cancel": record_url(EntityType.COMPANY, pk)})


# --- activities --------------------------------------------------------------------------------


@login_required
def activity_list(request: HttpRequest) -> HttpResponse:
    filters = clean_filters(request, ("q", "type", "responsible_id"))
    state = request.GET.get("state", "open")
    if state in ("open", "done"):
        filters["completed"] = "true" if state == "done" else "false"
    if filters.get("type") not in ActivityType.values:
        filters.pop("type", None)
    try:
        qs = selectors.activity_list(filters=filters, order="deadline" if state == "open" else "-id")
    except KontorError as exc:
        messages.error(request, error_message(exc))
        qs = selectors.activity_list(filters={"completed": "false"})
    page = paginate(request, qs)
    bindings = selectors.record_bindings([a.pk for a in page])
    rows = [(a, _binding_links(bindings.get(a.pk, []))) for a in page]
    return render(request, "web/activities/list.html", {
        "page": page, "rows": rows, "filters": filters, "state": state, "query": query_without_page(request),
        "types": ActivityType.choices, "users": forms.user_choices()[1:],
    })


def _binding_links(bindings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``[{"url", "label"}]`` for an activity's records, with their names (few rows: a page at most)."""
    models = {"lead": Lead, "deal": Deal, "contact": Contact, "company": Company}
    out = []
    for b in bindings:
        obj = models[b["entity"]].objects.filter(pk=b["id"]).first()
        if obj is not None:
            entity_type = EntityType.from_name(b["entity"])
            out.append({"url": record_url(entity_type, obj.pk), "label": str(obj), "kind": entity_type.label})
    return out


@login_required
@require_POST
def activity_create(request: HttpRequest) -> HttpResponse:
    entity = request.POST.get("entity", "")
    entity_id = request.POST.get("entity_id", "")
    try:
        entity_type = EntityType.from_name(entity)
        fallback = record_url(entity_type, int(entity_id))
    except (KeyError, ValueError):
        raise Http404 from None
    form = forms.ActivityForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            services.activity_create(actor=request.user, data={
                "type": d["type"], "subject": d["subject"], "description": d["description"],
                "deadline": d["deadline"], "bindings": [{"entity": entity, "id": int(entity_id)}],
            })
        except KontorError as exc:
            messages.error(request, error_message(exc))
        else:
            messages.success(request, _("Activity added."))
    else:
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            messages.error(request, f"{label}: {' '.join(errors)}" if label else " ".join(errors))
    return redirect(safe_next(request, fallback) + "#activities")


@login_required
@require_POST
def activity_complete(request: HttpRequest, pk: int) -> HttpResponse:
    activity = _get(Activity, pk)
    completed = request.POST.get("completed", "1") != "0"
    services.activity_complete(activity=activity, actor=request.user, completed=completed)
    messages.success(request, _("Activity completed.") if completed else _("Activity reopened."))
    return redirect(safe_next(request, "/activities/"))


# --- lookups for the contact/company pickers ---------------------------------------------------


@login_required
def lookup(request: HttpRequest, kind: str) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    field = request.GET.get("field", "")
    if kind == "contacts":
        items = list(selectors.contact_list(filters={"q": q})[:10]) if q else []
    elif kind == "companies":
        items = list(selectors.company_list(filters={"q": q})[:10]) if q else []
    else:
        raise Http404
    return render(request, "web/widgets/lookup_results.html", {"items": items, "field": field, "q": q})

