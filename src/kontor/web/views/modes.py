"""The CRM-mode wizard (gear menu → "CRM-Modus") and the simple-mode settings page.

Switching to classic is one click. Switching to simple with leads in progress asks the seed's
questions (target pipeline, contacts/companies, keep open activities), starts the switch and shows
its progress, which the page polls through htmx until the switch is done.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kontor.core.errors import KontorError
from kontor.crm.enums import CrmMode, Semantic
from kontor.crm.models import CrmSettings, Lead
from kontor.web import forms
from kontor.web.views.common import add_service_error, admin_required, error_message


def _active_switch():
    from kontor.modes.services import active_switch

    return active_switch()


def _leads_in_progress() -> int:
    return Lead.objects.filter(status__semantic=Semantic.PROCESS).count()


@admin_required
def crm_mode(request: HttpRequest) -> HttpResponse:
    """Explains both modes; offers the switch to the other one."""
    active = _active_switch()
    if active is not None:
        return redirect("web:crm_mode_progress", active.pk)
    settings = CrmSettings.load()
    form = forms.SwitchToSimpleForm(initial={"create_contacts": True, "create_companies": True,
                                             "keep_open_activities": True})
    return render(request, "web/modes/wizard.html", {
        "mode": settings.mode, "form": form, "leads_in_progress": _leads_in_progress(),
        "CLASSIC": CrmMode.CLASSIC, "SIMPLE": CrmMode.SIMPLE,
    })


def _wizard(request: HttpRequest, form, status: int = 200) -> HttpResponse:
    return render(request, "web/modes/wizard.html", {
        "mode": CrmSettings.load().mode, "form": form, "leads_in_progress": _leads_in_progress(),
        "CLASSIC": CrmMode.CLASSIC, "SIMPLE": CrmMode.SIMPLE,
    }, status=status)


@admin_required
@require_POST
def crm_mode_preview(request: HttpRequest) -> HttpResponse:
    """Classic → simple with leads in progress: what the switch will do, counted before anything
    changes (``kontor.modes.selectors.switch_preview``), and the button that starts it."""
    from kontor.crm.enums import DEFAULT_STAGES
    from kontor.crm.models import Pipeline
    from kontor.modes.selectors import switch_preview

    form = forms.SwitchToSimpleForm(request.POST)
    if not form.is_valid():
        return _wizard(request, form, status=422)
    d = form.cleaned_data
    if d["pipeline"] == forms.SwitchToSimpleForm.PIPELINE_NEW:
        pipeline_name = d["new_pipeline_name"].strip()
        stage = DEFAULT_STAGES[0][1 if translation.get_language() == "de" else 2]
    else:
        pipeline = Pipeline.objects.filter(pk=int(d["pipeline"])).first()
        if pipeline is None:
            form.add_error("pipeline", _("The record does not exist."))
            return _wizard(request, form, status=422)
        pipeline_name = pipeline.name
        first = pipeline.stages.filter(semantic=Semantic.PROCESS).order_by("sort", "id").first()
        stage = first.name if first else "—"
    preview = switch_preview(create_contacts=d["create_contacts"], create_companies=d["create_companies"],
                             keep_open_activities=d["keep_open_activities"])
    carry = [("pipeline", d["pipeline"]), ("new_pipeline_name", d["new_pipeline_name"])]
    carry += [(name, "on") for name in ("create_contacts", "create_companies", "keep_open_activities") if d[name]]
    return render(request, "web/modes/preview.html", {"preview": preview, "pipeline": pipeline_name, "stage": stage,
                                                      "carry": carry, "SIMPLE": CrmMode.SIMPLE})


@admin_required
@require_POST
def crm_mode_switch(request: HttpRequest) -> HttpResponse:
    from kontor.modes.services import crm_mode_switch as switch

    target = request.POST.get("mode")
    if target not in CrmMode.values:
        messages.error(request, _("Choose a CRM mode."))
        return redirect("web:crm_mode")
    kwargs: dict = {"actor": request.user, "mode": target}
    form = None
    if target == CrmMode.SIMPLE and _leads_in_progress():
        if request.POST.get("confirmed") != "1":  # the conversion starts only after the preview
            return crm_mode_preview(request)
        form = forms.SwitchToSimpleForm(request.POST)
        if not form.is_valid():
            return render(request, "web/modes/wizard.html", {
                "mode": CrmSettings.load().mode, "form": form, "leads_in_progress": _leads_in_progress(),
                "CLASSIC": CrmMode.CLASSIC, "SIMPLE": CrmMode.SIMPLE,
            }, status=422)
        d = form.cleaned_data
        if d["pipeline"] == forms.SwitchToSimpleForm.PIPELINE_NEW:
            kwargs["new_pipeline_name"] = d["new_pipeline_name"].strip()
        else:
            kwargs["pipeline_id"] = int(d["pipeline"])
        kwargs.update(create_contacts=d["create_contacts"], create_companies=d["create_companies"],
                      keep_open_activities=d["keep_open_activities"])
    try:
        result = switch(**kwargs)
    except KontorError as exc:
        if form is None:
            messages.error(request, error_message(exc))
            return redirect("web:crm_mode")
        add_service_error(form, exc)
        return render(request, "web/modes/wizard.html", {
            "mode": CrmSettings.load().mode, "form": form, "leads_in_progress": _leads_in_progress(),
            "CLASSIC": CrmMode.CLASSIC, "SIMPLE": CrmMode.SIMPLE,
        }, status=422)
    if result.status == "done" and not result.total:
        if target == CrmMode.CLASSIC:
            messages.success(request, _("Classic CRM is on: inquiries now become leads."))
            return redirect("web:lead_list")
        messages.success(request, _("Simple CRM is on: inquiries now become deals and contacts."))
        return redirect("web:deal_list")
    return redirect("web:crm_mode_progress", result.pk)


def _switch(pk: int):
    from kontor.modes.models import ModeSwitch

    switch = ModeSwitch.objects.filter(pk=pk).first()
    if switch is None:
        raise Http404
    return switch


def _progress_context(switch) -> dict:
    total = switch.total or 0
    processed = (switch.converted or 0) + (switch.failed or 0)
    percent = 100 if switch.status == "done" else (int(processed * 100 / total) if total else 0)
    return {"switch": switch, "percent": min(percent, 100), "processed": processed,
            "finished": switch.status in ("done", "failed"), "errors": (switch.errors or [])[:50]}


@admin_required
def crm_mode_progress(request: HttpRequest, pk: int) -> HttpResponse:
    switch = _switch(pk)
    template = "web/modes/progress_panel.html" if request.htmx else "web/modes/progress.html"
    return render(request, template, _progress_context(switch))


@admin_required
def simple_settings(request: HttpRequest) -> HttpResponse:
    settings = CrmSettings.load()
    initial = {"pipeline_id": str(settings.simple_pipeline_id or ""), "create_company": settings.create_company,
               "match_existing_customers": settings.match_existing_customers}
    if not settings.simple_pipeline_id:
        from kontor.crm.models import Pipeline

        default = Pipeline.objects.filter(is_default=True).first()
        initial["pipeline_id"] = str(default.pk) if default else ""
    form = forms.SimpleSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        from kontor.modes.services import simple_settings_update

        d = form.cleaned_data
        try:
            simple_settings_update(actor=request.user, pipeline_id=int(d["pipeline_id"]),
                                   create_company=d["create_company"],
                                   match_existing_customers=d["match_existing_customers"])
        except KontorError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Settings saved."))
            return redirect("web:simple_settings")
    return render(request, "web/modes/simple_settings.html", {"form": form, "mode": settings.mode})
