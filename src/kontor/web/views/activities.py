"""Activities (list, detail, create, edit, delete, complete), notes on records, and the reason asked
when a deal is lost.

The activities page opens on the user's own open activities, grouped into overdue, today and
upcoming; ``?scope=all`` / ``?scope=others`` widen it. Each view validates a form and calls one
service (``kontor.crm.services``); a ``KontorError`` is shown next to its field or as a message.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kontor.core.errors import KontorError
from kontor.crm import access, selectors, services
from kontor.crm.enums import ActivityType, CommType, EntityType, Semantic, TimelineKind
from kontor.crm.models import Activity, Company, Contact, Deal, Lead, Stage, TimelineEntry
from kontor.crm.services import notes
from kontor.web import forms
from kontor.web.views.common import (
    add_service_error,
    clean_filters,
    error_message,
    paginate,
    query_without_page,
    record_url,
    safe_next,
)
from kontor.web.views.record_actions import may_delete
from kontor.web.views.records import require_add

SCOPES = ("mine", "all", "others")
RECORD_MODELS: dict[str, Any] = {"lead": Lead, "deal": Deal, "contact": Contact, "company": Company}


def _get_activity(request: HttpRequest, pk: int) -> Activity:
    """The activity if the user may read it (``kontor.crm.access``), else 404."""
    qs = access.scope(Activity.objects.select_related("responsible", "author"), request.user)
    activity = qs.filter(pk=pk).first()
    if activity is None:
        raise Http404
    return activity


def binding_links(bindings: list[dict[str, Any]], user: Any) -> list[dict[str, Any]]:
    """``[{"url", "label", "kind"}]`` for an activity's records the user may see, with their names (a
    page at most)."""
    out = []
    for b in bindings:
        obj = access.scope(RECORD_MODELS[b["entity"]].objects.filter(pk=b["id"]), user).first()
        if obj is not None:
            entity_type = EntityType.from_name(b["entity"])
            out.append({"url": record_url(entity_type, obj.pk), "label": str(obj), "kind": entity_type.label})
    return out


def _sections(activities: list[tuple[Activity, list]]) -> list[tuple[str, str, list]]:
    """Open activities grouped: overdue, today, upcoming, without deadline (empty groups left out)."""
    now = timezone.now()
    end_of_today = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    groups: dict[str, list] = {"overdue": [], "today": [], "upcoming": [], "none": []}
    for item in activities:
        a = item[0]
        key = ("none" if a.deadline is None else "overdue" if a.deadline < now
               else "today" if a.deadline < end_of_today else "upcoming")
        groups[key].append(item)
    titles = {"overdue": _("Overdue"), "today": _("Today"), "upcoming": _("Upcoming"), "none": _("No deadline")}
    return [(key, titles[key], rows) for key, rows in groups.items() if rows]


@login_required
def activity_list(request: HttpRequest) -> HttpResponse:
    filters = clean_filters(request, ("q", "type", "responsible_id"))
    scope = request.GET.get("scope") or ("all" if filters.get("responsible_id") else "mine")
    if scope not in SCOPES:
        messages.error(request, _("Unknown filter: %(name)s") % {"name": f"scope={scope}"})
        scope = "mine"
    state = request.GET.get("state", "open")
    if state not in ("open", "done", "all"):
        messages.error(request, _("Unknown filter: %(name)s") % {"name": f"state={state}"})
        state = "open"
    if state in ("open", "done"):
        filters["completed"] = "true" if state == "done" else "false"
    if scope == "mine":
        filters["responsible_id"] = str(request.user.pk)
    try:
        qs = access.scope(selectors.activity_list(filters=filters), request.user)
    except KontorError as exc:
        messages.error(request, error_message(exc))
        qs = access.scope(selectors.activity_list(filters={"completed": "false",
                                                           "responsible_id": str(request.user.pk)}), request.user)
    if scope == "others":
        qs = qs.exclude(responsible_id=request.user.pk)
    qs = qs.order_by(F("deadline").asc(nulls_last=True), "id") if state == "open" else qs.order_by("-id")
    page = paginate(request, qs)
    bindings = selectors.record_bindings([a.pk for a in page])
    rows = [(a, binding_links(bindings.get(a.pk, []), request.user)) for a in page]
    form = forms.ActivityForm(initial={"responsible_id": str(request.user.pk)})
    return render(request, "web/activities/list.html", {
        "page": page, "rows": rows, "sections": _sections(rows) if state == "open" else [],
        "filters": filters, "state": state, "scope": scope, "query": query_without_page(request),
        "types": ActivityType.choices, "users": forms.user_choices()[1:], "activity_form": form,
    })


def _binding_from_request(request: HttpRequest) -> tuple[str, int] | None:
    entity = request.POST.get("entity") or request.GET.get("entity") or ""
    entity_id = request.POST.get("entity_id") or request.GET.get("entity_id") or ""
    if entity not in RECORD_MODELS or not entity_id.isdigit():
        return None
    if not access.scope(RECORD_MODELS[entity].objects.filter(pk=int(entity_id)), request.user).exists():
        return None  # as for a record that does not exist
    return entity, int(entity_id)


@login_required
def activity_create(request: HttpRequest) -> HttpResponse:
    """A new activity: from a record's page pre-bound to it (``entity``/``entity_id``), from the
    activities page for the records picked in the form."""
    require_add(request, "activity")
    binding = _binding_from_request(request)
    if binding is None and (request.POST.get("entity") or request.GET.get("entity")):
        raise Http404  # a record that does not exist (or that the user may not see)
    data = request.POST if request.method == "POST" else None
    form = forms.ActivityForm(data, initial={"responsible_id": str(request.user.pk)})
    records_form = None if binding else forms.ActivityRecordsForm(data)
    fallback = (record_url(EntityType.from_name(binding[0]), binding[1]) + "#activities") if binding \
        else "/activities/"
    if request.method == "POST":
        valid = form.is_valid() & (records_form is None or records_form.is_valid())
        if valid:
            bindings = [{"entity": binding[0], "id": binding[1]}] if binding else records_form.bindings()  # type: ignore[union-attr]
            payload = form.payload()
            if payload["responsible_id"] is None:
                del payload["responsible_id"]  # nobody chosen: the service makes the creator responsible
            try:
                services.activity_create(actor=request.user, data={**payload, "bindings": bindings})
            except KontorError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, _("Activity added."))
                target = safe_next(request, fallback)
                return redirect(target if "#" in target or not binding else target + "#activities")
        if binding and request.POST.get("inline") == "1":  # the short form on a record's page
            for field, errors in form.errors.items():
                label = form.fields[field].label if field in form.fields else ""
                messages.error(request, f"{label}: {' '.join(errors)}" if label else " ".join(errors))
            target = safe_next(request, fallback)
            return redirect(target if "#" in target else target + "#activities")
    record = RECORD_MODELS[binding[0]].objects.get(pk=binding[1]) if binding else None
    return render(request, "web/activities/form.html", {
        "form": form, "records_form": records_form, "title": _("New activity"), "binding": binding,
        "record": record, "cancel": safe_next(request, fallback)}, status=422 if form.is_bound else 200)


@login_required
def activity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    activity = _get_activity(request, pk)
    links = binding_links(selectors.record_bindings([activity.pk]).get(activity.pk, []), request.user)
    return render(request, "web/activities/detail.html", {"activity": activity, "links": links,
                                                          "communications": _communications(activity, request.user),
                                                          "may_delete": may_delete(request.user, activity)})


def _communications(activity: Activity, user: Any) -> list[dict[str, Any]]:
    """``[{"kind", "value", "href", "record"}]``: who the activity is with — its phone numbers and
    e-mails as links, and the record each belongs to when the user may see it."""
    hrefs = {"PHONE": "tel:", "EMAIL": "mailto:"}
    out = []
    for c in activity.communications or []:
        kind, value = str(c.get("type") or ""), str(c.get("value") or "")
        href = ""
        if kind in hrefs:
            href = hrefs[kind] + value.replace(" ", "")
        elif kind == "WEB" and value.startswith(("http://", "https://")):
            href = value
        record = None
        if c.get("entity_type") and c.get("entity_id"):
            try:
                entity = EntityType(int(c["entity_type"])).name.lower()
            except ValueError:
                entity = ""
            if entity in RECORD_MODELS:
                found = binding_links([{"entity": entity, "id": c["entity_id"]}], user)
                record = found[0] if found else None
        label = CommType(kind).label if kind in CommType.values else kind
        out.append({"kind": label, "value": value, "href": href, "record": record})
    return out


@login_required
def activity_edit(request: HttpRequest, pk: int) -> HttpResponse:
    activity = _get_activity(request, pk)
    initial = {"type": activity.type, "subject": activity.subject, "description": activity.description,
               "deadline": timezone.localtime(activity.deadline) if activity.deadline else None,
               "start_time": timezone.localtime(activity.start_time) if activity.start_time else None,
               "end_time": timezone.localtime(activity.end_time) if activity.end_time else None,
               "responsible_id": str(activity.responsible_id or "")}
    form = forms.ActivityForm(request.POST or None, initial=initial, communications=activity.communications)
    if request.method == "POST" and form.is_valid():
        try:
            services.activity_update(activity=activity, actor=request.user, data=form.payload())
        except KontorError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("web:activity_detail", pk)
    return render(request, "web/activities/form.html", {
        "form": form, "title": _("Edit activity"), "activity": activity,
        "cancel": f"/activities/{activity.pk}/"}, status=422 if form.is_bound else 200)


@login_required
def activity_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Delete an activity: administrators and its responsible person (the rule of every record's
    delete, ``record_actions.may_delete``); others get 403."""
    activity = _get_activity(request, pk)
    if not may_delete(request.user, activity):
        raise PermissionDenied(_("Only administrators and the responsible person may delete this."))
    if request.method == "POST":
        try:
            services.activity_delete(activity=activity, actor=request.user)
        except KontorError as exc:
            messages.error(request, error_message(exc))
            return redirect("web:activity_detail", pk)
        messages.success(request, _("Activity deleted."))
        return redirect(safe_next(request, "/activities/"))
    return render(request, "web/activities/delete.html", {"activity": activity})


