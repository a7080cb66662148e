"""Web UI of imports (upload, preview and mapping, dry run, progress, summary, rejected rows) and list exports.

The views only translate forms; ``kontor.data.services`` and ``kontor.data.exporting`` do the work.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from kontor.core.errors import KontorError
from kontor.crm.fields import specs_for
from kontor.crm.models import Contact
from kontor.data.importing import KINDS, ON_DUPLICATE, importable_specs
from kontor.data.models import ImportJob
from kontor.data.services import import_job_create, import_job_preview, import_job_start
from kontor.web.views.common import admin_required

KIND_LABELS = {"contacts": "Contacts", "companies": "Companies", "leads": "Leads", "deals": "Deals"}
LIST_URLS = {"contacts": "web:contact_list", "companies": "web:company_list", "leads": "web:lead_list",
             "deals": "web:deal_list"}


def _kinds() -> list[tuple[str, str]]:
    return [("contacts", _("Contacts")), ("companies", _("Companies")), ("leads", _("Leads")), ("deals", _("Deals"))]


def _job(request: HttpRequest, pk: int) -> ImportJob:
    job = ImportJob.objects.filter(pk=pk).first()
    if job is None or not (job.actor_id == request.user.pk or getattr(request.user, "is_crm_admin", False)):
        raise Http404
    return job


@login_required
def import_upload(request: HttpRequest) -> HttpResponse:
    """Step 1: choose what to import and the file."""
    kind = request.POST.get("kind") or request.GET.get("kind") or "contacts"
    error = ""
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            error = _("Choose a CSV or Excel file.")
        else:
            try:
                job = import_job_create(actor=request.user, upload=upload, name=upload.name or "upload.csv",
                                        kind=kind, start=False)
                return redirect("web:import_detail", job.pk)
            except KontorError as exc:
                error = exc.message
    return render(request, "web/data/upload.html", {"kinds": _kinds(), "kind": kind, "error": error,
                                                    "recent": ImportJob.objects.filter(actor=request.user)[:10]})


def _mapping_rows(job: ImportJob, preview: dict[str, Any]) -> list[dict[str, Any]]:
    chosen = job.mapping or preview["mapping"]
    return [{"index": i, "header": h, "field": chosen.get(h) or "", "samples": [r[i] for r in preview["rows"]]}
            for i, h in enumerate(preview["headers"])]


@login_required
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Step 2 (a pending job): preview, mapping, duplicates, dry run. Afterwards: progress and summary."""
    job = _job(request, pk)
    if job.status != ImportJob.Status.PENDING:
        template = "web/data/progress_panel.html" if request.htmx else "web/data/progress.html"
        return render(request, template, {"job": job, "list_url": LIST_URLS[job.kind]})
    preview = import_job_preview(job=job)
    rows = _mapping_rows(job, preview)
    error = ""
    if request.method == "POST":
        mapping = {row["header"]: request.POST.get(f"col-{row['index']}") or None for row in rows}
        on_duplicate = request.POST.get("on_duplicate", "skip")
        try:
            import_job_start(job=job, mapping=mapping, on_duplicate=on_duplicate,
                             dry_run=request.POST.get("dry_run") == "1")
            return redirect("web:import_detail", job.pk)
        except KontorError as exc:
            error = exc.message
            for row in rows:
                row["field"] = mapping.get(row["header"]) or ""
    fields = [(s.name, s.label) for s in importable_specs(KINDS[job.kind])]
    return render(request, "web/data/mapping.html", {
        "job": job, "rows": rows, "fields": fields, "on_duplicate": ON_DUPLICATE, "error": error,
        "preview_rows": preview["rows"], "headers": preview["headers"]})


@login_required
def import_again(request: HttpRequest, pk: int) -> HttpResponse:
    """After a dry run: the same file and choices as a real import (a job of its own)."""
    job = _job(request, pk)
    if request.method != "POST":
        return redirect("web:import_detail", pk)
    with open(job.file, "rb") as source:
        new = import_job_create(actor=request.user, upload=source, name=job.original_name, kind=job.kind,
                                mapping=job.mapping, on_duplicate=job.on_duplicate, dry_run=False)
    messages.success(request, _("The import has started."))
    return redirect("web:import_detail", new.pk)


@login_required
def import_rejected(request: HttpRequest, pk: int) -> FileResponse:
    job = _job(request, pk)
    path = Path(job.rejected_file)
    if not path.exists():
        raise Http404
    return FileResponse(path.open("rb"), as_attachment=True, filename=f"import-{job.pk}-rejected.csv",
                        content_type="text/csv; charset=utf-8")


@login_required
def list_export(request: HttpRequest, kind: str) -> HttpResponse:
    """A list's "Export" button: the list's filters and its columns (the chosen custom ones too)."""
    from kontor.api.routers.data import export_response

    if kind not in KINDS:
        raise Http404
    entity = KINDS[kind]
    params = request.GET.copy()
    for name in ("view", "page", "columns"):
        params.pop(name, None)
    if kind == "deals" and "pipeline" in params:  # the deal list's pipeline tabs
        params.setdefault("pipeline_id", params.pop("pipeline")[-1])
    for name in [k for k, v in params.items() if not v]:
        params.pop(name)  # an empty filter field of the form filters nothing
    if "columns" not in request.GET:
        chosen = request.session.get(f"columns:{entity.name.lower()}", [])
        specs = specs_for(entity)
        names = ["id", *[s.name for s in specs if s.list_column and not s.is_custom and s.name != "id"],
                 *[s.name for s in specs if s.is_custom and s.name in chosen]]
        title = {"contacts": ["name", "last_name"], "companies": ["title"], "leads": ["title"], "deals": ["title"]}
        names = ["id", *[n for n in title[kind] if n not in names], *names[1:]]
        params["columns"] = ",".join(names)
    request.GET = params
    try:
        return export_response(request, kind)
    except KontorError as exc:
        messages.error(request, exc.message)
        return redirect(LIST_URLS[kind])



# --- personal data (DSGVO) --------------------------------------------------------------------------


@admin_required
def contact_personal_data(request: HttpRequest, pk: int) -> HttpResponse:
    """Download everything about one contact as JSON (Art. 15)."""
    from kontor.data.privacy import contact_personal_data as gather

    contact = get_object_or_404(Contact, pk=pk)
    document = gather(contact=contact, actor=request.user)
    response = HttpResponse(json.dumps(document, ensure_ascii=False, indent=2),
                            content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="contact-{pk}-personal-data.json"'
    return response


@admin_required
def contact_erase(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm, then erase a contact with the traces of its phones and e-mails (Art. 17)."""
    from kontor.data.privacy import contact_erase as erase

    contact = get_object_or_404(Contact, pk=pk)
    if request.method == "POST":
        erase(contact=contact, actor=request.user)
        messages.success(request, _("The contact and its personal data were erased."))
        return redirect("web:contact_list")
    return render(request, "web/data/erase.html", {"object": contact})
