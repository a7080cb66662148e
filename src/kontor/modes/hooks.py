"""Entry points the CRM services call into the mode logic."""

from __future__ import annotations


def after_lead_created(*, lead, actor=None) -> None:
    """In simple mode a new lead is converted at once under the simple-mode settings.

    Placeholder until the conversion service lands: leaves the lead as it is.
    """
    return None
