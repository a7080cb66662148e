"""Views of the web UI, one module per area: records, kanban, modes, webforms."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The deals board: the one section both CRM modes share."""
    return redirect("web:deal_list")