@login_required
@require_POST
def activity_complete(request: HttpRequest, pk: int) -> HttpResponse:
    activity = _get_activity(request, pk)
    completed = request.POST.get("completed", "1") != "0"
    try:
        services.activity_complete(activity=activity, actor=request.user, completed=completed)
    except KontorError as exc:
        messages.error(request, error_message(exc))
    else:
        messages.success(request, _("Activity completed.") if completed else _("Activity reopened."))
    return redirect(safe_next(request, "/activities/"))


# --- notes -------------------------------------------------------------------------------------


def _note(request: HttpRequest, pk: int) -> TimelineEntry:
    """A note on a record the user may see, else 404."""
    entry = access.scope_related(TimelineEntry.objects.filter(pk=pk, kind=TimelineKind.COMMENT), request.user).first()
    if entry is None:
        raise Http404
    return entry


@login_required
@require_POST
def note_create(request: HttpRequest) -> HttpResponse:
    binding = _binding_from_request(request)
    if binding is None:
        raise Http404
    fallback = record_url(EntityType.from_name(binding[0]), binding[1])
    form = forms.NoteForm(request.POST)
    if form.is_valid():
        try:
            notes.note_add(entity_type=EntityType.from_name(binding[0]), entity_id=binding[1],
                           text=form.cleaned_data["text"], actor=request.user)
        except KontorError as exc:
            messages.error(request, error_message(exc))
        else:
            messages.success(request, _("Note added."))
    else:
        messages.error(request, f"{_('Note')}: {' '.join(form.errors.get('text', []))}")
    return redirect(safe_next(request, fallback) + "#timeline")


