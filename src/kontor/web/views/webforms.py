"""Public inquiry forms (``/forms/<slug>/``) and their settings pages.

A submission is an inquiry ("Anfrage") handed to ``inquiry_accept``: a lead in classic mode, a deal
with a contact in simple mode. The form is meant to be embedded in a company's website through an
iframe, where the CRM's cookies are third-party and browsers do not send them. So instead of
Django's cookie-bound CSRF token the form carries a signed, expiring token bound to the form (a
POST without a valid one is refused with 403), and a honeypot field that people never see.

Against floods: each rendered token carries a random nonce and is spent by the submission it
carries (a second POST with it is refused like an expired one), and submissions are rate-limited
per address and per form (``KONTOR_WEBFORM_RATE_PER_IP`` / ``_PER_FORM``, counted in the database,
so all workers share them); over the limit the visitor gets 429 and the form again.
"""

from __future__ import annotations

import secrets

from csp.decorators import csp_replace
from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.html import escape
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt

from kontor.core.errors import KontorError
from kontor.core.throttle import Rate, client_ip, hit
from kontor.web import forms
from kontor.web.models import WebForm
from kontor.web.views.common import admin_required, error_message

TOKEN_SALT = "kontor.web.webform"
#: How long a rendered form may be submitted (seconds).
TOKEN_MAX_AGE = 24 * 3600


def form_token(webform: WebForm) -> str:
    """A signed token for one submission of ``webform``: the form, its address and a fresh nonce."""
    return signing.TimestampSigner(salt=TOKEN_SALT).sign(f"{webform.pk}:{webform.slug}:{secrets.token_urlsafe(12)}")


def token_nonce(webform: WebForm, token: str) -> str | None:
    """The nonce of a valid, unexpired token for ``webform``; None for anything else."""
    try:
        value = signing.TimestampSigner(salt=TOKEN_SALT).unsign(token or "", max_age=TOKEN_MAX_AGE)
    except signing.BadSignature:
        return None
    form_key, _, nonce = value.rpartition(":")
    return nonce if form_key == f"{webform.pk}:{webform.slug}" and nonce else None


def token_valid(webform: WebForm, token: str) -> bool:
    return token_nonce(webform, token) is not None


def token_spend(webform: WebForm, nonce: str) -> bool:
    """Mark a token used; False when it was used before (the count lives as long as the token)."""
    return hit(f"webform-token:{webform.pk}:{nonce}", Rate(1, TOKEN_MAX_AGE)).allowed


def over_limit(request: HttpRequest, webform: WebForm) -> int:
    """Seconds to wait when this submission is over a rate limit, else 0 (each call counts)."""
    for key, rate in ((f"webform:{webform.pk}:ip:{client_ip(request)}", settings.KONTOR_WEBFORM_RATE_PER_IP),
                      (f"webform:{webform.pk}", settings.KONTOR_WEBFORM_RATE_PER_FORM)):
        verdict = hit(key, Rate.parse(rate))
        if not verdict.allowed:
            return verdict.retry_after
    return 0


def inquiry_data(d: dict, webform: WebForm | None = None) -> dict:
    """The inquiry service's wire names from what the visitor typed; a consent given is recorded
    in the inquiry's source description (when, and which privacy policy)."""
    parts = d["name"].strip().rsplit(" ", 1)
    name, last_name = (parts[0], parts[1]) if len(parts) == 2 else (parts[0], "")
    data = {
        "name": name,
        "last_name": last_name,
        "phones": [d["phone"]] if d.get("phone") else [],
        "emails": [d["email"]] if d.get("email") else [],
        "company_title": d.get("company") or "",
        "comments": d.get("message") or "",
        "source": "WEBFORM",
    }
    if d.get("consent") and webform is not None:
        from django.conf import settings as conf
        from django.utils import timezone, translation

        with translation.override(conf.LANGUAGE_CODE):  # read by the CRM's users, not the visitor
            data["source_description"] = _("Consent given in the form “%(form)s” on %(time)s (privacy policy: "
                                           "%(url)s)") % {"form": webform.name, "url": webform.privacy_url,
                                                          "time": timezone.localtime().strftime("%Y-%m-%d %H:%M")}
    return data


