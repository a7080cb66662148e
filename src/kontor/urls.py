"""Top-level URL map: native API, Bitrix24 facade, web UI, Django admin."""

from django.contrib import admin
from django.urls import include, path, re_path

from kontor.api.api import api
from kontor.core.health import healthz

urlpatterns = [
    path("api/", api.urls),
    # "/rest" itself too: the facade answers JSON and never redirects (no APPEND_SLASH 301).
    re_path(r"^rest(?:/|$)", include("kontor.bitrix.urls")),
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("", include("kontor.web.urls")),
]

# Under /api/ every error is the native API's JSON (kontor.core.errorviews); under /rest/ a rejected
# Host or a crash outside the facade view still answers Bitrix24's JSON (kontor.bitrix.views, to
# which kontor.core.errorviews hands those); elsewhere Django's pages. A database that refuses
# writes answers 503 everywhere.
handler400 = "kontor.core.errorviews.bad_request"
handler404 = "kontor.core.errorviews.page_not_found"
handler500 = "kontor.core.errorviews.server_error"
