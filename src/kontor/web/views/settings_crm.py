"""Settings index and the CRM's structure for admins: pipelines and their stages, lead statuses,
sources and the simple directories (deal types, salutations, …).

Every change goes through the services the API uses (``kontor.crm.services.pipelines``,
``sources``, ``directories``), so both share one set of rules: colours are ``#rrggbb``, a pipeline
keeps an in-progress and a won stage, built-in statuses stay. Reordering (drag and drop with
SortableJS, or the ↑/↓ buttons on a phone and from the keyboard) writes ``sort`` 10, 20, 30 … in
one transaction. Deleting something that is in use first moves its records to a target the admin
picks — through the record services, so events and timelines are as if each was moved by hand —
and then deletes it, all in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kontor.core.errors import ErrorCode, KontorError
from kontor.crm.enums import Semantic
from kontor.crm.models import Contact, Deal, DirectoryItem, Lead, LeadStatus, Pipeline, Source, Stage
from kontor.crm.services import deals as deal_services
from kontor.crm.services import directories, pipelines, sources
from kontor.crm.services.contacts import contact_update
from kontor.crm.services.deals import deal_update
from kontor.crm.services.leads import lead_is_converted, lead_update
from kontor.web import settings_forms as sf
from kontor.web.views.common import add_service_error, admin_required, error_message


@admin_required
def settings_index(request: HttpRequest) -> HttpResponse:
    return render(request, "web/settings/index.html", {"directories": sf.DIRECTORY_LABELS})


def _unique(code: str, taken) -> str:
    """``code``, or ``code_2``, ``code_3`` … when it is taken (codes made from a name)."""
    used = {str(c["pk"] if isinstance(c, dict) else c).upper() for c in taken}
    candidate, n = code, 1
    while candidate.upper() in used:
        n += 1
        candidate = f"{code[:45]}_{n}"
    return candidate


# --- ordering ------------------------------------------------------------------------------------


def _reorder(items: Sequence[Any], request: HttpRequest, update: Callable[[Any, dict], Any]) -> None:
    """Apply the order posted by drag and drop (``order=id,id,…``) or by a button (``move=id`` and
    ``direction=up|down``) to ``items`` (in their current order): sort becomes 10, 20, 30 …"""
    keys = [str(item.pk) for item in items]
    if request.POST.get("order"):
        wanted = [k for k in request.POST["order"].split(",") if k in keys]
        order = wanted + [k for k in keys if k not in wanted]
    else:
        order = list(keys)
        key = request.POST.get("move", "")
        if key in order:
            i = order.index(key)
            j = i - 1 if request.POST.get("direction") == "up" else i + 1
            if 0 <= j < len(order):
                order[i], order[j] = order[j], order[i]
    by_key = {str(item.pk): item for item in items}
    with transaction.atomic():
        for position, key in enumerate(order, start=1):
            item = by_key[key]
            if item.sort != position * 10:
                update(item, {"sort": position * 10})


def _after_reorder(request: HttpRequest, fallback: str) -> HttpResponse:
    if request.headers.get("X-Requested-With") == "fetch":
        return HttpResponse(status=204)
    messages.success(request, _("Order saved."))
    return redirect(fallback)


# --- pipelines and stages ------------------------------------------------------------------------


@admin_required
def pipeline_list(request: HttpRequest) -> HttpResponse:
    form = sf.NameForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        last = Pipeline.objects.order_by("-sort").values_list("sort", flat=True).first() or 0
        try:
            pipeline = pipelines.pipeline_create(actor=request.user, name=form.cleaned_data["name"], sort=last + 10)
        except KontorError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Pipeline %(name)s created.") % {"name": pipeline.name})
            return redirect("web:pipeline_detail", pipeline.pk)
    rows = list(Pipeline.objects.prefetch_related("stages").order_by("sort", "id"))
    counts = _deal_counts("pipeline_id")
    for row in rows:
        row.deal_count = counts.get(row.pk, 0)
    return render(request, "web/settings/pipelines.html", {"pipelines": rows, "form": form})


def _deal_counts(column: str) -> dict[int, int]:
    from django.db.models import Count

    return {r[column]: r["n"] for r in Deal.objects.values(column).annotate(n=Count("id")).order_by()}


@admin_required
@require_POST
def pipeline_reorder(request: HttpRequest) -> HttpResponse:
    items = list(Pipeline.objects.order_by("sort", "id"))
    _reorder(items, request, lambda p, data: pipelines.pipeline_update(pipeline=p, actor=request.user, data=data))
    return _after_reorder(request, reverse("web:pipeline_list"))


@admin_required
def pipeline_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A pipeline's name and its stages: add, rename, colour, meaning, order, delete."""
    pipeline = get_object_or_404(Pipeline, pk=pk)
    rename = sf.NameForm(request.POST if request.POST.get("form") == "rename" else None,
                         initial={"name": pipeline.name}, prefix="pipeline")
    add = sf.StageForm(request.POST if request.POST.get("form") == "stage" else None, prefix="stage")
    if request.method == "POST":
        try:
            if rename.is_bound and rename.is_valid():
                pipelines.pipeline_update(pipeline=pipeline, actor=request.user,
                                          data={"name": rename.cleaned_data["name"]})
                messages.success(request, _("Changes saved."))
                return redirect("web:pipeline_detail", pk)
            if add.is_bound and add.is_valid():
                d = add.cleaned_data
                last = pipeline.stages.filter(semantic=Semantic.PROCESS).order_by("-sort").first()
                stage = pipelines.stage_create(pipeline=pipeline, actor=request.user, data={
                    "name": d["name"], "color": d["color"], "semantic": d["semantic"],
                    "code": _unique(sf.code_from_name(d["name"]), pipeline.stages.values_list("code", flat=True)),
                    "sort": (last.sort + 5) if last is not None and d["semantic"] == Semantic.PROCESS else 1000})
                # Numbered again so the new stage sits after the last in-progress one.
                _reorder(list(pipeline.stages.order_by("sort", "id")), _NoOrder(),
                         lambda s, data: pipelines.stage_update(stage=s, actor=request.user, data=data))
                messages.success(request, _("Stage %(name)s added.") % {"name": stage.name})
                return redirect("web:pipeline_detail", pk)
        except KontorError as exc:
            add_service_error(add if add.is_bound else rename, exc)
    stages = list(pipeline.stages.order_by("sort", "id"))
    counts = _deal_counts("stage_id")
    for stage in stages:
        stage.deal_count = counts.get(stage.pk, 0)
    return render(request, "web/settings/pipeline_detail.html", {
        "pipeline": pipeline, "stages": stages, "rename": rename, "add": add, "palette": sf.PALETTE,
        "semantics": dict(Semantic.choices)})