@login_required
def note_edit(request: HttpRequest, pk: int) -> HttpResponse:
    entry = _note(request, pk)
    back = record_url(entry.entity_type, entry.entity_id) + "#timeline"
    if not notes.note_can_change(entry=entry, user=request.user):
        messages.error(request, _("Only the author of a note or an administrator may change it."))
        return redirect(back)
    form = forms.NoteForm(request.POST or None, initial={"text": (entry.data or {}).get("text", "")})
    if request.method == "POST" and form.is_valid():
        try:
            notes.note_update(entry=entry, text=form.cleaned_data["text"], actor=request.user)
        except KontorError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Note saved."))
            return redirect(back)
    return render(request, "web/activities/note_form.html", {"form": form, "entry": entry, "cancel": back})


@login_required
@require_POST
def note_delete(request: HttpRequest, pk: int) -> HttpResponse:
    entry = _note(request, pk)
    back = record_url(entry.entity_type, entry.entity_id) + "#timeline"
    try:
        notes.note_delete(entry=entry, actor=request.user)
    except KontorError as exc:
        messages.error(request, error_message(exc))
    else:
        messages.success(request, _("Note deleted."))
    return redirect(back)


# --- lost deals --------------------------------------------------------------------------------


def is_lost_stage(stage: Stage) -> bool:
    return stage.semantic == Semantic.FAILURE


@login_required
def deal_lost(request: HttpRequest, pk: int) -> HttpResponse:
    """Moving a deal to a failure stage asks why (kept as a note) and offers to complete its open
    activities (``deal_lose``)."""
    deal = access.scope(Deal.objects.select_related("stage"), request.user).filter(pk=pk).first()
    stage_id = request.POST.get("stage_id") or request.GET.get("stage_id") or ""
    stage = Stage.objects.filter(pk=int(stage_id)).first() if stage_id.isdigit() else None
    if deal is None:
        raise Http404
    if stage is None or not is_lost_stage(stage):
        messages.error(request, _("Unknown stage."))
        return redirect("web:deal_detail", pk)
    open_activities = list(access.scope(selectors.activity_list(filters={"entity": "deal", "entity_id": deal.pk,
                                                                         "completed": "false"}), request.user))
    form = forms.LostForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.deals.deal_lose(deal=deal, stage=stage, reason=form.cleaned_data["reason"],
                                     close_activities=form.cleaned_data["close_activities"], actor=request.user)
        except KontorError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("The deal was marked as lost."))
            return redirect("web:deal_detail", pk)
    return render(request, "web/deals/lost.html", {"form": form, "object": deal, "stage": stage,
                                                   "open_activities": open_activities,
                                                   "cancel": safe_next(request, record_url(EntityType.DEAL, pk))})