@csrf_exempt  # protected by the signed form token instead; see the module docstring
@xframe_options_exempt
@csp_replace({"frame-ancestors": None})  # embedded in other sites' pages (the policy's other rules stay)
def public_form(request: HttpRequest, slug: str) -> HttpResponse:
    webform = WebForm.objects.filter(slug=slug, is_active=True).first()
    if webform is None:
        raise Http404
    embed = request.GET.get("embed") == "1" or request.POST.get("embed") == "1"
    context = {"webform": webform, "embed": embed}
    if request.method == "POST":
        form = forms.PublicInquiryForm(request.POST, webform=webform)
        wait = over_limit(request, webform)
        if wait:
            form.data = form.data.copy()
            form.data["token"] = form_token(webform)
            context.update(form=form, rate_limited=True)
            response = render(request, "web/public/form.html", context, status=429)
            response["Retry-After"] = str(wait)
            return response
        nonce = token_nonce(webform, request.POST.get("token", ""))
        if nonce is None or not token_spend(webform, nonce):
            context.update(form=forms.PublicInquiryForm(initial={"token": form_token(webform)}, webform=webform),
                           expired=True)
            return render(request, "web/public/form.html", context, status=403)
        if request.POST.get("website"):
            # A bot filled the hidden field: answer as if all went well, keep nothing.
            return render(request, "web/public/thanks.html", context)
        if form.is_valid():
            from kontor.web.services import webform_submit

            try:
                webform_submit(webform=webform, data=inquiry_data(form.cleaned_data, webform))
            except KontorError as exc:
                field = {"phones": "phone", "emails": "email", "company_title": "company"}.get(exc.field or "")
                form.add_error(field if field in form.fields else None, error_message(exc))
            else:
                return render(request, "web/public/thanks.html", context)
        form.data = form.data.copy()
        form.data["token"] = form_token(webform)
        context["form"] = form
        return render(request, "web/public/form.html", context, status=422)
    context["form"] = forms.PublicInquiryForm(initial={"token": form_token(webform)}, webform=webform)
    return render(request, "web/public/form.html", context)


#: Settings stored as they are on the form (responsible person and round-robin users are references).
SETTINGS_FIELDS = ("name", "slug", "heading", "success_message", "is_active", "ask_company", "consent_required",
                   "privacy_url")


def _apply_settings(webform: WebForm, d: dict) -> None:
    """Store the settings form's values on ``webform`` (saved, with its round-robin users)."""
    for key in SETTINGS_FIELDS:
        setattr(webform, key, d[key])
    webform.responsible_id = int(d["responsible"]) if d.get("responsible") else None
    webform.save()
    webform.round_robin_users.set([int(pk) for pk in d.get("round_robin_users") or []])


@admin_required
def webform_list(request: HttpRequest) -> HttpResponse:
    form = forms.WebFormSettingsForm(request.POST or None, initial={"is_active": True})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        if WebForm.objects.filter(slug=d["slug"]).exists():
            form.add_error("slug", _("Another form already uses this address."))
        else:
            webform = WebForm(created_by=request.user)
            _apply_settings(webform, d)
            messages.success(request, _("Form created."))
            return redirect("web:webform_detail", webform.pk)
    if not form.is_bound:
        n = WebForm.objects.count() + 1
        form.initial.update(name=_("Contact form"), slug=slugify(f"contact-{n}") if n > 1 else "contact",
                            responsible=str(request.user.pk), ask_company=True)
    return render(request, "web/webforms/list.html", {"webforms": WebForm.objects.all(), "form": form})


@admin_required
def webform_detail(request: HttpRequest, pk: int) -> HttpResponse:
    webform = WebForm.objects.filter(pk=pk).first()
    if webform is None:
        raise Http404
    initial = {k: getattr(webform, k) for k in SETTINGS_FIELDS}
    initial.update(responsible=str(webform.responsible_id or ""),
                   round_robin_users=[str(pk) for pk in webform.round_robin_users.values_list("pk", flat=True)])
    form = forms.WebFormSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        if WebForm.objects.filter(slug=d["slug"]).exclude(pk=pk).exists():
            form.add_error("slug", _("Another form already uses this address."))
        else:
            _apply_settings(webform, d)
            messages.success(request, _("Changes saved."))
            return redirect("web:webform_detail", pk)
    url = request.build_absolute_uri(f"/forms/{webform.slug}/")
    snippet = (f'<iframe src="{url}?embed=1" title="{escape(webform.heading or webform.name)}" '
               f'style="width:100%;max-width:40rem;height:42rem;border:0" loading="lazy"></iframe>')
    return render(request, "web/webforms/detail.html", {"webform": webform, "form": form, "url": url,
                                                        "snippet": snippet})
