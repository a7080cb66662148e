"""Inbound webhooks of the Bitrix24-compatible REST API (``/rest/<user_id>/<secret>/``), per user.

Each user makes and revokes their own; the facade acts with that user's permissions. The secret is
shown once, right after it is made (only its hash is stored).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kontor.core.errors import KontorError
from kontor.web.views.common import error_message


@login_required
def webhook_list(request: HttpRequest) -> HttpResponse:
    from kontor.bitrix.models import Webhook
    from kontor.bitrix.services import webhook_create, webhook_path

    created_url = None
    if request.method == "POST":
        try:
            webhook, raw = webhook_create(user=request.user, name=request.POST.get("name", "")[:100])
        except KontorError as exc:
            messages.error(request, error_message(exc))
        else:
            created_url = request.build_absolute_uri(webhook_path(webhook, raw))
    webhooks = Webhook.objects.filter(user=request.user).order_by("-created_at", "-id")
    return render(request, "web/webhooks/list.html", {"webhooks": webhooks, "created_url": created_url})


@login_required
@require_POST
def webhook_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    from kontor.bitrix.models import Webhook
    from kontor.bitrix.services import webhook_revoke as revoke

    webhook = Webhook.objects.filter(pk=pk).first()
    if webhook is None or (webhook.user_id != request.user.pk and not request.user.is_crm_admin):
        raise Http404
    revoke(webhook=webhook)
    messages.success(request, _("Webhook revoked."))
    return redirect("web:webhook_list")
