"""Lists, detail pages and forms of leads, deals, contacts, companies and activities.

Each view validates a form, calls one service and shows a ``KontorError`` next to its field.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from kontor.accounts.models import Action
from kontor.core.errors import ErrorCode, KontorError
from kontor.crm import access, filtering, selectors, services
from kontor.crm.enums import CrmMode, EntityType
from kontor.crm.fields import Kind, specs_for
from kontor.crm.models import Company, Contact, Deal, Lead, Pipeline, Stage
from kontor.web import forms
from kontor.web.display import RecordDisplay
from kontor.web.views.common import (
    add_service_error,
    clean_filters,
    crm_mode,
    error_message,
    paginate,
    query_without_page,
    record_url,
)
from kontor.web.views.record_actions import conversion_matches, duplicates_block


def _get(request: HttpRequest, model_or_qs, pk):
    """The record ``pk`` if the user may read it (``kontor.crm.access``); a 404 otherwise, as for a
    record that does not exist."""
    qs = model_or_qs if hasattr(model_or_qs, "filter") else model_or_qs.objects.all()
    obj = access.scope(qs, request.user).filter(pk=pk).first()
    if obj is None:
        raise Http404
    return obj


def _scoped(request: HttpRequest, qs):
    """``qs`` narrowed to the records the user may read."""
    return access.scope(qs, request.user)


def _comms(entity_type: EntityType, pk: int) -> dict[str, list]:
    return selectors.record_communications(entity_type, [pk])[pk]


def _record_context(entity_type: EntityType, obj, user) -> dict[str, Any]:
    """Every field with a value, phones, e-mails, timeline and activities of a record, and an empty
    activity form."""
    name = entity_type.name.lower()
    comms = _comms(entity_type, obj.pk)
    activities = list(access.scope(selectors.activity_list(filters={"entity": name, "entity_id": obj.pk},
                                                           order="deadline"), user))
    return {
        "object": obj,
        "entity": name,
        "comms": comms,
        "record_fields": RecordDisplay(entity_type).fields(obj, comms),
        "timeline": selectors.record_timeline(entity_type, obj.pk, limit=50),
        "open_activities": [a for a in activities if not a.completed],
        "done_activities": [a for a in activities if a.completed],
        "activity_form": forms.ActivityForm(initial={"responsible_id": str(user.pk)}),
    }


def require_add(request: HttpRequest, kind: str) -> None:
    """A "new …" page only for users whose role may add ``kind`` (403 page otherwise; the service
    would refuse the save anyway)."""
    if not access.may(request.user, kind, Action.ADD):
        raise PermissionDenied(_("Your role does not allow this."))


def _record_form(request: HttpRequest, entity: EntityType, obj=None, initial: dict[str, Any] | None = None):
    """The spec-driven form of ``entity``: the record's values (or ``initial``) and the posted data."""
    if obj is not None:
        initial = forms.record_initial(entity, obj, _comms(entity, obj.pk))
    return forms.RecordForm(request.POST or None, entity=entity, initial=initial or {})


def _payload(form: forms.RecordForm, entity: EntityType, obj=None) -> dict[str, Any]:
    """The form's values for the service; phones and e-mails equal to stored ones keep their rows."""
    return form.payload(_comms(entity, obj.pk) if obj is not None else None)


class _Column:
    """A list cell: HTML and whether it is a number (right-aligned)."""

    def __init__(self, html, num: bool):
        self.html, self.num = html, num


LIST_RELATED = {EntityType.LEAD: ("status", "source", "assigned", "contact", "company"),
                EntityType.DEAL: ("stage", "pipeline", "contact", "company", "assigned", "source"),
                EntityType.CONTACT: ("company", "assigned", "source"),
                EntityType.COMPANY: ("assigned",)}


