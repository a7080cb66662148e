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
