"""Notes, the timeline helper and the directory name check, called as the UI and the facade call them.

Written against the mutants that `make mutants MODULES=kontor.crm.services` found without any test
in the selection (docs/mutation.md): who may change a note, the limits of its text, the error each
refusal carries, and which directories the settings services accept.
"""

from __future__ import annotations

import pytest

from kontor.accounts.models import Role
from kontor.accounts.services import user_create
from kontor.core.errors import ErrorCode
from kontor.crm.enums import EntityType, TimelineKind
from kontor.crm.models import DirectoryItem, TimelineEntry
from kontor.crm.services import contact_create, timeline_add
from kontor.crm.services.directories import DIRECTORIES, directory_item_create
from kontor.crm.services.notes import NOTE_MAX, clean_note_text, note_add, note_can_change, note_delete, note_update

from .conftest import refusal

pytestmark = pytest.mark.django_db


@pytest.fixture
def contact(admin_user):
    return contact_create(actor=admin_user, data={"name": "Erika"})


@pytest.fixture
def other_manager(db):
    return user_create(username="other_test", password="other-pass-123", role=Role.MANAGER)


def test_note_text_is_stripped_and_may_be_exactly_the_maximum():
    assert clean_note_text("  call back  ") == "call back"
    assert clean_note_text("x" * NOTE_MAX) == "x" * NOTE_MAX


@pytest.mark.parametrize("text", ["", "   ", None, 42])
def test_a_note_without_text_is_refused_naming_the_field(text):
    err = refusal(lambda: clean_note_text(text, "COMMENT"))
    assert (err.code, err.field, err.message) == (ErrorCode.VALIDATION, "COMMENT", "COMMENT: a text is required")


def test_an_overlong_note_is_refused_naming_the_field():
    err = refusal(lambda: clean_note_text("x" * (NOTE_MAX + 1), "reason"))
    assert (err.code, err.field) == (ErrorCode.VALIDATION, "reason")
    assert err.message == f"reason: longer than {NOTE_MAX} characters"


def test_the_author_and_an_admin_may_change_a_note_another_manager_may_not(contact, manager_user, admin_user,
                                                                            other_manager):
    note = note_add(entity_type=EntityType.CONTACT, entity_id=contact.pk, text="first", actor=manager_user)
    assert note_can_change(entry=note, user=manager_user)
    assert note_can_change(entry=note, user=admin_user)
    assert not note_can_change(entry=note, user=other_manager)
    assert not note_can_change(entry=note, user=None)

    err = refusal(lambda: note_update(entry=note, text="mine now", actor=other_manager))
    assert (err.code, err.message) == (ErrorCode.PERMISSION_DENIED,
                                       "only the note's author or an administrator may change it")
    err = refusal(lambda: note_delete(entry=note, actor=other_manager))
    assert err.code == ErrorCode.PERMISSION_DENIED
    note.refresh_from_db()
    assert note.data["text"] == "first"

    note_update(entry=note, text=" edited ", actor=manager_user)
    note.refresh_from_db()
    assert note.data["text"] == "edited" and note.data["edited_by"] == manager_user.pk
    note_update(entry=note, text="by the admin", actor=admin_user)
    note.refresh_from_db()
    assert note.data["text"] == "by the admin" and note.data["edited_by"] == admin_user.pk
    note_delete(entry=note, actor=admin_user)
    assert not TimelineEntry.objects.filter(pk=note.pk).exists()


def test_other_timeline_entries_are_no_notes_even_for_their_author(contact, admin_user):
    entry = TimelineEntry.objects.get(entity_type=EntityType.CONTACT, entity_id=contact.pk,
                                      kind=TimelineKind.CREATED)
    assert entry.actor_id == admin_user.pk
    assert not note_can_change(entry=entry, user=admin_user)
    err = refusal(lambda: note_update(entry=entry, text="rewritten", actor=admin_user))
    assert (err.code, err.message) == (ErrorCode.NOT_FOUND, f"note {entry.pk} not found")
    err = refusal(lambda: note_delete(entry=entry, actor=admin_user))
    assert err.code == ErrorCode.NOT_FOUND
    assert TimelineEntry.objects.filter(pk=entry.pk).exists()


def test_timeline_add_writes_the_entry_as_given(contact, admin_user):
    entry = timeline_add(entity_type=EntityType.CONTACT, entity_id=contact.pk, kind=TimelineKind.COMMENT,
                         actor=admin_user, data={"text": "imported"})
    entry.refresh_from_db()
    assert (entry.entity_type, entry.entity_id, entry.kind, entry.actor_id, entry.data) == (
        EntityType.CONTACT, contact.pk, TimelineKind.COMMENT, admin_user.pk, {"text": "imported"})
    bare = timeline_add(entity_type=EntityType.CONTACT, entity_id=contact.pk, kind=TimelineKind.UPDATED)
    bare.refresh_from_db()
    assert bare.actor_id is None and bare.data == {}


def test_directory_names_are_read_in_any_case(admin_user):
    item = directory_item_create(actor=admin_user, directory=" honorific ", data={"code": "hnr_x", "name": "Prof."})
    assert (item.directory, item.code) == ("HONORIFIC", "HNR_X")


@pytest.mark.parametrize("directory", [None, "", "SOURCE", "STATUS"])
def test_an_unknown_directory_is_refused_naming_the_ones_there_are(admin_user, directory):
    err = refusal(lambda: directory_item_create(actor=admin_user, directory=directory,
                                                 data={"code": "X", "name": "X"}))
    assert (err.code, err.field) == (ErrorCode.VALIDATION, "directory")
    assert err.message == f"directory must be one of {', '.join(DIRECTORIES)}"
    assert "HONORIFIC, CONTACT_TYPE" in err.message
    assert not DirectoryItem.objects.filter(code="X").exists()