def _filter_inputs(request: HttpRequest, entity: EntityType) -> list[dict[str, Any]]:
    """The filter bar's inputs for the custom fields shown in filters, with the values asked for."""
    shown = []
    for spec in specs_for(entity):
        if not (spec.is_custom and spec.filterable):
            continue
        choices: list[tuple[str, str]] = []
        if spec.kind == Kind.ENUM:
            choices = [(str(pk), label) for pk, label in spec.items]
        elif spec.kind == Kind.BOOL:
            choices = [("1", _("Yes")), ("0", _("No"))]
        shown.append({"spec": spec, "value": request.GET.get(spec.name, "").strip(), "choices": choices,
                      "input_type": {Kind.DATE: "date", Kind.INT: "number"}.get(spec.kind, "text")})
    return shown


def _custom_filter_q(request: HttpRequest, entity: EntityType, inputs: list[dict[str, Any]]) -> Q:
    """The list's condition for the custom filters (``?uf_crm_x=``) through the one filter engine.

    A ``uf_crm_*`` parameter that names no filterable field is an error naming it, not ignored."""
    known = {f["spec"].name for f in inputs}
    for name in request.GET:
        if name.startswith("uf_crm_") and name not in known:
            raise KontorError(ErrorCode.VALIDATION, _("Unknown filter: %(name)s") % {"name": name}, field=name)
    cond = Q()
    for f in inputs:
        spec, value = f["spec"], f["value"]
        if not value:
            continue
        op = "contains" if spec.kind in (Kind.TEXT, Kind.URL) and not spec.multiple else "eq"
        if spec.kind == Kind.MONEY:
            value = forms.custom_money(value)
        elif spec.kind == Kind.DOUBLE:
            value = forms.normalize_amount(value)
        cond &= filtering.condition(entity, spec, op, value)
    return cond


def _list_table(request: HttpRequest, entity: EntityType, qs) -> tuple[Any, dict[str, Any]]:
    """A page of ``qs`` as a table: the specs' list columns plus the custom columns the user chose
    (``?columns=``, kept in the session), and the custom filters."""
    specs = specs_for(entity)
    choosable = [s for s in specs if s.is_custom and s.list_column]
    key = f"columns:{entity.name.lower()}"
    if "columns" in request.GET:
        wanted = [c for c in request.GET.getlist("columns") if c]
        names = {s.name for s in choosable}
        unknown = [c for c in wanted if c not in names]
        if unknown:
            messages.error(request, _("Unknown column: %(name)s") % {"name": unknown[0]})
        request.session[key] = [c for c in wanted if c in names]
    chosen = request.session.get(key, [])
    columns = [s for s in specs if s.list_column and not s.is_custom] + [s for s in choosable if s.name in chosen]
    filters = _filter_inputs(request, entity)
    try:
        qs = qs.filter(_custom_filter_q(request, entity, filters))
    except KontorError as exc:
        messages.error(request, error_message(exc))
    page = paginate(request, qs.select_related(*LIST_RELATED[entity]))
    comms = selectors.record_communications(entity, [o.pk for o in page])
    show = RecordDisplay(entity)
    rows = []
    for obj in page:
        cells = [_Column(show.cell(spec, obj, comms.get(obj.pk)),
                         spec.kind in (Kind.MONEY, Kind.INT, Kind.DOUBLE) and not spec.multiple) for spec in columns]
        rows.append({"pk": obj.pk, "url": record_url(entity, obj.pk), "title": str(obj) or f"#{obj.pk}",
                     "cells": cells})
    keep = [(k, v) for k, values in request.GET.lists() if k not in ("columns", "page") for v in values]
    return page, {"columns": columns, "rows": rows, "choosable": choosable, "chosen": chosen, "filters": filters,
                  "keep": keep}


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


@login_required
def lead_list(request: HttpRequest) -> HttpResponse:
    classic = crm_mode() == CrmMode.CLASSIC
    view = request.GET.get("view") or ("kanban" if classic else "list")
    filters = clean_filters(request, ("q", "status_id", "assigned_id", "semantic"))
    try:
        qs = _scoped(request, selectors.lead_list(filters=filters))
    except KontorError as exc:
        messages.error(request, error_message(exc))
        qs = _scoped(request, selectors.lead_list(filters={}))
    context: dict[str, Any] = {"view": view, "filters": filters, "statuses": selectors.lead_status_list(),
                               "users": forms.user_choices()[1:], "classic": classic}
    if view == "kanban":
        from kontor.web.views.kanban import lead_columns

        context["columns"] = lead_columns(qs)
    else:
        context["page"], context["table"] = _list_table(request, EntityType.LEAD, qs)
        context["query"] = query_without_page(request)
    return render(request, "web/leads/list.html", context)


