"""Settings page "Benutzerdefinierte Felder" / "Custom fields": an admin defines, changes and
deletes the custom fields of leads, deals, contacts and companies through
``kontor.crm.services.custom_fields``, as the API and the facade do."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from kontor.core.errors import KontorError
from kontor.crm.enums import EntityType
from kontor.crm.fields import custom_spec
from kontor.crm.models import RECORD_MODELS, CustomField
from kontor.crm.services.custom_fields import custom_field_create, custom_field_delete, custom_field_update
from kontor.web import forms
from kontor.web.views.common import add_service_error, admin_required

#: Service field names shown under another input of the settings form.
ALIASES = {"settings": "link_entity", "entity_type": "entity", "items": "items"}


def _field(pk: int) -> CustomField:
    field = CustomField.objects.filter(pk=pk).first()
    if field is None:
        raise Http404
    return field


def _service_error(form: forms.CustomFieldForm, exc: KontorError) -> None:
    name = ALIASES.get(exc.field or "", exc.field)
    if name == "items" and "items" not in form.fields:
        name = "new_items" if "new_items" in form.fields else None
    exc.field = name
    add_service_error(form, exc)


@admin_required
def custom_field_list(request: HttpRequest) -> HttpResponse:
    rows = list(CustomField.objects.prefetch_related("items").order_by("entity_type", "sort", "id"))
    for row in rows:
        row.shown_label = custom_spec(row).label  # German or English by the active language
    kinds = []
    for key, label in forms.RECORD_KINDS:
        entity = EntityType.from_name(key)
        kinds.append({"key": key, "label": label,
                      "fields": [f for f in rows if f.entity_type == entity]})
    return render(request, "web/settings/custom_fields.html", {"kinds": kinds,
                                                               "type_labels": forms.CUSTOM_TYPE_LABELS})


@admin_required
def custom_field_new(request: HttpRequest) -> HttpResponse:
    entity = request.GET.get("entity", "deal")
    form = forms.CustomFieldForm(request.POST or None,
                                 initial={"entity": entity if entity in dict(forms.RECORD_KINDS) else "deal"})
    if request.method == "POST" and form.is_valid():
        try:
            field = custom_field_create(actor=request.user, **form.create_kwargs())
        except KontorError as exc:
            _service_error(form, exc)
        else:
            messages.success(request, _("Custom field %(code)s created.") % {"code": field.code})
            return redirect(f"{_list_url()}#fields-{form.cleaned_data['entity']}")
    return render(request, "web/settings/custom_field_form.html", {"form": form, "title": _("New custom field")})


@admin_required
def custom_field_edit(request: HttpRequest, pk: int) -> HttpResponse:
    field = _field(pk)
    form = forms.CustomFieldForm(request.POST or None, field=field)
    if request.method == "POST" and form.is_valid():
        try:
            custom_field_update(field=field, actor=request.user, data=form.update_data())
        except KontorError as exc:
            _service_error(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect(f"{_list_url()}#fields-{EntityType(field.entity_type).name.lower()}")
    return render(request, "web/settings/custom_field_form.html", {
        "form": form, "field": field, "title": _("Edit custom field %(code)s") % {"code": field.code},
        "entity_label": dict(forms.RECORD_KINDS)[EntityType(field.entity_type).name.lower()],
        "type_label": forms.CUSTOM_TYPE_LABELS.get(field.type, field.type)})


@admin_required
def custom_field_remove(request: HttpRequest, pk: int) -> HttpResponse:
    """Asks first (GET); deletes with every stored value on POST."""
    field = _field(pk)
    entity = EntityType(field.entity_type)
    if request.method == "POST":
        custom_field_delete(field=field, actor=request.user)
        messages.success(request, _("Custom field %(code)s deleted.") % {"code": field.code})
        return redirect(f"{_list_url()}#fields-{entity.name.lower()}")
    used = RECORD_MODELS[entity].objects.filter(uf__has_key=field.key).count()
    return render(request, "web/settings/custom_field_delete.html", {"field": field, "used": used})


def _list_url() -> str:
    return reverse("web:custom_field_list")
