"""Notes on a record: timeline entries of kind ``comment`` with ``data["text"]``.

The web UI's note box and the Bitrix24 facade's ``crm.timeline.comment.*`` both call these. A note's
author is the entry's ``actor``; only the author or an administrator may change or delete it. A
deal's reason for loss (``deal_lose``) is a note too, marked ``data["lost_reason"] = True``.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from kontor.core.errors import ErrorCode, KontorError
from kontor.crm.enums import EntityType, TimelineKind
from kontor.crm.models import RECORD_MODELS, TimelineEntry

#: Longest note in characters.
NOTE_MAX = 20000


def clean_note_text(text: Any, field: str = "text") -> str:
    """The note's text, stripped; empty or overlong text raises a validation error naming ``field``."""
    if not isinstance(text, str) or not text.strip():
        raise KontorError(ErrorCode.VALIDATION, f"{field}: a text is required", field=field)
    if len(text) > NOTE_MAX:
        raise KontorError(ErrorCode.VALIDATION, f"{field}: longer than {NOTE_MAX} characters", field=field)
    return text.strip()


def note_can_change(*, entry: TimelineEntry, user: Any) -> bool:
    """The author of a note and administrators may edit or delete it; nobody else."""
    if entry.kind != TimelineKind.COMMENT or user is None:
        return False
    return entry.actor_id == user.pk or bool(getattr(user, "is_crm_admin", False))


def _check_may_change(entry: TimelineEntry, actor: Any) -> None:
    if entry.kind != TimelineKind.COMMENT:
        raise KontorError(ErrorCode.NOT_FOUND, f"note {entry.pk} not found")
    if not note_can_change(entry=entry, user=actor):
        raise KontorError(ErrorCode.PERMISSION_DENIED, "only the note's author or an administrator may change it")


def note_add(*, entity_type: EntityType, entity_id: int, text: Any, actor: Any,
             field: str = "text", extra: dict[str, Any] | None = None) -> TimelineEntry:
    """A note on a lead, deal, contact or company, written by ``actor``."""
    with transaction.atomic():
        model = RECORD_MODELS[entity_type]
        if not model._default_manager.filter(pk=entity_id).exists():
            raise KontorError(ErrorCode.NOT_FOUND, f"{entity_type.name.lower()} {entity_id} not found",
                              field="entity_id")
        return TimelineEntry.objects.create(entity_type=entity_type, entity_id=entity_id, kind=TimelineKind.COMMENT,
                                            actor=actor, data={"text": clean_note_text(text, field), **(extra or {})})


def note_update(*, entry: TimelineEntry, text: Any, actor: Any, field: str = "text") -> TimelineEntry:
    """Change a note's text; its author and time stay, ``edited_at``/``edited_by`` tell the change."""
    with transaction.atomic():
        entry = TimelineEntry.objects.select_for_update().get(pk=entry.pk)
        _check_may_change(entry, actor)
        entry.data = {**(entry.data or {}), "text": clean_note_text(text, field), "edited_by": actor.pk,
                      "edited_at": timezone.now().isoformat()}
        entry.save(update_fields=["data"])
        return entry


def note_delete(*, entry: TimelineEntry, actor: Any) -> None:
    """Delete a note (other timeline entries cannot be deleted)."""
    with transaction.atomic():
        _check_may_change(entry, actor)
        TimelineEntry.objects.filter(pk=entry.pk, kind=TimelineKind.COMMENT).delete()
