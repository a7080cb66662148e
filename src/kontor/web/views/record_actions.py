"""Deleting records, bulk actions on list selections, and the duplicate warning of the create forms.

Deleting goes through the record services' delete functions (``lead_delete`` …), so events,
timelines and cascades are those of ``DELETE /api/v1/…``. Who may delete: an admin, or the record's
responsible user (``assigned``; an activity's ``responsible``) — ``may_delete``. Bulk actions run in
one transaction, record by record through the same services (events as for single changes).

The duplicate check finds contacts, companies and open leads with one of the typed phones or
e-mails — normalised as the services store them, so "0171 2345678" finds "+49 171 2345678" — or a
company with the same case-folded title (the rules of ``kontor.modes.matching``).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kontor.core.errors import ErrorCode, KontorError
from kontor.core.normalize import normalize_email, normalize_phone, normalize_title
from kontor.crm import access, services
from kontor.crm.enums import CommType, EntityType, Semantic
from kontor.crm.models import Activity, Communication, Company, Contact, Deal, Lead, LeadStatus, Stage
from kontor.web.views.common import error_message, safe_next

#: URL kind → (model, delete service, list view, detail view, singular, plural).
KINDS: dict[str, dict[str, Any]] = {
    "leads": {"model": Lead, "delete": lambda obj, actor: services.lead_delete(lead=obj, actor=actor),
              "list": "web:lead_list", "detail": "web:lead_detail", "entity": EntityType.LEAD,
              "one": gettext_lazy("lead"), "many": gettext_lazy("leads")},
    "deals": {"model": Deal, "delete": lambda obj, actor: services.deal_delete(deal=obj, actor=actor),
              "list": "web:deal_list", "detail": "web:deal_detail", "entity": EntityType.DEAL,
              "one": gettext_lazy("deal"), "many": gettext_lazy("deals")},
    "contacts": {"model": Contact, "delete": lambda obj, actor: services.contact_delete(contact=obj, actor=actor),
                 "list": "web:contact_list", "detail": "web:contact_detail", "entity": EntityType.CONTACT,
                 "one": gettext_lazy("contact"), "many": gettext_lazy("contacts")},
    "companies": {"model": Company, "delete": lambda obj, actor: services.company_delete(company=obj, actor=actor),
                  "list": "web:company_list", "detail": "web:company_detail", "entity": EntityType.COMPANY,
                  "one": gettext_lazy("company"), "many": gettext_lazy("companies")},
    "activities": {"model": Activity,
                   "delete": lambda obj, actor: services.activity_delete(activity=obj, actor=actor),
                   "list": "web:activity_list", "detail": None, "entity": None,
                   "one": gettext_lazy("activity"), "many": gettext_lazy("activities")},
}

#: At most this many records per bulk action (a page of a list is 25).
BULK_LIMIT = 500


def may_delete(user, obj) -> bool:
    """An admin, or the user responsible for the record."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_crm_admin:
        return True
    owner = obj.responsible_id if isinstance(obj, Activity) else getattr(obj, "assigned_id", None)
    return owner is not None and owner == user.pk


def _kind(kind: str) -> dict[str, Any]:
    if kind not in KINDS:
        raise Http404
    return KINDS[kind]


