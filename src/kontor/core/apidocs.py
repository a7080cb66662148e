"""``/api/docs``: Swagger UI from Kontor's own static build (npm's swagger-ui-dist), behind login.

django-ninja's default page loads Swagger UI from a CDN with an inline script; both are refused by
the Content-Security-Policy, and a CDN is a third party every API reader's browser would trust. The
page here loads the bundle from ``static/vendor/`` and starts it from a static script.
"""

from __future__ import annotations

import json
from functools import wraps

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from ninja.openapi.docs import Swagger


class StaticSwagger(Swagger):
    """Swagger UI rendered by ``core/swagger.html`` with the settings as a JSON data island."""

    def render_page(self, request: HttpRequest, api, **kwargs) -> HttpResponse:
        self.settings["url"] = self.get_openapi_url(api, kwargs)
        return render(request, "core/swagger.html", {"api": api, "swagger_settings": json.dumps(self.settings)})


def docs_login_required(view):
    """The docs page needs a logged-in user unless ``KONTOR_PUBLIC_API_DOCS`` is set.

    The OpenAPI schema itself (``/api/openapi.json``) stays public: it is the same for every
    installation and describes no data; clients and generators fetch it without a session.
    """

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs):
        public = getattr(settings, "KONTOR_PUBLIC_API_DOCS", False)
        if not public and request.path.endswith("/docs") and not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapped
