"""Reads of the CRM-mode state for the API, the UI and the CLI."""

from __future__ import annotations

from kontor.crm.models import CrmSettings
from kontor.modes.models import ModeSwitch


def _iso(value):
    return value.isoformat() if value else None


def switch_as_dict(switch: ModeSwitch) -> dict:
    """The switch object of SPEC §4."""
    return {
        "id": switch.pk,
        "status": switch.status,
        "from_mode": switch.from_mode,
        "to_mode": switch.to_mode,
        "total": switch.total,
        "converted": switch.converted,
        "failed": switch.failed,
        "errors": list(switch.errors or []),
        "pipeline_id": switch.pipeline_id,
        "options": dict(switch.options or {}),
        "fields_created": list((switch.options or {}).get("fields_created") or []),
        "actor_id": switch.actor_id,
        "started_at": _iso(switch.started_at),
        "finished_at": _iso(switch.finished_at),
    }


def crm_mode_state() -> dict:
    """``GET /api/v1/crm-mode``: the mode, the simple-mode settings and the running switch."""
    from kontor.modes.services import active_switch, simple_pipeline

    settings = CrmSettings.load()
    try:
        pipeline_id = simple_pipeline(settings).pk
    except Exception:  # no pipeline at all: nothing to point at
        pipeline_id = None
    active = active_switch()
    return {
        "mode": settings.mode,
        "simple_mode": {
            "pipeline_id": pipeline_id,
            "create_company": settings.create_company,
            "match_existing_customers": settings.match_existing_customers,
        },
        "active_switch": switch_as_dict(active) if active else None,
    }