@login_required
def lead_create(request: HttpRequest) -> HttpResponse:
    require_add(request, "lead")
    form = _record_form(request, EntityType.LEAD, initial={"assigned_id": str(request.user.pk), "currency": "EUR"})
    dups = duplicates_block(request, "leads") if request.method == "POST" and form.is_valid() else []
    if request.method == "POST" and not dups:
        lead = _save(request, form, lambda d: services.lead_create(actor=request.user,
                                                                   data=_payload(form, EntityType.LEAD)))
        if lead is not None:
            lead.refresh_from_db()
            if lead.deal_id:  # simple mode: the lead was converted at once, as Bitrix24 does
                messages.success(request, _("Simple CRM: the lead was converted into a deal at once."))
                return redirect("web:deal_detail", lead.deal_id)
            messages.success(request, _("Lead created."))
            return redirect("web:lead_detail", lead.pk)
    return render(request, "web/form.html", {"form": form, "title": _("New lead"), "back": "web:lead_list",
                                             "dup_kind": "leads", "duplicates": dups})


@login_required
def lead_detail(request: HttpRequest, pk: int) -> HttpResponse:
    lead = _get(request, Lead.objects.select_related("status", "source", "assigned", "contact", "company", "deal"),
                pk)
    context = _record_context(EntityType.LEAD, lead, request.user)
    converted = services.leads.lead_is_converted(lead)
    context.update({"converted": converted, "can_convert": not converted and crm_mode() == CrmMode.CLASSIC})
    return render(request, "web/leads/detail.html", context)


@login_required
def lead_edit(request: HttpRequest, pk: int) -> HttpResponse:
    lead = _get(request, Lead.objects.select_related("status"), pk)
    if services.leads.lead_is_converted(lead):
        messages.error(request, _("This record can no longer be changed."))
        return redirect("web:lead_detail", pk)
    form = _record_form(request, EntityType.LEAD, lead)
    if request.method == "POST" and _save(
        request, form,
        lambda d: services.lead_update(lead=lead, actor=request.user, data=_payload(form, EntityType.LEAD, lead)),
    ):
        messages.success(request, _("Changes saved."))
        return redirect("web:lead_detail", pk)
    return render(request, "web/form.html", {"form": form, "title": _("Edit lead"), "object": lead,
                                             "cancel": record_url(EntityType.LEAD, pk)})


