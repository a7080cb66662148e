"""Template helpers of the settings screens and record actions: the bulk bar's choices and whether
the user may delete a record."""

from __future__ import annotations

from django import template

from kontor.crm.enums import Semantic
from kontor.crm.models import LeadStatus

register = template.Library()


@register.simple_tag
def bulk_options(kind: str) -> dict:
    from kontor.web.forms import stage_choices, user_choices

    out: dict = {"users": user_choices()[1:]}
    if kind == "deals":
        out["stages"] = stage_choices()
    if kind == "leads":
        out["statuses"] = [(s.code, s.name) for s in LeadStatus.objects.exclude(semantic=Semantic.SUCCESS)
                           .order_by("sort", "code")]
    return out


@register.filter
def can_delete(obj, user) -> bool:
    """``{% if object|can_delete:user %}``: an admin or the record's responsible user."""
    from kontor.web.views.record_actions import may_delete

    return may_delete(user, obj)