@login_required
def record_delete(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """Asks first (GET), deletes on POST. 403 for users who may not."""
    info = _kind(kind)
    obj = access.scope(info["model"].objects.filter(pk=pk), request.user).first()  # out of the role's scope: 404
    if obj is None:
        raise Http404
    if not may_delete(request.user, obj):
        raise PermissionDenied(_("Only an administrator or the responsible person may delete this."))
    label = str(obj) or f"#{obj.pk}"
    if request.method == "POST":
        try:
            info["delete"](obj, request.user)
        except KontorError as exc:  # the role does not allow deleting it
            messages.error(request, error_message(exc))
            return redirect(safe_next(request, reverse(info["list"])))
        messages.success(request, _("%(name)s was deleted.") % {"name": label})
        return redirect(safe_next(request, reverse(info["list"])))
    cancel = reverse(info["detail"], args=[pk]) if info["detail"] else reverse(info["list"])
    return render(request, "web/records/delete.html", {"label": label, "kind": kind, "one": info["one"],
                                                       "cancel": safe_next(request, cancel), "object": obj})


def _selected(request: HttpRequest, info: dict[str, Any]) -> list[Any]:
    ids = []
    for value in request.POST.getlist("ids"):
        if not value.isdigit():
            raise KontorError(ErrorCode.VALIDATION, _("ids must be record numbers"), field="ids")
        ids.append(int(value))
    if len(ids) > BULK_LIMIT:
        raise KontorError(ErrorCode.VALIDATION, _("Choose at most %(n)s records.") % {"n": BULK_LIMIT}, field="ids")
    return list(access.scope(info["model"].objects.filter(pk__in=ids), request.user).order_by("id"))


@login_required
@require_POST
def bulk_action(request: HttpRequest, kind: str) -> HttpResponse:
    """``action`` = ``assign`` (``assigned_id``), ``stage`` (deals, ``stage_id``), ``status`` (leads,
    ``status_id``) or ``delete`` (asks first: ``confirm=1`` deletes) on the records ``ids``."""
    info = _kind(kind)
    back = safe_next(request, reverse(info["list"]))
    action = request.POST.get("action", "")
    allowed = {"assign", "delete"} | ({"stage"} if kind == "deals" else set()) | (
        {"status"} if kind == "leads" else set())
    if kind == "activities":
        allowed = {"delete"}
    if action not in allowed:
        messages.error(request, _("Unknown action: %(name)s") % {"name": action or "—"})
        return redirect(back)
    try:
        records = _selected(request, info)
    except KontorError as exc:
        messages.error(request, exc.message)
        return redirect(back)
    if not records:
        messages.error(request, _("Select at least one record."))
        return redirect(back)
    if action == "delete":
        if any(not may_delete(request.user, r) for r in records):
            raise PermissionDenied(_("Only an administrator or the responsible person may delete this."))
        if request.POST.get("confirm") != "1":
            return render(request, "web/records/bulk_delete.html", {
                "records": records, "kind": kind, "many": info["many"], "next": back})
    try:
        with transaction.atomic():
            count = _apply(request, kind, action, records)
    except KontorError as exc:
        messages.error(request, error_message(exc))
        return redirect(back)
    done = {"assign": _("%(n)s records were assigned."), "stage": _("%(n)s deals were moved."),
            "status": _("%(n)s leads got the new status."), "delete": _("%(n)s records were deleted.")}
    messages.success(request, done[action] % {"n": count})
    return redirect(back)


def _apply(request: HttpRequest, kind: str, action: str, records: list[Any]) -> int:
    actor = request.user
    if action == "delete":
        for obj in records:
            KINDS[kind]["delete"](obj, actor)
        return len(records)
    if action == "assign":
        user_id = request.POST.get("assigned_id", "")
        if not user_id.isdigit():
            raise KontorError(ErrorCode.VALIDATION, _("Choose the responsible person."), field="assigned_id")
        update = {"leads": lambda o, d: services.lead_update(lead=o, actor=actor, data=d),
                  "deals": lambda o, d: services.deal_update(deal=o, actor=actor, data=d),
                  "contacts": lambda o, d: services.contact_update(contact=o, actor=actor, data=d),
                  "companies": lambda o, d: services.company_update(company=o, actor=actor, data=d)}[kind]
        count = 0
        for obj in records:
            if kind == "leads" and services.leads.lead_is_converted(obj):
                continue  # converted leads are read-only history
            if obj.assigned_id != int(user_id):
                update(obj, {"assigned_id": int(user_id)})
            count += 1
        return count
    if action == "stage":
        stage = Stage.objects.filter(pk=request.POST.get("stage_id") or 0).first() \
            if (request.POST.get("stage_id") or "").isdigit() else None
        if stage is None:
            raise KontorError(ErrorCode.VALIDATION, _("Choose a stage."), field="stage_id")
        for obj in records:
            services.deal_move_stage(deal=obj, stage=stage, actor=actor)
        return len(records)
    status = LeadStatus.objects.filter(pk=request.POST.get("status_id", "")).exclude(
        semantic=Semantic.SUCCESS).first()
    if status is None:
        raise KontorError(ErrorCode.VALIDATION, _("Choose a status."), field="status_id")
    count = 0
    for obj in records:
        if services.leads.lead_is_converted(obj):
            continue
        if obj.status_id != status.pk:
            services.lead_update(lead=obj, actor=actor, data={"status_id": status.pk})
        count += 1
    return count


# --- duplicates ----------------------------------------------------------------------------------


def _values(data, name: str) -> list[str]:
    out = []
    for value in data.getlist(name):
        out += [line.strip() for line in value.replace(";", "\n").replace(",", "\n").splitlines() if line.strip()]
    return out


def find_duplicates(kind: str, data, user: Any = None) -> list[dict[str, Any]]:
    """Records that look like the one being created: ``[{"kind", "id", "label", "url", "reason",
    "link"}]`` (``link``: the form field a match can be linked through, or ""). Only records ``user``
    may read are named (``kontor.crm.access``; ``None``: all)."""
    phones = sorted({p for p in (normalize_phone(v) for v in _values(data, "phones")) if p})
    emails = sorted({e for e in (normalize_email(v) for v in _values(data, "emails")) if e})
    title = normalize_title(data.get("company_title" if kind == "leads" else "title", "")) \
        if kind in ("leads", "companies") else ""
    found: list[dict[str, Any]] = []

    def by_comms(entity_type: EntityType) -> dict[int, str]:
        reasons: dict[int, str] = {}
        comms = Communication.objects.filter(entity_type=entity_type)
        if phones:
            for pk, value in comms.filter(type=CommType.PHONE, normalized__in=phones).values_list(
                    "entity_id", "value")[:50]:
                reasons.setdefault(pk, _("same phone %(value)s") % {"value": value})
        if emails:
            for pk, value in comms.filter(type=CommType.EMAIL, normalized__in=emails).values_list(
                    "entity_id", "value")[:50]:
                reasons.setdefault(pk, _("same e-mail %(value)s") % {"value": value})
        return reasons

    contact_reasons = by_comms(EntityType.CONTACT) if phones or emails else {}
    for contact in access.scope(Contact.objects.filter(pk__in=contact_reasons), user).order_by("id")[:10]:
        found.append({"kind": _("Contact"), "id": contact.pk, "label": str(contact),
                      "url": reverse("web:contact_detail", args=[contact.pk]), "reason": contact_reasons[contact.pk],
                      "link": "contact_id" if kind == "leads" else ""})
    company_reasons = by_comms(EntityType.COMPANY) if phones or emails else {}
    if title:
        for pk in Company.objects.filter(title_normalized=title).values_list("pk", flat=True)[:10]:
            company_reasons.setdefault(pk, _("same company name"))
    for company in access.scope(Company.objects.filter(pk__in=company_reasons), user).order_by("id")[:10]:
        found.append({"kind": _("Company"), "id": company.pk, "label": str(company),
                      "url": reverse("web:company_detail", args=[company.pk]), "reason": company_reasons[company.pk],
                      "link": "company_id" if kind in ("leads", "contacts") else ""})
    if kind == "leads" and (phones or emails):
        lead_reasons = by_comms(EntityType.LEAD)
        open_leads = access.scope(Lead.objects.filter(pk__in=lead_reasons, status__semantic=Semantic.PROCESS),
                                  user).order_by("id")[:10]
        for lead in open_leads:
            found.append({"kind": _("Lead"), "id": lead.pk, "label": str(lead) or f"#{lead.pk}",
                          "url": reverse("web:lead_detail", args=[lead.pk]), "reason": lead_reasons[lead.pk],
                          "link": ""})
    return found


@login_required
def duplicates(request: HttpRequest, kind: str) -> HttpResponse:
    """The live check of a create form (fetched after a phone, e-mail or name input loses focus)."""
    if kind not in ("leads", "contacts", "companies"):
        raise Http404
    return render(request, "web/records/duplicates.html", {"duplicates": find_duplicates(kind, request.GET,
                                                                                         request.user),
                                                           "live": True})


def duplicates_block(request: HttpRequest, kind: str) -> list[dict[str, Any]]:
    """On submit of a create form: the matches unless the user chose "create anyway"."""
    if request.method != "POST" or request.POST.get("create_anyway") == "1":
        return []
    return find_duplicates(kind, request.POST, request.user)


def conversion_matches(lead: Lead, user: Any = None) -> dict[str, list[tuple[int, str]]]:
    """Existing customers a lead's conversion can link, found by the switch's matching rules: the
    contacts with one of its phones or e-mails, the companies with its company name (or one of its
    phones or e-mails)."""
    from kontor.modes.matching import normalized_comms

    phones, emails = normalized_comms(entity_type=EntityType.LEAD, entity_id=lead.pk)
    data = _Values({"phones": phones, "emails": emails, "company_title": [lead.company_title or ""]})
    found = find_duplicates("leads", data, user)
    return {"contact": [(d["id"], f'{d["label"]} ({d["reason"]})') for d in found if d["link"] == "contact_id"][:3],
            "company": [(d["id"], f'{d["label"]} ({d["reason"]})') for d in found if d["link"] == "company_id"][:3]}


class _Values(dict):
    """A ``QueryDict``-like mapping of lists (``getlist``/``get``) for ``find_duplicates``."""

    def getlist(self, key: str) -> list[str]:
        return list(super().get(key, []))

    def get(self, key: str, default: Any = "") -> Any:  # type: ignore[override]
        values = super().get(key) or []
        return values[-1] if values else default