@login_required
def lead_convert(request: HttpRequest, pk: int) -> HttpResponse:
    """Classic mode: turn a lead into a deal and a contact and/or company (``lead_convert``)."""
    lead = _get(request, Lead.objects.select_related("status", "contact", "company"), pk)
    form = forms.ConvertForm(request.POST or None, lead=lead, matches=conversion_matches(lead, request.user))
    if request.method == "POST" and form.is_valid():
        from kontor.modes.services import lead_convert as convert

        d = form.cleaned_data
        deal = None
        if d["create_deal"]:
            deal = {"pipeline_id": None, "stage_id": None}
            if d.get("stage_id"):
                stage = Stage.objects.filter(pk=d["stage_id"]).first()
                deal = {"pipeline_id": stage.pipeline_id if stage else None, "stage_id": int(d["stage_id"])}

        try:
            convert(lead=lead, actor=request.user, deal=deal, contact=form.choice("contact"),
                    company=form.choice("company"), keep_open_activities=d["keep_open_activities"])
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
        context.update({"pipeline": pipeline,
                        "columns": deal_columns(pipeline, q=filters.get("q", ""), user=request.user)})
    else:
        try:
            qs = _scoped(request, selectors.deal_list(filters=filters))
        except KontorError as exc:
            messages.error(request, error_message(exc))
            qs = _scoped(request, selectors.deal_list(filters={}))
        context["page"], context["table"] = _list_table(request, EntityType.DEAL, qs)
        context.update({"query": query_without_page(request),
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
    require_add(request, "deal")
    initial: dict[str, Any] = {"assigned_id": str(request.user.pk), "currency": "EUR"}
    if request.GET.get("stage"):
        initial["stage_id"] = request.GET["stage"]
    if request.GET.get("contact_id", "").isdigit():
        initial["contact_ids"] = [int(request.GET["contact_id"])]
    if request.GET.get("company_id", "").isdigit():
        initial["company_id"] = int(request.GET["company_id"])
    form = _record_form(request, EntityType.DEAL, initial=initial)
    if request.method == "POST":
        deal = _save(request, form, lambda d: services.deal_create(actor=request.user,
                                                                   data=_payload(form, EntityType.DEAL)))
        if deal is not None:
            messages.success(request, _("Deal created."))
            return redirect("web:deal_detail", deal.pk)
    return render(request, "web/form.html", {"form": form, "title": _("New deal"), "back": "web:deal_list"})


@login_required
def deal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    deal = _get(request, Deal.objects.select_related("stage", "pipeline", "contact", "company", "lead", "assigned",
                                                     "source"), pk)
    context = _record_context(EntityType.DEAL, deal, request.user)
    context["contacts"] = list(deal.contacts.order_by("deal_links__sort"))
    context["stages"] = selectors.stage_list(pipeline=deal.pipeline)
    return render(request, "web/deals/detail.html", context)


@login_required
def deal_edit(request: HttpRequest, pk: int) -> HttpResponse:
    deal = _get(request, Deal, pk)
    form = _record_form(request, EntityType.DEAL, deal)
    if request.method == "POST" and _save(
        request, form,
        lambda d: services.deal_update(deal=deal, actor=request.user, data=_payload(form, EntityType.DEAL, deal)),
    ):
        messages.success(request, _("Changes saved."))
        return redirect("web:deal_detail", pk)
    return render(request, "web/form.html", {"form": form, "title": _("Edit deal"), "object": deal,
                                             "cancel": record_url(EntityType.DEAL, pk)})


# --- contacts ----------------------------------------------------------------------------------


@login_required
def contact_list(request: HttpRequest) -> HttpResponse:
    filters = clean_filters(request, ("q", "company_id", "assigned_id"))
    try:
        qs = _scoped(request, selectors.contact_list(filters=filters))
    except KontorError as exc:
        messages.error(request, error_message(exc))
        qs = _scoped(request, selectors.contact_list(filters={}))
    page, table = _list_table(request, EntityType.CONTACT, qs)
    return render(request, "web/contacts/list.html", {"page": page, "table": table, "filters": filters,
                                                      "query": query_without_page(request),
                                                      "users": forms.user_choices()[1:]})


@login_required
def contact_create(request: HttpRequest) -> HttpResponse:
    require_add(request, "contact")
    initial: dict[str, Any] = {"assigned_id": str(request.user.pk)}
    if request.GET.get("company_id", "").isdigit():
        initial["company_id"] = int(request.GET["company_id"])
    form = _record_form(request, EntityType.CONTACT, initial=initial)
    dups = duplicates_block(request, "contacts") if request.method == "POST" and form.is_valid() else []
    if request.method == "POST" and not dups:
        contact = _save(request, form, lambda d: services.contact_create(actor=request.user,
                                                                         data=_payload(form, EntityType.CONTACT)))
        if contact is not None:
            messages.success(request, _("Contact created."))
            return redirect("web:contact_detail", contact.pk)
    return render(request, "web/form.html", {"form": form, "title": _("New contact"), "back": "web:contact_list",
                                             "dup_kind": "contacts", "duplicates": dups})


@login_required
def contact_detail(request: HttpRequest, pk: int) -> HttpResponse:
    contact = _get(request, Contact.objects.select_related("company", "assigned"), pk)
    context = _record_context(EntityType.CONTACT, contact, request.user)
    context["deals"] = _scoped(request, Deal.objects.filter(Q(contact=contact) | Q(deal_contacts__contact=contact))
                               .distinct()).select_related("stage").order_by("-id")[:50]
    context["leads"] = _scoped(request, Lead.objects.filter(contact=contact)).select_related("status") \
        .order_by("-id")[:50]
    return render(request, "web/contacts/detail.html", context)


@login_required
def contact_edit(request: HttpRequest, pk: int) -> HttpResponse:
    contact = _get(request, Contact, pk)
    form = _record_form(request, EntityType.CONTACT, contact)
    if request.method == "POST" and _save(
        request, form,
        lambda d: services.contact_update(contact=contact, actor=request.user,
                                          data=_payload(form, EntityType.CONTACT, contact)),
    ):
        messages.success(request, _("Changes saved."))
        return redirect("web:contact_detail", pk)
    return render(request, "web/form.html", {"form": form, "title": _("Edit contact"), "object": contact,
                                             "cancel": record_url(EntityType.CONTACT, pk)})


# --- companies ---------------------------------------------------------------------------------


@login_required
def company_list(request: HttpRequest) -> HttpResponse:
    filters = clean_filters(request, ("q", "assigned_id"))
    try:
        qs = _scoped(request, selectors.company_list(filters=filters))
    except KontorError as exc:
        messages.error(request, error_message(exc))
        qs = _scoped(request, selectors.company_list(filters={}))
    page, table = _list_table(request, EntityType.COMPANY, qs)
    return render(request, "web/companies/list.html", {"page": page, "table": table, "filters": filters,
                                                       "query": query_without_page(request),
                                                       "users": forms.user_choices()[1:]})


@login_required
def company_create(request: HttpRequest) -> HttpResponse:
    require_add(request, "company")
    form = _record_form(request, EntityType.COMPANY, initial={"assigned_id": str(request.user.pk)})
    dups = duplicates_block(request, "companies") if request.method == "POST" and form.is_valid() else []
    if request.method == "POST" and not dups:
        company = _save(request, form, lambda d: services.company_create(actor=request.user,
                                                                         data=_payload(form, EntityType.COMPANY)))
        if company is not None:
            messages.success(request, _("Company created."))
            return redirect("web:company_detail", company.pk)
    return render(request, "web/form.html", {"form": form, "title": _("New company"), "back": "web:company_list",
                                             "dup_kind": "companies", "duplicates": dups})


@login_required
def company_detail(request: HttpRequest, pk: int) -> HttpResponse:
    company = _get(request, Company.objects.select_related("assigned"), pk)
    context = _record_context(EntityType.COMPANY, company, request.user)
    context["contacts"] = _scoped(request, company.contacts.all()).order_by("last_name", "name")[:50]
    context["deals"] = _scoped(request, company.deals.all()).select_related("stage").order_by("-id")[:50]
    context["leads"] = _scoped(request, Lead.objects.filter(company=company)).select_related("status") \
        .order_by("-id")[:50]
    return render(request, "web/companies/detail.html", context)


@login_required
def company_edit(request: HttpRequest, pk: int) -> HttpResponse:
    company = _get(request, Company, pk)
    form = _record_form(request, EntityType.COMPANY, company)
    if request.method == "POST" and _save(
        request, form,
        lambda d: services.company_update(company=company, actor=request.user,
                                          data=_payload(form, EntityType.COMPANY, company)),
    ):
        messages.success(request, _("Changes saved."))
        return redirect("web:company_detail", pk)
    return render(request, "web/form.html", {"form": form, "title": _("Edit company"), "object": company,
                                             "cancel": record_url(EntityType.COMPANY, pk)})


# Activities, notes and the lost-deal reason: kontor.web.views.activities.


# --- lookups for the contact/company pickers ---------------------------------------------------


@login_required
def lookup(request: HttpRequest, kind: str) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    field = request.GET.get("field", "")
    if kind == "contacts":
        items = list(_scoped(request, selectors.contact_list(filters={"q": q}))[:10]) if q else []
    elif kind == "companies":
        items = list(_scoped(request, selectors.company_list(filters={"q": q}))[:10]) if q else []
    elif kind == "leads":
        items = list(_scoped(request, selectors.lead_list(filters={"q": q}))[:10]) if q else []
    elif kind == "deals":
        items = list(_scoped(request, selectors.deal_list(filters={"q": q}))[:10]) if q else []
    else:
        raise Http404
    return render(request, "web/widgets/lookup_results.html", {"items": items, "field": field, "q": q})

