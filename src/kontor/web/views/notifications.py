"""The notification centre: the list behind the bell, and marking notifications read."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from kontor.notifications.models import Notification
from kontor.notifications.services import notification_url, notifications_mark_read
from kontor.web.views.common import paginate, safe_next


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    qs = Notification.objects.filter(user_id=request.user.pk)
    if request.GET.get("state") == "unread":
        qs = qs.filter(read_at__isnull=True)
    page = paginate(request, qs)
    return render(request, "web/notifications/list.html", {"page": page, "state": request.GET.get("state", "")})


@login_required
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one notification read and go to its record."""
    n = Notification.objects.filter(pk=pk, user_id=request.user.pk).first()
    if n is None:
        return redirect("web:notification_list")
    notifications_mark_read(user=request.user, ids=[n.pk])
    return redirect(notification_url(n) or "web:notification_list")


@login_required
@require_POST
def notification_read(request: HttpRequest) -> HttpResponse:
    """Mark all (or the posted ``id``) notifications of the user read."""
    ids = [int(v) for v in request.POST.getlist("id") if v.isdigit()] or None
    notifications_mark_read(user=request.user, ids=ids)
    return redirect(safe_next(request, "/notifications/"))
