"""Helpers every web view uses: the CRM mode, permission checks, paging, service errors on forms."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from kontor.core.errors import ErrorCode, KontorError
from kontor.crm.enums import CrmMode, EntityType
from kontor.crm.models import CrmSettings

PAGE_SIZE = 25

#: Service field names that a form shows under another input.
FIELD_ALIASES = {"pipeline_id": "stage_id", "status": "status_id", "contact_ids": "contact_id"}


def crm_mode() -> str:
    return CrmSettings.load().mode


def is_classic() -> bool:
    return crm_mode() == CrmMode.CLASSIC


def admin_required(view: Callable) -> Callable:
    """Logged in (else the login page) and a CRM admin (else 403)."""

    @wraps(view)
    @login_required
    def wrapper(request: HttpRequest, *args, **kwargs):
        if not request.user.is_crm_admin:
            raise PermissionDenied(_("Only administrators may change CRM settings."))
        return view(request, *args, **kwargs)

    return wrapper


def error_message(exc: KontorError) -> str:
    """A translated message for codes users meet often; the service's own text otherwise."""
    messages = {
        ErrorCode.INVALID_PHONE: _("Enter a valid phone number."),
        ErrorCode.INVALID_EMAIL: _("Enter a valid e-mail address."),
        ErrorCode.READ_ONLY: _("This record can no longer be changed."),
        ErrorCode.ALREADY_CONVERTED: _("This lead has already been converted."),
        ErrorCode.SWITCH_IN_PROGRESS: _("A CRM mode switch is already running."),
        ErrorCode.WRONG_MODE: _("This is not available in the current CRM mode."),
        ErrorCode.NOT_FOUND: _("The record does not exist."),
        ErrorCode.PERMISSION_DENIED: _("Your role does not allow this."),
    }
    return messages.get(exc.code, exc.message)


def add_service_error(form, exc: KontorError) -> None:
    """Show a service's error next to the field it names (or above the form)."""
    field = FIELD_ALIASES.get(exc.field or "", exc.field)
    if field and field in form.fields:
        form.add_error(field, error_message(exc))
    else:
        form.add_error(None, error_message(exc))


def paginate(request: HttpRequest, qs, per_page: int = PAGE_SIZE):
    paginator = Paginator(qs, per_page)
    return paginator.get_page(request.GET.get("page"))


def query_without_page(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return fallback


RECORD_URLS = {
    EntityType.LEAD: "web:lead_detail",
    EntityType.DEAL: "web:deal_detail",
    EntityType.CONTACT: "web:contact_detail",
    EntityType.COMPANY: "web:company_detail",
}


def record_url(entity_type: int, pk: int) -> str:
    return reverse(RECORD_URLS[EntityType(entity_type)], args=[pk])


def clean_filters(request: HttpRequest, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: request.GET.get(name, "").strip() for name in names if request.GET.get(name, "").strip()}
