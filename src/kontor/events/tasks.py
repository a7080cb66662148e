"""The background task the worker (``kontor db_worker``) runs to send a webhook's deliveries."""

from __future__ import annotations

from django_tasks import task


@task()
def deliver_task(webhook_id: int) -> int:
    """Send webhook ``webhook_id``'s due deliveries in order (see ``kontor.events.delivery``)."""
    from kontor.events.delivery import deliver_pending

    return deliver_pending(webhook_id)
