"""The modes' reactions to domain events (registered in ``ModesConfig.ready``)."""

from __future__ import annotations

from kontor.events.bus import Event


def convert_new_lead(event: Event) -> None:
    """In simple mode a new lead is converted at once under the simple-mode settings (Bitrix24's
    "lead-free scenario"): the lead ends in the converted status, linked to its deal and customer.

    Subscribed to ``lead.created`` *inside* the creating transaction: the lead and what it became
    commit together, and ``lead_create``'s caller reads the converted lead. Callers that convert
    themselves (inquiry intake) pass ``convert_in_simple_mode=False``, which the event carries.
    """
    if not event.options.get("convert_in_simple_mode", True) or event.record_id is None:
        return
    from django.contrib.auth import get_user_model

    from kontor.crm.enums import CrmMode
    from kontor.crm.models import CrmSettings, Lead
    from kontor.modes.services import lead_convert_simple

    settings = CrmSettings.load()
    if settings.mode == CrmMode.SIMPLE:
        actor = get_user_model().objects.filter(pk=event.actor_id).first() if event.actor_id else None
        lead_convert_simple(lead=Lead(pk=event.record_id), actor=actor, settings=settings)
