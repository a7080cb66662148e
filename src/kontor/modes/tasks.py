"""The background task the worker (``kontor db_worker``) runs for a CRM-mode switch."""

from __future__ import annotations

from django_tasks import task


@task()
def switch_task(switch_id: int) -> None:
    """Convert the in-progress leads of switch ``switch_id`` (resumes where the last batch ended)."""
    from kontor.modes.jobs import switch_run

    switch_run(switch_id)