class _NoOrder:
    """A request stand-in for ``_reorder`` that keeps the current order (renumbering only)."""

    POST: dict[str, str] = {}


@admin_required
@require_POST
def stage_reorder(request: HttpRequest, pk: int) -> HttpResponse:
    pipeline = get_object_or_404(Pipeline, pk=pk)
    _reorder(list(pipeline.stages.order_by("sort", "id")), request,
             lambda s, data: pipelines.stage_update(stage=s, actor=request.user, data=data))
    return _after_reorder(request, reverse("web:pipeline_detail", args=[pk]))


@admin_required
def stage_edit(request: HttpRequest, pk: int) -> HttpResponse:
    stage = get_object_or_404(Stage.objects.select_related("pipeline"), pk=pk)
    form = sf.StageForm(request.POST or None, initial={"name": stage.name, "color": (stage.color or "").lower()
                                                       or sf.PALETTE[0], "semantic": stage.semantic})
    if request.method == "POST" and form.is_valid():
        try:
            pipelines.stage_update(stage=stage, actor=request.user, data=form.cleaned_data)
        except KontorError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("web:pipeline_detail", stage.pipeline_id)
    return render(request, "web/settings/item_form.html", {
        "form": form, "title": _("Edit stage %(name)s") % {"name": stage.name}, "palette": sf.PALETTE,
        "cancel": reverse("web:pipeline_detail", args=[stage.pipeline_id])})


def _move_deals(deals, stage: Stage, actor) -> int:
    moved = 0
    for deal in deals.order_by("id").iterator(chunk_size=500):
        deal_services.deal_move_stage(deal=deal, stage=stage, actor=actor)
        moved += 1
    return moved


def _stage_targets(exclude_pipeline: int | None = None, exclude_stage: int | None = None) -> list[tuple[str, list]]:
    groups = []
    for p in Pipeline.objects.prefetch_related("stages").order_by("sort", "id"):
        if p.pk == exclude_pipeline:
            continue
        options = [(str(s.pk), s.name) for s in p.stages.all() if s.pk != exclude_stage]
        if options:
            groups.append((p.name, options))
    return groups


