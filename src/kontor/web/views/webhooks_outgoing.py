"""Settings page "Ausgehende Webhooks" / "Outgoing webhooks": an admin registers receivers that
Kontor POSTs its events to, removes them, turns a disabled one on again, reads each one's delivery
log and sends a delivery again.

Thin over ``kontor.events.services``, the same services ``/api/v1/webhooks/outgoing`` and the
facade's ``event.bind`` call. The secret is shown once, right after the webhook is made.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kontor.core.errors import KontorError
from kontor.events.models import DeliveryStatus, OutgoingWebhook, WebhookDelivery, WebhookFormat
from kontor.events.names import NATIVE_EVENTS
from kontor.events.services import delivery_resend, webhook_create, webhook_delete, webhook_enable
from kontor.web.views.common import add_service_error, admin_required, paginate, query_without_page

#: Delivery-log page size (the log keeps every delivery; newest first).
LOG_PAGE_SIZE = 50


class WebhookForm(forms.Form):
    """What ``webhook_create`` takes; the service checks the URL (scheme, private addresses) and events."""

    url = forms.CharField(label=gettext_lazy("Receiver URL"), max_length=2000,
                          widget=forms.URLInput(attrs={"placeholder": "https://…", "autocomplete": "off"}))
    events = forms.MultipleChoiceField(label=gettext_lazy("Events"), choices=[(n, n) for n in NATIVE_EVENTS],
                                       widget=forms.CheckboxSelectMultiple)
    secret = forms.CharField(label=gettext_lazy("Secret (optional)"), required=False, max_length=200,
                             help_text=gettext_lazy("Key of the HMAC-SHA256 signature. Left empty, Kontor makes "
                                                    "one (whsec_…)."),
                             widget=forms.TextInput(attrs={"autocomplete": "off"}))


def event_groups(form: WebhookForm) -> list[dict]:
    """The event checkboxes grouped by record kind (``deal.created``, ``deal.updated``, … together)."""
    groups: dict[str, list] = {}
    for box in form["events"]:
        groups.setdefault(box.data["value"].split(".", 1)[0], []).append(box)
    return [{"key": key, "boxes": boxes} for key, boxes in groups.items()]


def _hook(pk: int) -> OutgoingWebhook:
    hook = OutgoingWebhook.objects.filter(pk=pk).first()
    if hook is None:
        raise Http404
    return hook


def _with_counts(qs: QuerySet[OutgoingWebhook]) -> QuerySet[OutgoingWebhook]:
    """The webhooks with how many of their deliveries wait and how many failed (one query)."""
    return qs.annotate(
        pending_count=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.PENDING)),
        failed_count=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.FAILED)))


@admin_required
def outgoing_list(request: HttpRequest) -> HttpResponse:
    """The receivers (native and Bitrix24 ``event.bind``) and the form to register one."""
    form = WebhookForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        try:
            created = webhook_create(actor=request.user, **form.cleaned_data)
        except KontorError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Webhook created."))
            form = WebhookForm()
    hooks = _with_counts(OutgoingWebhook.objects.order_by("-created_at", "-id"))
    return render(request, "web/webhooks_outgoing/list.html", {
        "form": form, "groups": event_groups(form), "hooks": hooks, "created": created,
        "bitrix24": WebhookFormat.BITRIX24})


@admin_required
def outgoing_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Asks first (GET); removes the webhook with its delivery log (POST)."""
    hook = _hook(pk)
    if request.method == "POST":
        webhook_delete(webhook=hook, actor=request.user)
        messages.success(request, _("Webhook deleted."))
        return redirect("web:outgoing_webhook_list")
    return render(request, "web/webhooks_outgoing/delete.html", {"hook": hook})


@admin_required
@require_POST
def outgoing_enable(request: HttpRequest, pk: int) -> HttpResponse:
    webhook_enable(webhook=_hook(pk), actor=request.user)
    messages.success(request, _("Webhook enabled again; waiting deliveries go out now."))
    return redirect("web:outgoing_webhook_list")


@admin_required
def outgoing_deliveries(request: HttpRequest, pk: int) -> HttpResponse:
    """The webhook's delivery log, newest first, optionally one status only."""
    hook = _with_counts(OutgoingWebhook.objects.filter(pk=pk)).first()
    if hook is None:
        raise Http404
    status = request.GET.get("status", "")
    qs = hook.deliveries.order_by("-id")
    if status in DeliveryStatus.values:
        qs = qs.filter(status=status)
    else:
        status = ""
    return render(request, "web/webhooks_outgoing/deliveries.html", {
        "hook": hook, "page": paginate(request, qs, LOG_PAGE_SIZE), "query": query_without_page(request),
        "status": status, "statuses": DeliveryStatus.values, "bitrix24": WebhookFormat.BITRIX24})


@admin_required
@require_POST
def outgoing_resend(request: HttpRequest, pk: int, delivery_id: int) -> HttpResponse:
    delivery = WebhookDelivery.objects.filter(pk=delivery_id, webhook_id=_hook(pk).pk).first()
    if delivery is None:
        raise Http404
    delivery_resend(delivery=delivery, actor=request.user)
    messages.success(request, _("Delivery %(id)s is sent again.") % {"id": delivery.msg_id})
    return redirect("web:outgoing_webhook_deliveries", pk=pk)
