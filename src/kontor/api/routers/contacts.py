"""``/api/v1/contacts``: list, create, read, change and delete contacts."""

from __future__ import annotations

from functools import partial

from ninja import Query, Router, Status

from kontor.api.auth import current_user
from kontor.api.schemas import (
    FILTER_HELP,
    ContactFilters,
    ContactIn,
    ContactOut,
    Id,
    body,
    errors,
    list_filters,
    page_of,
)
from kontor.api.serializers import page, records_out
from kontor.crm import access
from kontor.crm.enums import EntityType
from kontor.crm.models import Contact
from kontor.crm.selectors import contact_list
from kontor.crm.services import contact_create, contact_delete, contact_update
from kontor.crm.services.common import get_or_404

router = Router()
ContactPage = page_of(ContactOut, "ContactPage")


def _read(pk: int) -> dict:
    return records_out(EntityType.CONTACT, [get_or_404(Contact, pk)])[0]


@router.get("", response={200: ContactPage, **errors(401, 422)}, summary="List contacts",
            description=FILTER_HELP)
def list_contacts(request, params: Query[ContactFilters]):
    qs = access.scope(contact_list(filters=list_filters(request), order=params.order), current_user(request))
    return page(qs, limit=params.limit, offset=params.offset, count=params.count,
                render=partial(records_out, EntityType.CONTACT))


@router.post("", response={201: ContactOut, **errors(400, 401, 403, 422)}, summary="Create a contact")
def create_contact(request, payload: ContactIn):
    contact = contact_create(actor=current_user(request), data=body(payload))
    return Status(201, _read(contact.pk))


@router.get("/{contact_id}", response={200: ContactOut, **errors(401, 404, 422)}, summary="Read a contact")
def get_contact(request, contact_id: Id):
    return _read(access.visible(Contact, contact_id, current_user(request)).pk)


@router.patch("/{contact_id}", response={200: ContactOut, **errors(400, 401, 403, 404, 422)},
              summary="Change a contact")
def update_contact(request, contact_id: Id, payload: ContactIn):
    user = current_user(request)
    contact = contact_update(contact=access.visible(Contact, contact_id, user), actor=user,
                             data=body(payload))
    return _read(contact.pk)


@router.delete("/{contact_id}", response={204: None, **errors(401, 403, 404, 422)}, summary="Delete a contact")
def delete_contact(request, contact_id: Id):
    contact_delete(contact=access.visible(Contact, contact_id, current_user(request)), actor=current_user(request))
    return Status(204, None)