def _target_stage(request: HttpRequest, allowed: list[tuple[str, list]]) -> Stage | None:
    value = request.POST.get("target", "")
    if value not in {key for _name, options in allowed for key, _label in options}:
        return None
    return Stage.objects.get(pk=int(value))


@admin_required
def stage_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Delete a stage; its deals first move to the stage the admin picks."""
    stage = get_object_or_404(Stage.objects.select_related("pipeline"), pk=pk)
    deals = Deal.objects.filter(stage=stage)
    count = deals.count()
    targets = _stage_targets(exclude_stage=stage.pk)
    back = reverse("web:pipeline_detail", args=[stage.pipeline_id])
    error = ""
    if request.method == "POST":
        target = _target_stage(request, targets) if count else None
        if count and target is None:
            error = _("Choose the stage the deals move to.")
        else:
            try:
                with transaction.atomic():
                    if target is not None:
                        _move_deals(deals, target, request.user)
                    pipelines.stage_delete(stage=stage, actor=request.user)
            except KontorError as exc:
                error = error_message(exc)
            else:
                messages.success(request, _("Stage %(name)s deleted.") % {"name": stage.name})
                return redirect(back)
    return render(request, "web/settings/delete_move.html", {
        "title": _("Delete stage %(name)s") % {"name": stage.name}, "count": count, "targets": targets,
        "what": _("deals"), "cancel": back, "error": error})


@admin_required
def pipeline_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Delete a pipeline (not the default one); its deals first move to a stage of another pipeline."""
    pipeline = get_object_or_404(Pipeline, pk=pk)
    deals = Deal.objects.filter(pipeline=pipeline)
    count = deals.count()
    targets = _stage_targets(exclude_pipeline=pipeline.pk)
    error = _("The default pipeline cannot be deleted.") if pipeline.is_default else ""
    if request.method == "POST" and not pipeline.is_default:
        target = _target_stage(request, targets) if count else None
        if count and target is None:
            error = _("Choose the stage the deals move to.")
        else:
            try:
                with transaction.atomic():
                    if target is not None:
                        _move_deals(deals, target, request.user)
                    pipelines.pipeline_delete(pipeline=pipeline, actor=request.user)
            except KontorError as exc:
                error = error_message(exc)
            else:
                messages.success(request, _("Pipeline %(name)s deleted.") % {"name": pipeline.name})
                return redirect("web:pipeline_list")
    return render(request, "web/settings/delete_move.html", {
        "title": _("Delete pipeline %(name)s") % {"name": pipeline.name}, "count": count, "targets": targets,
        "what": _("deals"), "cancel": reverse("web:pipeline_list"), "error": error,
        "blocked": pipeline.is_default})


# --- lead statuses -------------------------------------------------------------------------------


@admin_required
def lead_status_list(request: HttpRequest) -> HttpResponse:
    form = sf.LeadStatusForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        last = LeadStatus.objects.filter(semantic=Semantic.PROCESS).order_by("-sort").first()
        try:
            status = pipelines.lead_status_create(actor=request.user, data={
                "name": d["name"],
                "code": d["code"] or _unique(sf.code_from_name(d["name"]), LeadStatus.objects.values("pk")),
                "color": d["color"],
                "semantic": d["semantic"],
                "sort": (last.sort + 5) if last is not None and d["semantic"] == Semantic.PROCESS else 1000})
            _reorder(list(LeadStatus.objects.order_by("sort", "code")), _NoOrder(),
                     lambda s, data: pipelines.lead_status_update(status=s, actor=request.user, data=data))
        except KontorError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Status %(name)s added.") % {"name": status.name})
            return redirect("web:lead_status_list")
    from django.db.models import Count

    counts = {r["status_id"]: r["n"] for r in Lead.objects.values("status_id").annotate(n=Count("id")).order_by()}
    statuses = list(LeadStatus.objects.order_by("sort", "code"))
    for status in statuses:
        status.lead_count = counts.get(status.pk, 0)
    return render(request, "web/settings/lead_statuses.html", {"statuses": statuses, "form": form,
                                                               "palette": sf.PALETTE,
                                                               "semantics": dict(Semantic.choices)})


@admin_required
@require_POST
def lead_status_reorder(request: HttpRequest) -> HttpResponse:
    _reorder(list(LeadStatus.objects.order_by("sort", "code")), request,
             lambda s, data: pipelines.lead_status_update(status=s, actor=request.user, data=data))
    return _after_reorder(request, reverse("web:lead_status_list"))


@admin_required
def lead_status_edit(request: HttpRequest, code: str) -> HttpResponse:
    status = get_object_or_404(LeadStatus, pk=code)
    form = sf.LeadStatusForm(request.POST or None, status=status,
                             initial={"name": status.name, "color": (status.color or "").lower() or sf.PALETTE[0]})
    if request.method == "POST" and form.is_valid():
        try:
            pipelines.lead_status_update(status=status, actor=request.user, data=form.cleaned_data)
        except KontorError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("web:lead_status_list")
    return render(request, "web/settings/item_form.html", {
        "form": form, "title": _("Edit status %(name)s") % {"name": status.name}, "palette": sf.PALETTE,
        "cancel": reverse("web:lead_status_list")})


@admin_required
def lead_status_delete(request: HttpRequest, code: str) -> HttpResponse:
    """Delete a status of your own; its leads first move to the status the admin picks."""
    status = get_object_or_404(LeadStatus, pk=code)
    leads = Lead.objects.filter(status=status)
    count = leads.count()
    options = [(s.code, s.name) for s in LeadStatus.objects.exclude(pk=status.pk).exclude(
        semantic=Semantic.SUCCESS).order_by("sort", "code")]
    error = _("Built-in statuses cannot be deleted.") if status.system else ""
    if request.method == "POST" and not status.system:
        target = request.POST.get("target", "")
        if count and target not in dict(options):
            error = _("Choose the status the leads move to.")
        else:
            try:
                with transaction.atomic():
                    for lead in leads.select_related("status").order_by("id").iterator(chunk_size=500):
                        lead_update(lead=lead, actor=request.user, data={"status_id": target})
                    pipelines.lead_status_delete(status=status, actor=request.user)
            except KontorError as exc:
                error = error_message(exc)
            else:
                messages.success(request, _("Status %(name)s deleted.") % {"name": status.name})
                return redirect("web:lead_status_list")
    return render(request, "web/settings/delete_move.html", {
        "title": _("Delete status %(name)s") % {"name": status.name}, "count": count,
        "targets": [("", options)], "what": _("leads"), "cancel": reverse("web:lead_status_list"), "error": error,
        "blocked": status.system})


# --- sources -------------------------------------------------------------------------------------


@admin_required
def source_list(request: HttpRequest) -> HttpResponse:
    form = sf.CodeNameForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        last = Source.objects.order_by("-sort").values_list("sort", flat=True).first() or 0
        try:
            source = sources.source_create(actor=request.user, data={
                "name": d["name"], "sort": last + 10,
                "code": d["code"] or _unique(sf.code_from_name(d["name"]), Source.objects.values("pk"))})
        except KontorError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Source %(name)s added.") % {"name": source.name})
            return redirect("web:source_list")
    return render(request, "web/settings/sources.html", {"items": Source.objects.order_by("sort", "code"),
                                                         "form": form})


@admin_required
@require_POST
def source_reorder(request: HttpRequest) -> HttpResponse:
    _reorder(list(Source.objects.order_by("sort", "code")), request,
             lambda s, data: sources.source_update(source=s, actor=request.user, data=data))
    return _after_reorder(request, reverse("web:source_list"))


@admin_required
def source_edit(request: HttpRequest, code: str) -> HttpResponse:
    source = get_object_or_404(Source, pk=code)
    form = sf.CodeNameForm(request.POST or None, editing=True, initial={"name": source.name})
    if request.method == "POST" and form.is_valid():
        try:
            sources.source_update(source=source, actor=request.user, data=form.cleaned_data)
        except KontorError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("web:source_list")
    return render(request, "web/settings/item_form.html", {
        "form": form, "title": _("Edit source %(name)s") % {"name": source.name},
        "cancel": reverse("web:source_list")})


