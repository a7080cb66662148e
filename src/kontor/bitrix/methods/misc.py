"""CRM mode, enums, duplicates, profile and method discovery."""

from __future__ import annotations

from typing import Any

from kontor.bitrix.errors import crm_error
from kontor.bitrix.methods.common import comm_keys
from kontor.bitrix.params import as_list, get_param
from kontor.bitrix.registry import METHODS, Call, method
from kontor.crm import access
from kontor.crm.enums import CrmMode
from kontor.crm.models import Communication, CrmSettings

MODE_ID = {CrmMode.CLASSIC: 1, CrmMode.SIMPLE: 2}
OWNER_TYPES = [
    (1, "Lead", "LEAD", "L"),
    (2, "Deal", "DEAL", "D"),
    (3, "Contact", "CONTACT", "C"),
    (4, "Company", "COMPANY", "CO"),
]
DUPLICATE_TYPES = {"LEAD": 1, "CONTACT": 3, "COMPANY": 4}


def settings_mode_get(call: Call) -> int:
    """1 = classic (with leads), 2 = simple; read from the database like every other path."""
    return MODE_ID[CrmMode(CrmSettings.load().mode)]


method("crm.settings.mode.get")(settings_mode_get)


def enum_settings_mode(call: Call) -> list[dict[str, Any]]:
    return [{"ID": 1, "NAME": "Classic CRM"}, {"ID": 2, "NAME": "Simple CRM"}]


method("crm.enum.settings.mode")(enum_settings_mode)


def enum_ownertype(call: Call) -> list[dict[str, Any]]:
    return [{"ID": i, "NAME": n, "SYMBOL_CODE": c, "SYMBOL_CODE_SHORT": sc} for i, n, c, sc in OWNER_TYPES]


method("crm.enum.ownertype")(enum_ownertype)


def duplicate_findbycomm(call: Call) -> Any:
    """Records with the given phones or e-mails, matched on Kontor's normalised forms."""
    type_ = str(get_param(call.params, "type") or "").strip().upper()
    if not type_:
        raise crm_error("Communication type is not defined")
    if type_ not in ("PHONE", "EMAIL"):
        raise crm_error(f"Communication type '{type_}' is not supported in current context")
    values = [v for v in as_list(get_param(call.params, "values")) if isinstance(v, str | int) and str(v).strip()]
    if not values:
        raise crm_error("Communication values is not defined")
    if len(values) > 20:
        raise crm_error("Too many communication values (at most 20).")
    keys = [key for v in values for key in comm_keys(type_, str(v))]
    wanted = str(get_param(call.params, "entity_type") or "").strip().upper()
    if wanted and wanted not in DUPLICATE_TYPES:
        raise crm_error(f"Entity type '{wanted}' is not supported in current context")
    types = {wanted: DUPLICATE_TYPES[wanted]} if wanted else DUPLICATE_TYPES
    out: dict[str, list[int]] = {}
    for name, entity_type in types.items():
        comms = Communication.objects.filter(type=type_, normalized__in=keys, entity_type=entity_type)
        ids = list(
            access.scope_related(comms, call.user)
            .order_by("entity_id").values_list("entity_id", flat=True).distinct()[:20]
        )
        if ids:
            out[name] = ids
            if len(ids) >= 20:
                break
    return out or []


method("crm.duplicate.findbycomm")(duplicate_findbycomm)


def profile(call: Call) -> dict[str, Any]:
    user = call.user
    return {
        "ID": str(user.pk),
        "ADMIN": bool(user.is_crm_admin),
        "NAME": user.first_name,
        "LAST_NAME": user.last_name,
        "PERSONAL_GENDER": "",
        "PERSONAL_PHOTO": "",
        "TIME_ZONE": "",
        "TIME_ZONE_OFFSET": 0,
    }


method("profile")(profile)


def methods_list(call: Call) -> list[str]:
    return sorted(METHODS)


method("methods")(methods_list)


def scope(call: Call) -> list[str]:
    return ["crm", "user_brief"]


method("scope")(scope)
