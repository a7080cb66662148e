"""Entry points the CRM services call into the mode logic."""

from __future__ import annotations


def after_lead_created(*, lead, actor=None) -> None:
    """In simple mode a new lead is converted at once under the simple-mode settings (Bitrix24's
    "lead-free scenario"): the lead ends in the converted status, linked to its deal and customer."""
    from kontor.crm.enums import CrmMode
    from kontor.crm.models import CrmSettings
    from kontor.modes.services import lead_convert_simple

    settings = CrmSettings.load()
    if settings.mode == CrmMode.SIMPLE:
        lead_convert_simple(lead=lead, actor=actor, settings=settings)