@admin_required
def source_delete(request: HttpRequest, code: str) -> HttpResponse:
    """Delete a source; the leads, deals and contacts naming it first get another one (or none)."""
    source = get_object_or_404(Source, pk=code)
    used = {"leads": Lead.objects.filter(source=source), "deals": Deal.objects.filter(source=source),
            "contacts": Contact.objects.filter(source=source)}
    count = sum(qs.count() for qs in used.values())
    options = [("-", _("No source"))] + [(s.code, s.name) for s in Source.objects.exclude(pk=source.pk)
                                         .order_by("sort", "code")]
    error = ""
    if request.method == "POST":
        target = request.POST.get("target", "")
        if count and target not in dict(options):
            error = _("Choose the source the records get instead.")
        else:
            new = "" if target == "-" else target
            try:
                with transaction.atomic():
                    for lead in used["leads"].select_related("status").order_by("id").iterator(chunk_size=500):
                        if lead_is_converted(lead):  # read-only history: only the directory entry changes
                            Lead.objects.filter(pk=lead.pk).update(source_id=new or None)
                        else:
                            lead_update(lead=lead, actor=request.user, data={"source": new})
                    for deal in used["deals"].order_by("id").iterator(chunk_size=500):
                        deal_update(deal=deal, actor=request.user, data={"source": new})
                    for contact in used["contacts"].order_by("id").iterator(chunk_size=500):
                        contact_update(contact=contact, actor=request.user, data={"source": new})
                    sources.source_delete(source=source, actor=request.user)
            except KontorError as exc:
                error = error_message(exc)
            else:
                messages.success(request, _("Source %(name)s deleted.") % {"name": source.name})
                return redirect("web:source_list")
    return render(request, "web/settings/delete_move.html", {
        "title": _("Delete source %(name)s") % {"name": source.name}, "count": count,
        "targets": [("", options)], "what": _("records"), "cancel": reverse("web:source_list"), "error": error})


# --- directories ---------------------------------------------------------------------------------


def _directory(name: str) -> str:
    if name not in sf.DIRECTORY_LABELS:
        raise Http404
    return name


@admin_required
def directory_list(request: HttpRequest, directory: str) -> HttpResponse:
    directory = _directory(directory)
    form = sf.CodeNameForm(request.POST or None)
    items = DirectoryItem.objects.filter(directory=directory).order_by("sort", "id")
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        last = items.order_by("-sort").values_list("sort", flat=True).first() or 0
        try:
            item = directories.directory_item_create(actor=request.user, directory=directory, data={
                "name": d["name"], "sort": last + 10,
                "code": d["code"] or _unique(sf.code_from_name(d["name"]), items.values_list("code", flat=True))})
        except KontorError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("%(name)s added.") % {"name": item.name})
            return redirect("web:directory_list", directory)
    return render(request, "web/settings/directory.html", {
        "directory": directory, "label": sf.DIRECTORY_LABELS[directory], "items": items, "form": form,
        "directories": sf.DIRECTORY_LABELS})


@admin_required
@require_POST
def directory_reorder(request: HttpRequest, directory: str) -> HttpResponse:
    directory = _directory(directory)
    _reorder(list(DirectoryItem.objects.filter(directory=directory).order_by("sort", "id")), request,
             lambda item, data: directories.directory_item_update(item=item, actor=request.user, data=data))
    return _after_reorder(request, reverse("web:directory_list", args=[directory]))


@admin_required
def directory_edit(request: HttpRequest, directory: str, pk: int) -> HttpResponse:
    item = get_object_or_404(DirectoryItem, directory=_directory(directory), pk=pk)
    form = sf.CodeNameForm(request.POST or None, editing=True, initial={"name": item.name})
    back = reverse("web:directory_list", args=[directory])
    if request.method == "POST" and form.is_valid():
        try:
            directories.directory_item_update(item=item, actor=request.user, data=form.cleaned_data)
        except KontorError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect(back)
    return render(request, "web/settings/item_form.html", {
        "form": form, "title": _("Edit %(name)s") % {"name": item.name}, "cancel": back})


@admin_required
def directory_delete(request: HttpRequest, directory: str, pk: int) -> HttpResponse:
    item = get_object_or_404(DirectoryItem, directory=_directory(directory), pk=pk)
    back = reverse("web:directory_list", args=[directory])
    error = ""
    if request.method == "POST":
        try:
            directories.directory_item_delete(item=item, actor=request.user)
        except KontorError as exc:
            error = (_("%(name)s is still used by records; change them first.") % {"name": item.name}
                     if exc.code == ErrorCode.IN_USE else error_message(exc))
        else:
            messages.success(request, _("%(name)s deleted.") % {"name": item.name})
            return redirect(back)
    return render(request, "web/settings/delete_move.html", {
        "title": _("Delete %(name)s") % {"name": item.name}, "count": 0, "targets": [], "cancel": back,
        "error": error})
