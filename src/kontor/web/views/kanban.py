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
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kontor.core.errors import KontorError
from kontor.crm import selectors, services
from kontor.crm.enums import Semantic
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
    total: Decimal = Decimal("0")
    cards: list[Any] = field(default_factory=list)
    accepts: bool = True


def _deal_stats(pipeline: Pipeline, q: str = "") -> dict[int, tuple[int, Decimal]]:
    qs = selectors.deal_list(filters={"pipeline_id": pipeline.pk, "q": q}).order_by()
    rows = qs.values("stage_id").annotate(n=Count("id"), s=Sum("opportunity"))
    return {r["stage_id"]: (r["n"], r["s"] or Decimal("0")) for r in rows}


def deal_columns(pipeline: Pipeline | None, q: str = "") -> list[Column]:
    if pipeline is None:
        return []
    stats = _deal_stats(pipeline, q)
    columns = []
    for stage in selectors.stage_list(pipeline=pipeline):
        count, total = stats.get(stage.pk, (0, Decimal("0")))
        cards = []
        if count:
            cards = list(selectors.deal_list(filters={"stage_id": stage.pk, "q": q}, order="-id")
                         .select_related("contact", "company")[:CARDS_PER_COLUMN])
        columns.append(Column(key=str(stage.pk), name=stage.name, color=stage.color, semantic=stage.semantic,
                              count=count, total=total, cards=cards))
    return columns


def lead_columns(qs) -> list[Column]:
    stats = {r["status_id"]: (r["n"], r["s"] or Decimal("0"))
             for r in qs.order_by().values("status_id").annotate(n=Count("id"), s=Sum("opportunity"))}
    columns = []
    for status in LeadStatus.objects.exclude(semantic=Semantic.SUCCESS).order_by("sort", "code"):
        count, total = stats.get(status.code, (0, Decimal("0")))
        cards = list(qs.filter(status=status).order_by("-id")[:CARDS_PER_COLUMN]) if count else []
        columns.append(Column(key=status.code, name=status.name, color=status.color, semantic=status.semantic,
                              count=count, total=total, cards=cards))
    return columns


def _stats_response(request: HttpRequest, columns: list[Column], kind: str, message: str = "",
                    status: int = 200) -> HttpResponse:
    return render(request, "web/kanban/stats_oob.html", {"columns": columns, "kind": kind, "message": message},
                  status=status)


@login_required
@require_POST
def deal_move(request: HttpRequest, pk: int) -> HttpResponse:
    """Move a deal to ``stage_id`` (a drop on the board, or the stage buttons on its page)."""
    deal = Deal.objects.filter(pk=pk).first()
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
    return _stats_response(request, _column_stats(deal.pipeline, q), "deal")


def _column_stats(pipeline: Pipeline, q: str) -> list[Column]:
    stats = _deal_stats(pipeline, q)
    return [Column(key=str(s.pk), name=s.name, color=s.color, semantic=s.semantic,
                   count=stats.get(s.pk, (0, 0))[0], total=stats.get(s.pk, (0, Decimal("0")))[1])
            for s in selectors.stage_list(pipeline=pipeline)]


@login_required
@require_POST
def lead_move(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a lead's status from the board (not to "converted": that is the conversion)."""
    lead = Lead.objects.filter(pk=pk).first()
    if lead is None:
        raise Http404
    try:
        services.lead_update(lead=lead, actor=request.user, data={"status_id": request.POST.get("status_id", "")})
    except KontorError as exc:
        return HttpResponse(error_message(exc), status=422)
    if not request.htmx:
        return redirect("web:lead_detail", pk)
    qs = selectors.lead_list(filters={"q": request.POST.get("q", "")})
    stats = {r["status_id"]: (r["n"], r["s"] or Decimal("0"))
             for r in qs.order_by().values("status_id").annotate(n=Count("id"), s=Sum("opportunity"))}
    columns = [Column(key=s.code, name=s.name, color=s.color, semantic=s.semantic,
                      count=stats.get(s.code, (0, 0))[0], total=stats.get(s.code, (0, Decimal("0")))[1])
               for s in LeadStatus.objects.exclude(semantic=Semantic.SUCCESS).order_by("sort", "code")]
    return _stats_response(request, columns, "lead")
