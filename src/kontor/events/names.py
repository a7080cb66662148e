"""Public event names, native and Bitrix24, and how they map onto each other."""

from __future__ import annotations

#: Kinds of record whose changes are announced, as they appear in event names.
ENTITIES = ("lead", "deal", "contact", "company", "activity")
RECORD_ACTIONS = ("created", "updated", "deleted")

#: One committed batch of the CRM-mode switch (``data``: switch id, lead, deal, contact, company ids).
LEADS_CONVERTED_BATCH = "lead.converted_batch"

#: One committed batch of an import that created contacts or companies set-based (``data``: import
#: id, the ids created); records an import creates through the services announce themselves.
IMPORTED_BATCH = {"contact": "contact.imported_batch", "company": "company.imported_batch"}

#: A public web form's submission was taken in (``entity``/``record_id``: the lead or deal; ``data``:
#: ``webform_id``, ``form`` name, ``assigned_id``). In-process only: notifications subscribe to it.
WEBFORM_SUBMITTED = "webform.submitted"

#: Every event name a native webhook may subscribe to.
NATIVE_EVENTS: tuple[str, ...] = (
    *(f"{e}.{a}" for e in ENTITIES for a in RECORD_ACTIONS),
    "deal.stage_changed",
    "lead.converted",
    LEADS_CONVERTED_BATCH,
    *IMPORTED_BATCH.values(),
    "crm_mode.switched",
)

_B24_ACTION = {"created": "ADD", "updated": "UPDATE", "deleted": "DELETE"}

#: Bitrix24 event name → the native events that raise it. A stage move and a conversion are updates
#: too (``deal.updated``/``lead.updated`` come with ``deal.stage_changed``/``lead.converted``), so
#: ONCRMDEALUPDATE and ONCRMLEADUPDATE fire for them once, as in Bitrix24.
BITRIX_EVENTS: dict[str, tuple[str, ...]] = {
    f"ONCRM{e.upper()}{_B24_ACTION[a]}": (f"{e}.{a}",) for e in ENTITIES for a in RECORD_ACTIONS
}


def bitrix_names_for(native: str) -> list[str]:
    """The Bitrix24 event names a native event raises."""
    return [b24 for b24, natives in BITRIX_EVENTS.items() if native in natives]
