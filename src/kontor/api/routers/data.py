"""``/api/v1/imports`` (CSV/XLSX import jobs) and the record lists' exports.

The work is done by ``kontor.data``'s services; these endpoints only translate HTTP.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.http import FileResponse, HttpRequest, StreamingHttpResponse
from django.utils import timezone
from ninja import File, Form, Router, Status
from ninja.files import UploadedFile

from kontor.api.auth import current_user, require_admin
from kontor.api.schemas import Id, errors
from kontor.core.errors import ErrorCode, KontorError, not_found, validation
from kontor.data.models import ImportJob
from kontor.data.services import import_job_create, import_job_out, import_job_preview

router = Router()


def _job(request: HttpRequest, pk: int) -> ImportJob:
    job = ImportJob.objects.filter(pk=pk).first()
    user = current_user(request)
    # A user sees their own imports; an admin sees every one.
    if job is None or not (job.actor_id == user.pk or getattr(user, "is_crm_admin", False)):
        raise not_found("import", pk)
    return job


@router.post("/imports", response={201: dict[str, Any], **errors(400, 401, 422)}, summary="Import a CSV/XLSX file",
             description="multipart/form-data: `file` (CSV — encoding and delimiter are detected — or XLSX), "
             "`kind` (contacts, companies, leads, deals), optional `mapping` (JSON `{column header: field name "
             "or null}`, changing the default mapping), `on_duplicate` (skip, update, create; default skip), "
             "`dry_run` (true: check every row, write nothing). The import runs in the background: poll "
             "`GET /api/v1/imports/{id}` until `status` is `done` or `failed`.")
def create_import(request, file: File[UploadedFile], kind: Form[str], mapping: Form[str] = "",
                  on_duplicate: Form[str] = "skip", dry_run: Form[bool] = False):
    given = None
    if mapping.strip():
        try:
            given = json.loads(mapping)
        except ValueError:
            raise validation("mapping must be a JSON object {column header: field name or null}", "mapping") from None
        if not isinstance(given, dict):
            raise validation("mapping must be a JSON object {column header: field name or null}", "mapping")
    job = import_job_create(actor=current_user(request), upload=file, name=file.name or "upload.csv", kind=kind,
                            mapping=given, on_duplicate=on_duplicate, dry_run=dry_run)
    return Status(201, import_job_out(job))


@router.get("/imports/{import_id}", response={200: dict[str, Any], **errors(401, 404, 422)},
            summary="An import's status and summary")
def get_import(request, import_id: Id):
    return import_job_out(_job(request, import_id))


@router.get("/imports/{import_id}/preview", response={200: dict[str, Any], **errors(401, 404, 422)},
            summary="An import file's columns, first rows and default mapping")
def preview_import(request, import_id: Id):
    return import_job_preview(job=_job(request, import_id))


@router.get("/imports/{import_id}/rejected", response={200: None, **errors(401, 404, 422)},
            summary="The rejected rows (CSV: row, reason, the row's columns)")
def rejected_rows(request, import_id: Id):
    job = _job(request, import_id)
    path = Path(job.rejected_file)
    if not path.exists():
        raise KontorError(ErrorCode.NOT_FOUND, "this import has no rejected rows (yet)")
    return FileResponse(open(path, "rb"), as_attachment=True, filename=f"import-{job.pk}-rejected.csv",
                        content_type="text/csv; charset=utf-8")


# --- exports ----------------------------------------------------------------------------------------

EXPORT_HELP = ("The list as a file, streamed: `format=csv` (UTF-8 with BOM, `;` in German, `,` in English) or "
               "`xlsx`; the same filters and `order` as the list; `columns` (comma-separated field names, "
               "default: every field). Headers are the fields' labels, which the import maps back.")


def export_response(request: HttpRequest, kind: str):
    """The export of one kind with the request's list parameters (shared with the web UI)."""
    from kontor.data.exporting import csv_stream, records_export, xlsx_file

    params = {k: v[0] if len(v) == 1 else v for k, v in request.GET.lists()}
    fmt = str(params.pop("format", "csv"))
    order = params.pop("order", None)
    columns = [c for c in str(params.pop("columns", "") or "").split(",") if c.strip()]
    params.pop("lang", None)
    _, rows = records_export(kind=kind, filters=params, order=str(order) if order else None,
                             columns=[c.strip() for c in columns] or None, format=fmt,
                             user=current_user(request))
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    if fmt == "xlsx":
        path = xlsx_file(rows)
        response = FileResponse(path.open("rb"), as_attachment=True, filename=f"{kind}-{stamp}.xlsx",
                                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        path.unlink()  # the open handle keeps the data until the response is sent (POSIX)
        return response
    stream = StreamingHttpResponse((piece.encode("utf-8") for piece in csv_stream(rows)),
                                   content_type="text/csv; charset=utf-8")
    stream["Content-Disposition"] = f'attachment; filename="{kind}-{stamp}.csv"'
    return stream


def _export_endpoint(kind: str):
    def export(request):
        return export_response(request, kind)

    export.__name__ = f"export_{kind}"
    return export


for _kind in ("leads", "deals", "contacts", "companies"):
    router.get(f"/{_kind}/export", response={200: None, **errors(401, 403, 422)}, summary=f"Export {_kind}",
               description=EXPORT_HELP, operation_id=f"export_{_kind}")(_export_endpoint(_kind))


# --- personal data (DSGVO Art. 15 / 17) ------------------------------------------------------------


@router.get("/contacts/{contact_id}/personal-data", response={200: dict[str, Any], **errors(401, 403, 404, 422)},
            summary="Everything Kontor holds about a contact (DSGVO Art. 15)",
            description="Admins only. The contact, its companies, the leads and deals that name it or carry one of "
            "its phones/e-mails, their activities and timeline, as one JSON document. Audited.")
def contact_personal_data_endpoint(request, contact_id: Id):
    from kontor.crm.models import Contact
    from kontor.crm.services.common import get_or_404
    from kontor.data.privacy import contact_personal_data

    require_admin(request)
    return contact_personal_data(contact=get_or_404(Contact, contact_id), actor=current_user(request))


@router.post("/contacts/{contact_id}/erase", response={200: dict[str, Any], **errors(401, 403, 404, 422)},
             summary="Erase a contact and the traces of its phones and e-mails (DSGVO Art. 17)",
             description="Admins only. Deletes the contact; deletes its phones/e-mails wherever else they are "
             "stored (leads, deals, companies); clears the person's name and address on the leads that named "
             "it; unlinks deals; scrubs timeline entries that recorded them. Audited (without the data).")
def contact_erase_endpoint(request, contact_id: Id):
    from kontor.crm.models import Contact
    from kontor.crm.services.common import get_or_404
    from kontor.data.privacy import contact_erase

    require_admin(request)
    return contact_erase(contact=get_or_404(Contact, contact_id), actor=current_user(request))
