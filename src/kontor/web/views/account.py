"""The user's own account in the web UI: changing the password."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _


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
