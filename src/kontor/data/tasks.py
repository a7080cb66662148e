"""The background task the worker (``kontor db_worker``) runs for an import job."""

from __future__ import annotations

from django_tasks import task


@task()
def import_task(job_id: int) -> None:
    """Run import job ``job_id`` (see ``kontor.data.services.import_job_run``)."""
    from kontor.data.services import import_job_run

    import_job_run(job_id=job_id)
