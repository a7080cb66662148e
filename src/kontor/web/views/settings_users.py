"""Settings "Benutzer" / "Users" (admins) and everyone's own language.

An admin invites a colleague (user name, name, e-mail, role): the account is created without a
usable password through ``kontor.accounts.services.user_create`` — the service the API uses — and the
admin gets a one-time link (Django's password reset token) to hand over; it is also mailed when the
user has an e-mail address and mail is set up. The colleague sets a password there and logs in.
Roles change and accounts are deactivated through the same services as ``PATCH /api/v1/users``.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.mail import send_mail
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kontor.accounts.models import Role, User
from kontor.accounts.roles import user_set_access
from kontor.accounts.services import (
    user_create,
    user_password_token,
    user_set_active,
    user_set_language,
    user_set_role,
)
from kontor.core.errors import KontorError
from kontor.core.normalize import normalize_email
from kontor.web import settings_forms as sf
from kontor.web.views.common import add_service_error, admin_required, error_message


def _user(pk: int) -> User:
    user = get_user_model().objects.filter(pk=pk).first()
    if user is None:
        raise Http404
    return user


def _set_password_url(request: HttpRequest, user: User) -> str:
    uidb64, token = user_password_token(user)
    return request.build_absolute_uri(reverse("web:set_password", args=[uidb64, token]))


def _send_link(request: HttpRequest, user: User, link: str) -> bool:
    """Mail the link when the user has an address; the page shows it in any case. Mail that cannot
    be sent (no mail server set up) is not an error here: the admin hands the link over."""
    if not user.email:
        return False
    subject = _("Your Kontor account")
    body = _("Hello %(name)s,\n\nan account was created for you in Kontor (user name: %(username)s).\n"
             "Set your password here (the link works once):\n\n%(link)s\n") % {
        "name": user.display_name, "username": user.username, "link": link}
    return bool(send_mail(subject, body, None, [user.email], fail_silently=True))


@admin_required
def user_list(request: HttpRequest) -> HttpResponse:
    users = get_user_model().objects.order_by("-is_active", "username")
    return render(request, "web/settings/users.html", {"users": users, "roles": dict(Role.choices)})


@admin_required
def user_new(request: HttpRequest) -> HttpResponse:
    form = sf.UserInviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        email = normalize_email(d["email"]) if d["email"] else ""
        try:
            user = user_create(username=d["username"], role=d["role"], email=email or "",
                               first_name=d["first_name"].strip(), last_name=d["last_name"].strip())
        except KontorError as exc:
            add_service_error(form, exc)
        else:
            link = _set_password_url(request, user)
            mailed = _send_link(request, user, link)
            return render(request, "web/settings/user_link.html", {"target": user, "link": link, "mailed": mailed,
                                                                   "created": True})
    return render(request, "web/settings/user_form.html", {"form": form, "title": _("Invite a user")})


@admin_required
def user_edit(request: HttpRequest, pk: int) -> HttpResponse:
    target = _user(pk)
    form = sf.UserRoleForm(request.POST or None, initial={"role": target.role, "access_role": target.access_role_id,
                                                          "department": target.department_id})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            with transaction.atomic():
                user_set_role(actor=request.user, user=target, role=d["role"])
                user_set_access(actor=request.user, user=target,
                                access_role_id=d["access_role"].pk if d["access_role"] else None,
                                department_id=d["department"].pk if d["department"] else None)
        except KontorError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("web:user_list")
    return render(request, "web/settings/user_edit.html", {"form": form, "target": target,
                                                          "has_password": target.has_usable_password()})


@admin_required
@require_POST
def user_active(request: HttpRequest, pk: int) -> HttpResponse:
    target = _user(pk)
    active = request.POST.get("active") == "1"
    try:
        user_set_active(actor=request.user, user=target, active=active)
    except KontorError as exc:
        messages.error(request, error_message(exc) if exc.field != "is_active" else _("You cannot deactivate "
                                                                                       "yourself."))
    else:
        messages.success(request, (_("%(name)s can log in again.") if active else
                                   _("%(name)s can no longer log in.")) % {"name": target.display_name})
    return redirect("web:user_list")


@admin_required
@require_POST
def user_link(request: HttpRequest, pk: int) -> HttpResponse:
    """A new one-time password link (a forgotten password, or an invitation that expired)."""
    target = _user(pk)
    link = _set_password_url(request, target)
    mailed = _send_link(request, target, link)
    return render(request, "web/settings/user_link.html", {"target": target, "link": link, "mailed": mailed,
                                                           "created": False})


class SetPasswordView(auth_views.PasswordResetConfirmView):
    """The invitation link: Django's reset confirmation (token checked, password validators); the
    link stops working once the password is set."""

    template_name = "web/account/set_password.html"
    success_url = reverse_lazy("web:login")
    post_reset_login = False

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, gettext_lazy("Your password is set. You can log in now."))
        return response


set_password = SetPasswordView.as_view()


def _language_cookie(request: HttpRequest, response: HttpResponse, language: str) -> None:
    response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, max_age=365 * 24 * 3600, samesite="Lax",
                        secure=request.is_secure())


@login_required
def account_language(request: HttpRequest) -> HttpResponse:
    """Everyone's own language: remembered on the account (``user_set_language``: e-mails, and the
    next login on any device) and in the language cookie (this browser, at once)."""
    current = request.user.language or translation.get_language() or settings.LANGUAGE_CODE
    form = sf.LanguageForm(request.POST or None, initial={"language": current[:2]})
    if request.method == "POST" and form.is_valid():
        language = form.cleaned_data["language"]
        user_set_language(user=request.user, language=language)
        translation.activate(language)
        messages.success(request, _("Language saved."))
        response = redirect("web:account_language")
        _language_cookie(request, response, language)
        return response
    return render(request, "web/settings/language.html", {"form": form})


class LoginView(auth_views.LoginView):
    """Django's login; afterwards the user's own language (``User.language``) applies, on any device."""

    template_name = "web/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        language = getattr(form.get_user(), "language", "")
        if language in dict(settings.LANGUAGES):
            _language_cookie(self.request, response, language)
        return response


login = LoginView.as_view()

