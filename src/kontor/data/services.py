"""Services of the data app: import jobs (upload, preview, start, run)."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from kontor.core.errors import validation
from kontor.data.importing import KINDS, ON_DUPLICATE, Summary, check_mapping, default_mapping, records_import
from kontor.data.models import ImportJob
from kontor.data.tables import table_open

PREVIEW_ROWS = 5


def imports_dir() -> Path:
    return Path(settings.VAR_DIR) / "imports"


def _clean_options(kind: Any, on_duplicate: Any) -> None:
    if kind not in KINDS:
        raise validation(f"kind must be one of {', '.join(KINDS)}", "kind")
    if on_duplicate not in ON_DUPLICATE:
        raise validation(f"on_duplicate must be one of {', '.join(ON_DUPLICATE)}", "on_duplicate")


def import_job_create(*, actor=None, upload: IO[bytes], name: str, kind: Any, mapping: Mapping[str, Any] | None = None,
                      on_duplicate: Any = "skip", dry_run: bool = False, start: bool = True) -> ImportJob:
    """Store an uploaded file and make an import job of it; ``start``: queue it for the worker at once.

    The file is opened here, so a malformed one, an unknown kind or a bad mapping is a 422 before
    anything is queued."""
    _clean_options(kind, on_duplicate)
    folder = imports_dir() / uuid.uuid4().hex
    folder.mkdir(parents=True, exist_ok=True)
    suffix = Path(name).suffix.lower() if Path(name).suffix.lower() in (".csv", ".xlsx", ".txt") else ".csv"
    path = folder / f"upload{suffix}"
    with open(path, "wb") as out:
        shutil.copyfileobj(upload, out)
    try:
        table = table_open(path)
        if mapping is not None:
            check_mapping(KINDS[kind], table.headers, mapping)
    except Exception:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    job = ImportJob.objects.create(kind=kind, file=str(path), original_name=Path(name).name[:255],
                                   mapping=dict(mapping) if mapping is not None else None,
                                   on_duplicate=on_duplicate, dry_run=dry_run, actor=actor)
    if start:
        job = import_job_start(job=job, mapping=mapping, on_duplicate=on_duplicate, dry_run=dry_run)
    return job


def import_job_preview(*, job: ImportJob, rows: int = PREVIEW_ROWS) -> dict[str, Any]:
    """The file's columns, the first rows and the default field of each column."""
    table = table_open(job.file)
    first = []
    for _, cells in table.rows():
        first.append(cells)
        if len(first) >= rows:
            break
    return {"headers": table.headers, "rows": first, "mapping": default_mapping(KINDS[job.kind], table.headers)}


@transaction.atomic
def import_job_start(*, job: ImportJob, mapping: Mapping[str, Any] | None, on_duplicate: Any,
                     dry_run: bool) -> ImportJob:
    """Confirm a job's choices and queue it (a job runs once; a dry run is a job of its own)."""
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if job.status != ImportJob.Status.PENDING:
        raise validation("this import has already been started", "status")
    _clean_options(job.kind, on_duplicate)
    if mapping is not None:
        check_mapping(KINDS[job.kind], table_open(job.file).headers, mapping)
    job.mapping = dict(mapping) if mapping is not None else None
    job.on_duplicate = str(on_duplicate)
    job.dry_run = bool(dry_run)
    job.status = ImportJob.Status.QUEUED
    job.save()
    pk = job.pk

    def enqueue() -> None:
        from kontor.data.tasks import import_task

        import_task.enqueue(pk)

    transaction.on_commit(enqueue)
    return job


def import_job_run(*, job_id: int) -> ImportJob:
    """Run a queued job (the worker calls it); progress is saved after every batch."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job_id)
        if job.status not in (ImportJob.Status.QUEUED, ImportJob.Status.RUNNING):
            return job
        # A job that died mid-run is not resumed (rows already written would be seen as duplicates);
        # it is marked failed with what it had done.
        if job.status == ImportJob.Status.RUNNING:
            job.status, job.error, job.finished_at = ImportJob.Status.FAILED, "interrupted", timezone.now()
            job.save()
            return job
        job.status, job.started_at = ImportJob.Status.RUNNING, timezone.now()
        job.save()

    def progress(summary: Summary) -> None:
        ImportJob.objects.filter(pk=job_id).update(
            total=summary.total, processed=summary.processed, created=summary.created, updated=summary.updated,
            skipped=summary.skipped, rejected=summary.rejected)

    try:
        summary = records_import(path=job.file, kind=job.kind, mapping=job.mapping, on_duplicate=job.on_duplicate,
                                 dry_run=job.dry_run, actor=job.actor, rejected_path=Path(job.rejected_file),
                                 progress=progress, count=True)
    except Exception as exc:  # the job must end failed, with the reason, whatever went wrong
        message = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
        ImportJob.objects.filter(pk=job_id).update(status=ImportJob.Status.FAILED, error=message[:2000],
                                                   finished_at=timezone.now())
        if not hasattr(exc, "message"):
            raise
        return ImportJob.objects.get(pk=job_id)
    progress(summary)
    ImportJob.objects.filter(pk=job_id).update(status=ImportJob.Status.DONE, finished_at=timezone.now())
    return ImportJob.objects.get(pk=job_id)


def import_job_out(job: ImportJob) -> dict[str, Any]:
    """A job as the API shows it."""
    return {"id": job.pk, "kind": job.kind, "status": job.status, "file_name": job.original_name,
            "on_duplicate": job.on_duplicate, "dry_run": job.dry_run, "mapping": job.mapping,
            "total": job.total, "processed": job.processed, "created": job.created, "updated": job.updated,
            "skipped": job.skipped, "rejected": job.rejected, "error": job.error or None,
            "created_at": job.created_at.isoformat(),
            "finished_at": job.finished_at.isoformat() if job.finished_at else None}
