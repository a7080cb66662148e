"""``/api/v1/custom-fields``: custom fields ("Benutzerdefinierte Felder", ``UF_CRM_*``) of leads, deals,
contacts and companies. Admins only: a definition changes what every user's records hold.

Values are written and read on the records themselves as flat ``uf_crm_<name>`` keys and filtered
with ``?uf_crm_<name>=``; the services in ``kontor.crm.services.custom_fields`` do the work.
"""

from __future__ import annotations

from typing import Any

from ninja import Query, Router, Status

from kontor.api.auth import current_user, require_admin
from kontor.api.schemas import (
    CustomFieldFilters,
    CustomFieldIn,
    CustomFieldOut,
    CustomFieldUpdateIn,
    Id,
    errors,
    no_query,
)
from kontor.core.errors import not_found
from kontor.crm.enums import EntityType
from kontor.crm.models import CustomField
from kontor.crm.services.custom_fields import custom_field_create, custom_field_delete, custom_field_update

router = Router()


def custom_field_out(field: CustomField) -> dict[str, Any]:
    return {
        "id": field.pk, "entity": EntityType(field.entity_type).name.lower(), "code": field.code, "key": field.key,
        "type": field.type, "label_de": field.label_de, "label_en": field.label_en, "multiple": field.multiple,
        "mandatory": field.mandatory, "sort": field.sort, "show_in_list": field.show_in_list,
        "show_filter": field.show_filter, "settings": field.settings or {}, "xml_id": field.xml_id,
        "items": [{"id": i.pk, "value": i.value, "sort": i.sort, "is_default": i.is_default, "xml_id": i.xml_id}
                  for i in field.items.all()],
        "created_at": field.created_at,
    }


def _field(pk: int) -> CustomField:
    field = CustomField.objects.filter(pk=pk).prefetch_related("items").first()
    if field is None:
        raise not_found("Custom field", pk)
    return field


def _data(payload: CustomFieldUpdateIn) -> dict[str, Any]:
    # Only what the client sent (items too: an item's unsent keys keep their values).
    return payload.model_dump(exclude_unset=True)


@router.get("", response={200: list[CustomFieldOut], **errors(401, 403, 422)},
            summary="List custom fields (admin), optionally of one record kind (?entity=deal)")
def list_custom_fields(request, params: Query[CustomFieldFilters]):
    require_admin(request)
    no_query(request, "entity")
    qs = CustomField.objects.prefetch_related("items").order_by("entity_type", "sort", "id")
    if params.entity:
        qs = qs.filter(entity_type=EntityType.from_name(params.entity))
    return [custom_field_out(f) for f in qs]


@router.post("", response={201: CustomFieldOut, **errors(400, 401, 403, 409, 422)},
             summary="Define a custom field (admin); 409 when the code exists on that record kind")
def create_custom_field(request, payload: CustomFieldIn):
    require_admin(request)
    data = _data(payload)
    entity = EntityType.from_name(data.pop("entity"))
    field = custom_field_create(actor=current_user(request), entity_type=entity, **data)
    return Status(201, custom_field_out(_field(field.pk)))


@router.get("/{field_id}", response={200: CustomFieldOut, **errors(401, 403, 404, 422)},
            summary="Read a custom field (admin)")
def get_custom_field(request, field_id: Id):
    require_admin(request)
    return custom_field_out(_field(field_id))


@router.patch("/{field_id}", response={200: CustomFieldOut, **errors(400, 401, 403, 404, 422)},
              summary="Change a custom field's labels, flags, sort, settings or items (admin); code, type and "
                      "multiple stay")
def update_custom_field(request, field_id: Id, payload: CustomFieldUpdateIn):
    require_admin(request)
    field = custom_field_update(field=_field(field_id), actor=current_user(request), data=_data(payload))
    return custom_field_out(_field(field.pk))


@router.delete("/{field_id}", response={204: None, **errors(401, 403, 404, 422)},
               summary="Delete a custom field with its values on every record (admin)")
def delete_custom_field(request, field_id: Id):
    require_admin(request)
    custom_field_delete(field=_field(field_id), actor=current_user(request))
    return Status(204, None)
