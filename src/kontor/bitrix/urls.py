"""Everything under ``/rest/`` goes to the facade view, so no path ever redirects or answers HTML."""

from django.urls import re_path

from kontor.bitrix import views

app_name = "bitrix"

urlpatterns = [
    re_path(r"^(?P<path>.*)$", views.rest, name="rest"),
]
