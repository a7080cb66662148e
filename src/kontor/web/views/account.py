"""The user's own account in the web UI: changing the password, choosing the language."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _
from django.views.i18n import set_language

from kontor.accounts.services import user_set_language


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's password change (old password, new one twice, the password validators); the session
    stays logged in, other sessions of the user end (Django rotates the session hash)."""

    template_name = "web/account/password_change.html"
    success_url = reverse_lazy("web:home")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, _("Your password was changed."))
        return response


password_change = PasswordChangeView.as_view()


def language_set(request: HttpRequest) -> HttpResponse:
    """Django's ``set_language`` (cookie and session), and for a logged-in user also remembered on the
    account, so that e-mails to them are written in it."""
    response = set_language(request)
    language = request.POST.get("language", "")
    if request.method == "POST" and request.user.is_authenticated and language in dict(settings.LANGUAGES):
        user_set_language(user=request.user, language=language)  # type: ignore[arg-type]
    return response
