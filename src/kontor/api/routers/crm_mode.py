"""``/api/v1/crm-mode``: the CRM mode, the simple-mode settings and the classic ↔ simple switch (admin only)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from ninja import Router, Schema, Status

from kontor.api.auth import current_user, require_admin
from kontor.api.schemas import Id, InputSchema, Text, errors, no_query
from kontor.core.errors import not_found, validation
from kontor.modes.models import ModeSwitch
from kontor.modes.selectors import crm_mode_state, switch_as_dict, switch_preview
from kontor.modes.services import crm_mode_switch, simple_settings_update

router = Router()


class SwitchOut(Schema):
    id: int
    status: Literal["queued", "running", "done", "failed"]
    from_mode: str
    to_mode: str
    total: int
    converted: int
    failed: int
    errors: list[dict[str, Any]]
    pipeline_id: int | None
    options: dict[str, Any]
    #: Custom fields the switch created on the target records so the leads' values travel.
    fields_created: list[dict[str, str]]
    #: What the conversion did so far: contacts_created, contacts_matched, companies_created,
    #: companies_matched, activities_open (counted per committed batch).
    breakdown: dict[str, int]
    actor_id: int | None
    started_at: datetime | None
    finished_at: datetime | None


class SimpleModeOut(Schema):
    pipeline_id: int | None
    create_company: bool
    match_existing_customers: bool


class CrmModeOut(Schema):
    mode: Literal["simple", "classic"]
    simple_mode: SimpleModeOut
    active_switch: SwitchOut | None


class SwitchIn(InputSchema):
    mode: Literal["simple", "classic"]
    pipeline_id: Id | None = None
    new_pipeline_name: Text | None = None
    create_contacts: bool = True
    create_companies: bool = True
    keep_open_activities: bool = True
    #: Create the lead custom fields the deal lacks first (``kontor.modes.conversion``).
    create_missing_fields: bool = True


class SimpleModeIn(InputSchema):
    pipeline_id: Id | None = None
    create_company: bool | None = None
    match_existing_customers: bool | None = None


@router.get("", response={200: CrmModeOut, **errors(401, 403)}, summary="The CRM mode and the running switch")
def get_mode(request):
    require_admin(request)
    return crm_mode_state()


@router.post("/switch", response={200: SwitchOut, 202: SwitchOut, **errors(400, 401, 403, 409, 422)},
             summary="Switch the CRM mode (202 while leads are being converted in the background)")
def switch_mode(request, payload: SwitchIn):
    require_admin(request)
    switch = crm_mode_switch(actor=current_user(request), **payload.model_dump())
    return Status(202 if switch.active else 200, switch_as_dict(switch))


_PREVIEW_FLAGS = ("create_contacts", "create_companies", "keep_open_activities")


@router.get("/switch-preview", response={200: dict[str, Any], **errors(401, 403, 422)},
            summary="What a switch to simple mode would do now, counted before anything changes")
def switch_preview_get(request):
    """``?create_contacts=&create_companies=&keep_open_activities=`` (``true``/``false``, default
    true) as for ``POST /switch``; the counts the web UI's confirmation step shows."""
    require_admin(request)
    no_query(request, *_PREVIEW_FLAGS)
    flags = {}
    for name in _PREVIEW_FLAGS:
        value = request.GET.get(name, "true").strip().lower()
        if value not in ("true", "false", "1", "0"):
            raise validation(f"{name} must be true or false", name)
        flags[name] = value in ("true", "1")
    return switch_preview(**flags)


@router.get("/switches/{switch_id}", response={200: SwitchOut, **errors(401, 403, 404, 422)},
            summary="One switch with its progress")
def get_switch(request, switch_id: Id):
    require_admin(request)
    switch = ModeSwitch.objects.filter(pk=switch_id).first()
    if switch is None:
        raise not_found("switch", switch_id)
    return switch_as_dict(switch)


@router.patch("/simple-mode", response={200: SimpleModeOut, **errors(400, 401, 403, 422)},
              summary="Change the simple-mode settings (pipeline, create_company, match_existing_customers)")
def update_simple_mode(request, payload: SimpleModeIn):
    require_admin(request)
    data = payload.model_dump(exclude_unset=True)
    for key in ("create_company", "match_existing_customers"):
        if key in data and data[key] is None:
            data.pop(key)
    simple_settings_update(actor=current_user(request), **data)
    return crm_mode_state()["simple_mode"]
