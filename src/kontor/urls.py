"""Top-level URL map: native API, Bitrix24 facade, web UI, Django admin."""

from django.contrib import admin
from django.urls import include, path, re_path

from kontor.api.api import api

urlpatterns = [
    path("api/", api.urls),
    # "/rest" itself too: the facade answers JSON and never redirects (no APPEND_SLASH 301).
    re_path(r"^rest(?:/|$)", include("kontor.bitrix.urls")),
    path("admin/", admin.site.urls),
    path("", include("kontor.web.urls")),
]

# Under /rest/ a rejected Host or a crash outside the facade view still answers Bitrix24's JSON;
# elsewhere these delegate to Django's defaults.
handler400 = "kontor.bitrix.views.bad_request"
handler500 = "kontor.bitrix.views.server_error"
