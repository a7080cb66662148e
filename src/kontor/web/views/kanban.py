"""Kanban boards: deals by stage of one pipeline, leads by status (classic mode).

A card dropped into another column is POSTed by htmx (from Sortable.js's ``onEnd``) to a move view
that calls the same service as the API (``deal_move_stage`` / ``lead_update``) and answers the
columns' new counts and sums as out-of-band swaps.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kontor.core.errors import ErrorCode, KontorError
from kontor.crm import access, selectors, services
from kontor.crm.enums import EntityType, Semantic
from kontor.crm.models import Deal, Lead, LeadStatus, Pipeline, Stage
from kontor.web.views.common import error_message

#: Cards shown per column; the column's header counts them all, its footer links to the full list.
CARDS_PER_COLUMN = 30


@dataclass
class Column:
    key: str
    name: str
    color: str
    semantic: str
    count: int = 0
    #: Totals per currency, ``[("EUR", Decimal), ("USD", Decimal)]``: amounts in different currencies
    #: are never added into one figure.
    sums: list[tuple[str, Decimal]] = field(default_factory=list)
    cards: list[Any] = field(default_factory=list)
    accepts: bool = True

    @property
    def closed(self) -> bool:
        """Won and lost columns are drop zones under the board, not full columns."""
        return self.semantic in (Semantic.SUCCESS, Semantic.FAILURE)


Stats = dict[Any, tuple[int, list[tuple[str, Decimal]]]]


def _stats(qs, key: str) -> Stats:
    """``{column key: (count, [(currency, sum)])}`` in one grouped query."""
    out: dict[Any, tuple[int, dict[str, Decimal]]] = {}
    for r in qs.order_by().values(key, "currency").annotate(n=Count("id"), s=Sum("opportunity")):
        count, sums = out.setdefault(r[key], (0, {}))
        sums[r["currency"] or ""] = sums.get(r["currency"] or "", Decimal("0")) + (r["s"] or Decimal("0"))
        out[r[key]] = (count + r["n"], sums)
    return {k: (n, sorted(sums.items())) for k, (n, sums) in out.items()}


def _deal_stats(pipeline: Pipeline, q: str, user: Any) -> Stats:
    return _stats(access.scope(selectors.deal_list(filters={"pipeline_id": pipeline.pk, "q": q}), user), "stage_id")


def _with_next_activities(entity: EntityType, cards: list[Any]) -> list[Any]:
    """Sets ``next_activity`` (the earliest open one, or ``None``) and ``overdue`` on each card."""
    nexts = selectors.next_open_activities(entity, [c.pk for c in cards])
    now = timezone.now()
    for card in cards:
        card.next_activity = nexts.get(card.pk)
        deadline = card.next_activity.deadline if card.next_activity else None
        card.overdue = deadline is not None and deadline < now
    return cards


def deal_columns(pipeline: Pipeline | None, q: str = "", *, user: Any) -> list[Column]:
    """The pipeline's stages with counts and per-currency sums; cards (with their responsible person
    and next activity) for open stages only: won and lost are drop zones. Only the deals ``user``
    may read count and show (``kontor.crm.access``)."""
    if pipeline is None:
        return []
    stats = _deal_stats(pipeline, q, user)
    columns = []
    for stage in selectors.stage_list(pipeline=pipeline):
        count, sums = stats.get(stage.pk, (0, []))
        column = Column(key=str(stage.pk), name=stage.name, color=stage.color, semantic=stage.semantic,
                        count=count, sums=sums)
        if count and not column.closed:
            cards = access.scope(selectors.deal_list(filters={"stage_id": stage.pk, "q": q}, order="-id"), user)
            column.cards = list(cards.select_related("contact", "company", "assigned")[:CARDS_PER_COLUMN])
        columns.append(column)
    _with_next_activities(EntityType.DEAL, [c for col in columns for c in col.cards])
    return columns


def _lead_statuses():
    return LeadStatus.objects.exclude(semantic=Semantic.SUCCESS).order_by("sort", "code")


def lead_columns(qs) -> list[Column]:
    stats = _stats(qs, "status_id")
    columns = []
    for status in _lead_statuses():
        count, sums = stats.get(status.code, (0, []))
        column = Column(key=status.code, name=status.name, color=status.color, semantic=status.semantic,
                        count=count, sums=sums)
        if count and not column.closed:
            column.cards = list(qs.filter(status=status).select_related("assigned").order_by("-id")[:CARDS_PER_COLUMN])
        columns.append(column)
    _with_next_activities(EntityType.LEAD, [c for col in columns for c in col.cards])
    return columns


def _stats_response(request: HttpRequest, columns: list[Column], kind: str, message: str = "",
                    status: int = 200) -> HttpResponse:
    return render(request, "web/kanban/stats_oob.html", {"columns": columns, "kind": kind, "message": message},
                  status=status)


@login_required
@require_POST
def deal_move(request: HttpRequest, pk: int) -> HttpResponse:
    """Move a deal to ``stage_id`` (a drop on the board, or the stage buttons on its page)."""
    deal = access.scope(Deal.objects.filter(pk=pk), request.user).first()
    if deal is None:
        raise Http404
    stage_id = request.POST.get("stage_id", "")
    stage = Stage.objects.filter(pk=int(stage_id)).first() if stage_id.isdigit() else None
    if stage is None:
        return HttpResponse(_("Unknown stage."), status=422)
    if stage.semantic == Semantic.FAILURE and deal.stage_id != stage.pk:
        # Lost: ask why (and about its open activities) first — kontor.web.views.activities.deal_lost.
        from django.urls import reverse
        from django.utils.http import urlencode

        back = request.POST.get("next") or ("/deals/" if request.htmx else reverse("web:deal_detail", args=[pk]))
        url = f"{reverse('web:deal_lost', args=[pk])}?{urlencode({'stage_id': stage.pk, 'next': back})}"
        if request.htmx:
            response = HttpResponse(status=204)
            response["HX-Redirect"] = url
            return response
        return redirect(url)
    try:
        deal = services.deal_move_stage(deal=deal, stage=stage, actor=request.user)
    except KontorError as exc:
        return HttpResponse(error_message(exc), status=exc.http_status)
    if not request.htmx:
        return redirect("web:deal_detail", pk)
    q = request.POST.get("q", "")
    return _stats_response(request, _column_stats(deal.pipeline, q, request.user), "deal")


def _column_stats(pipeline: Pipeline, q: str, user: Any) -> list[Column]:
    stats = _deal_stats(pipeline, q, user)
    return [Column(key=str(s.pk), name=s.name, color=s.color, semantic=s.semantic, count=stats.get(s.pk, (0, []))[0],
                   sums=stats.get(s.pk, (0, []))[1])
            for s in selectors.stage_list(pipeline=pipeline)]


@login_required
@require_POST
def lead_move(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a lead's status from the board (not to "converted": that is the conversion)."""
    lead = access.scope(Lead.objects.filter(pk=pk), request.user).first()
    if lead is None:
        raise Http404
    try:
        services.lead_update(lead=lead, actor=request.user, data={"status_id": request.POST.get("status_id", "")})
    except KontorError as exc:
        denied = exc.code in (ErrorCode.PERMISSION_DENIED, ErrorCode.NOT_FOUND)
        return HttpResponse(error_message(exc), status=exc.http_status if denied else 422)
    if not request.htmx:
        return redirect("web:lead_detail", pk)
    stats = _stats(access.scope(selectors.lead_list(filters={"q": request.POST.get("q", "")}), request.user),
                   "status_id")
    columns = [Column(key=s.code, name=s.name, color=s.color, semantic=s.semantic, count=stats.get(s.code, (0, []))[0],
                      sums=stats.get(s.code, (0, []))[1])
               for s in _lead_statuses()]
    return _stats_response(request, columns, "lead")
