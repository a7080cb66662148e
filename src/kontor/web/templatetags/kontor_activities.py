"""Template helpers of activities and notes: ``a|overdue``, ``entry|can_change_note:user``."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

register = template.Library()


@register.filter
def overdue(activity: Any) -> bool:
    """An open activity whose deadline has passed."""
    deadline = getattr(activity, "deadline", None)
    return bool(deadline and not getattr(activity, "completed", False) and deadline < timezone.now())


@register.filter
def can_change_note(entry: Any, user: Any) -> bool:
    from kontor.crm.services.notes import note_can_change

    return note_can_change(entry=entry, user=user)
