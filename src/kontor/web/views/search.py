"""The header's global search: leads, deals, contacts and companies by title or name, e-mail, or a
phone number typed any way ("0171 2345678" finds "+49 171 2345678": the selectors compare the
normalised number).

It goes through the record selectors (``selectors.lead_list``, ``deal_list``, ``contact_list``,
``company_list`` with ``filters={"q": …}``) narrowed by ``access.scope`` to what the user may read,
as the lists and the kanban are: a search never shows (or counts) a record its list would hide.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from kontor.crm import access, selectors
from kontor.crm.enums import EntityType
from kontor.web.display import money
from kontor.web.views.common import record_url

#: Results shown per kind; the group's heading counts them all and links to the full list.
PER_KIND = 20


@dataclass
class Group:
    kind: str
    label: Any
    list_url: str
    count: int = 0
    items: list[dict[str, Any]] = field(default_factory=list)


def _lead_line(lead) -> str:
    parts = [getattr(lead.status, "name", ""), lead.full_name, lead.company_title]
    return " · ".join(p for p in parts if p)


def _deal_line(deal) -> str:
    parts = [getattr(deal.stage, "name", ""), money(deal.opportunity, deal.currency),
             str(deal.contact or ""), str(deal.company or "")]
    return " · ".join(p for p in parts if p)


def _contact_line(contact) -> str:
    return str(contact.company or "")


KINDS = (
    (EntityType.CONTACT, "contacts", _("Contacts"), selectors.contact_list, _contact_line),
    (EntityType.COMPANY, "companies", _("Companies"), selectors.company_list, lambda company: ""),
    (EntityType.DEAL, "deals", _("Deals"), selectors.deal_list, _deal_line),
    (EntityType.LEAD, "leads", _("Leads"), selectors.lead_list, _lead_line),
)


def search_groups(q: str, user: Any) -> list[Group]:
    """The matches of ``q`` per record kind that ``user`` may read: a count and the newest ``PER_KIND``."""
    groups = []
    for entity, kind, label, select, line in KINDS:
        qs = access.scope(select(filters={"q": q}), user)
        group = Group(kind=kind, label=label, list_url=f"/{kind}/?view=list&q=")
        group.count = qs.count()
        if group.count:
            group.items = [{"url": record_url(entity, obj.pk), "title": str(obj) or f"#{obj.pk}", "line": line(obj)}
                           for obj in qs.order_by("-id")[:PER_KIND]]
        groups.append(group)
    return groups


@login_required
def search(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:200]
    groups = search_groups(q, request.user) if q else []
    return render(request, "web/search.html", {
        "search_q": q, "groups": groups, "total": sum(g.count for g in groups),
    })
