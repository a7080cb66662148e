"""Settings services (directory entries, sources, deleting a custom field) and a company's update: behaviour
the surviving mutants of ``kontor.crm.services`` showed untested (docs/mutation.md).

What an admin sees: the stored entry, the refusal (code, message, field) with nothing written, the audit
entry (action, actor, data); for a company's update the timeline entry (what changed, from what to what,
by whom) and a custom role's limits.
"""

from __future__ import annotations

import pytest
from django.db import connection

from kontor.core.errors import ErrorCode
from kontor.crm.enums import EntityType, TimelineKind
from kontor.crm.filtering import uf_index_sql
from kontor.crm.models import AuditLog, Communication, Company, CustomField, DirectoryItem, Source, TimelineEntry
from kontor.crm.services import company_create, company_update, contact_create, deal_create, lead_create
from kontor.crm.services.custom_fields import custom_field_create, custom_field_delete
from kontor.crm.services.directories import directory_item_create, directory_item_delete, directory_item_update
from kontor.crm.services.sources import source_create, source_delete, source_update

from .conftest import refusal

pytestmark = pytest.mark.django_db


def _audit(action: str) -> AuditLog:
    return AuditLog.objects.get(action=action)


# --- directory entries ----------------------------------------------------------------------------


def test_a_new_directory_entry_is_stored_with_its_name_and_sort_and_audited(admin_user):
    item = directory_item_create(actor=admin_user, directory="industry",
                                 data={"code": "bakery", "name": "  Bakery ", "sort": 5})
    stored = DirectoryItem.objects.get(pk=item.pk)
    assert (stored.directory, stored.code, stored.name, stored.sort) == ("INDUSTRY", "BAKERY", "Bakery", 5)
    entry = _audit("directory_item_created")
    assert (entry.actor, entry.data) == (admin_user, {"directory": "INDUSTRY", "code": "BAKERY"})


def test_a_new_directory_entry_without_sort_sorts_at_100(admin_user):
    item = directory_item_create(actor=admin_user, directory="INDUSTRY", data={"code": "BAKERY", "name": "Bakery"})
    assert DirectoryItem.objects.get(pk=item.pk).sort == 100


def test_a_code_of_another_directory_may_be_used_again(admin_user):
    assert DirectoryItem.objects.filter(directory="CONTACT_TYPE", code="SUPPLIER").exists()
    item = directory_item_create(actor=admin_user, directory="INDUSTRY", data={"code": "SUPPLIER", "name": "Trade"})
    assert DirectoryItem.objects.filter(directory="INDUSTRY", code="SUPPLIER").get().pk == item.pk


def test_a_code_taken_in_the_same_directory_is_a_conflict_naming_code(admin_user):
    before = DirectoryItem.objects.count()
    err = refusal(lambda: directory_item_create(actor=admin_user, directory="INDUSTRY",
                                                 data={"code": "it", "name": "Again"}))
    assert (err.code, err.message, err.field) == (ErrorCode.CONFLICT, "INDUSTRY entry 'IT' exists", "code")
    assert DirectoryItem.objects.count() == before
    assert not AuditLog.objects.filter(action="directory_item_created").exists()


@pytest.mark.parametrize(("data", "message", "field"), [
    ({"code": "BAKERY"}, "name is required", "name"),
    ({"code": "BAKERY", "name": "   "}, "name is required", "name"),
    ({"code": "BAKERY", "name": "Bakery", "sort": "first"}, "sort must be an integer", "sort"),
])
def test_a_directory_entry_without_a_name_or_with_a_bad_sort_is_refused(admin_user, data, message, field):
    err = refusal(lambda: directory_item_create(actor=admin_user, directory="INDUSTRY", data=data))
    assert (err.code, err.message, err.field) == (ErrorCode.VALIDATION, message, field)
    assert not DirectoryItem.objects.filter(code="BAKERY").exists()


def test_a_renamed_directory_entry_is_audited_with_its_changes(admin_user):
    item = DirectoryItem.objects.get(directory="INDUSTRY", code="IT")
    old_name = item.name
    directory_item_update(item=item, actor=admin_user, data={"name": "IT services"})
    entry = _audit("directory_item_updated")
    assert entry.actor == admin_user
    assert entry.data == {"directory": "INDUSTRY", "code": "IT", "changes": {"name": [old_name, "IT services"]}}


def test_an_unused_directory_entry_is_deleted_and_audited(admin_user):
    company_create(actor=admin_user, data={"title": "Acme", "industry": "IT"})
    item = DirectoryItem.objects.get(directory="INDUSTRY", code="BANKING")
    directory_item_delete(item=item, actor=admin_user)
    assert not DirectoryItem.objects.filter(directory="INDUSTRY", code="BANKING").exists()
    entry = _audit("directory_item_deleted")
    assert (entry.actor, entry.data) == (admin_user, {"directory": "INDUSTRY", "code": "BANKING"})


def test_a_directory_entry_a_record_uses_cannot_be_deleted(admin_user):
    company_create(actor=admin_user, data={"title": "Acme", "industry": "BANKING"})
    item = DirectoryItem.objects.get(directory="INDUSTRY", code="BANKING")
    err = refusal(lambda: directory_item_delete(item=item, actor=admin_user))
    assert (err.code, err.message) == (ErrorCode.IN_USE, "INDUSTRY entry BANKING is still in use")
    assert DirectoryItem.objects.filter(pk=item.pk).exists()
    assert not AuditLog.objects.filter(action="directory_item_deleted").exists()


# --- sources --------------------------------------------------------------------------------------


def test_a_new_source_is_stored_with_code_name_and_sort_and_audited(admin_user):
    source = source_create(actor=admin_user, data={"code": " fair_2026 ", "name": " Fair 2026 ", "sort": 7})
    assert source.code == "FAIR_2026"
    stored = Source.objects.get(code="FAIR_2026")
    assert (stored.name, stored.sort) == ("Fair 2026", 7)
    entry = _audit("source_created")
    assert (entry.actor, entry.data) == (admin_user, {"code": "FAIR_2026"})


def test_a_new_source_without_sort_sorts_at_100(admin_user):
    source_create(actor=admin_user, data={"code": "FAIR", "name": "Fair"})
    assert Source.objects.get(code="FAIR").sort == 100


@pytest.mark.parametrize(("data", "message", "field"), [
    ({"code": "FAIR", "name": "Fair", "colour": "red"}, "unknown field(s): colour", "colour"),
    ({"name": "Fair"}, "code must be 1-50 letters, digits, '_' or '-'", "code"),
    ({"code": "FAIR"}, "name is required", "name"),
    ({"code": "FAIR", "name": "  "}, "name is required", "name"),
    ({"code": "FAIR", "name": "Fair", "sort": "first"}, "sort must be an integer", "sort"),
])
def test_a_source_with_bad_input_is_refused_naming_the_field(admin_user, data, message, field):
    err = refusal(lambda: source_create(actor=admin_user, data=data))
    assert (err.code, err.message, err.field) == (ErrorCode.VALIDATION, message, field)
    assert not Source.objects.filter(code="FAIR").exists()
    assert not AuditLog.objects.filter(action="source_created").exists()


def test_a_source_code_taken_is_a_conflict_naming_code(admin_user):
    name = Source.objects.get(code="WEB").name
    err = refusal(lambda: source_create(actor=admin_user, data={"code": "web", "name": "Other"}))
    assert (err.code, err.message, err.field) == (ErrorCode.CONFLICT, "source 'WEB' exists", "code")
    assert Source.objects.get(code="WEB").name == name


def test_a_renamed_source_is_audited_with_its_changes(admin_user):
    source = Source.objects.get(code="WEB")
    old_name = source.name
    source_update(source=source, actor=admin_user, data={"name": "Homepage"})
    entry = _audit("source_updated")
    assert (entry.actor, entry.data) == (admin_user, {"code": "WEB", "changes": {"name": [old_name, "Homepage"]}})


def test_an_unused_source_is_deleted_and_audited(admin_user):
    contact_create(actor=admin_user, data={"name": "Erika"})  # a record without a source
    source_delete(source=Source.objects.get(code="PARTNER"), actor=admin_user)
    assert not Source.objects.filter(code="PARTNER").exists()
    entry = _audit("source_deleted")
    assert (entry.actor, entry.data) == (admin_user, {"code": "PARTNER"})


@pytest.mark.parametrize("create", [
    lambda actor: lead_create(actor=actor, data={"title": "Inquiry", "source": "PARTNER"}),
    lambda actor: deal_create(actor=actor, data={"title": "Deal", "source": "PARTNER"}),
    lambda actor: contact_create(actor=actor, data={"name": "Erika", "source": "PARTNER"}),
], ids=["lead", "deal", "contact"])
def test_a_source_a_record_names_cannot_be_deleted(admin_user, create):
    create(admin_user)
    err = refusal(lambda: source_delete(source=Source.objects.get(code="PARTNER"), actor=admin_user))
    assert (err.code, err.message) == (ErrorCode.IN_USE, "source PARTNER is still in use")
    assert Source.objects.filter(code="PARTNER").exists()
    assert not AuditLog.objects.filter(action="source_deleted").exists()


# --- deleting a custom field ----------------------------------------------------------------------


def _indexes(table: str) -> set[str]:
    with connection.cursor() as cursor:
        return set(connection.introspection.get_constraints(cursor, table))


def test_deleting_a_custom_field_drops_its_index_and_is_audited(admin_user):
    field = custom_field_create(actor=admin_user, entity_type=EntityType.DEAL, code="WEIGHT", type="integer")
    index = uf_index_sql(EntityType.DEAL, "uf_crm_weight")[1].split('"')[1]
    assert index in _indexes("crm_deal")
    custom_field_delete(field=field, actor=admin_user)
    assert index not in _indexes("crm_deal")
    assert not CustomField.objects.filter(code="UF_CRM_WEIGHT").exists()
    entry = _audit("custom_field.delete")
    assert (entry.actor, entry.data) == (admin_user, {"entity": "deal", "code": "UF_CRM_WEIGHT"})


# --- a company's update ---------------------------------------------------------------------------


def _updated(company: Company) -> TimelineEntry:
    return TimelineEntry.objects.get(entity_type=EntityType.COMPANY, entity_id=company.pk, kind=TimelineKind.UPDATED)


def test_a_new_company_title_shows_on_the_timeline_without_its_search_key(admin_user):
    company = company_create(actor=admin_user, data={"title": "Acme"})
    company_update(company=company, actor=admin_user, data={"title": "Acme GmbH"})
    assert Company.objects.get(pk=company.pk).title == "Acme GmbH"
    entry = _updated(company)
    assert entry.actor == admin_user
    assert [(c["field"], c["old"], c["new"]) for c in entry.data["changes"]] == [("title", "Acme", "Acme GmbH")]


def test_a_company_update_without_title_changes_only_what_it_names(admin_user):
    company = company_create(actor=admin_user, data={"title": "Acme", "industry": "IT"})
    company_update(company=company, actor=admin_user, data={"industry": "BANKING"})
    stored = Company.objects.get(pk=company.pk)
    assert (stored.title, stored.industry) == ("Acme", "BANKING")
    assert [(c["field"], c["old"], c["new"]) for c in _updated(company).data["changes"]] == [
        ("industry", "IT", "BANKING")]


def test_a_company_s_new_phone_alone_is_stored_and_shows_from_old_to_new(admin_user):
    company = company_create(actor=admin_user, data={"title": "Acme", "phones": ["030 1234567"]})
    company_update(company=company, actor=admin_user, data={"phones": ["040 7654321"]})
    stored = Communication.objects.filter(entity_type=EntityType.COMPANY, entity_id=company.pk)
    assert [c.value for c in stored] == ["040 7654321"]
    entry = _updated(company)
    assert entry.actor == admin_user
    assert [(c["field"], c["old"], c["new"]) for c in entry.data["changes"]] == [
        ("phones", ["030 1234567"], ["040 7654321"])]


def test_a_manager_who_may_only_read_companies_cannot_change_one(admin_user, manager_with_role):
    reader = manager_with_role({"company": {"read": "all"}})
    company = company_create(actor=admin_user, data={"title": "Acme"})
    err = refusal(lambda: company_update(company=company, actor=reader, data={"title": "Mine"}))
    assert (err.code, err.message) == (ErrorCode.PERMISSION_DENIED, "your role does not allow you to edit this company")
    assert Company.objects.get(pk=company.pk).title == "Acme"


def test_a_manager_limited_to_own_companies_changes_their_own_but_cannot_hand_it_away(admin_user, manager_with_role):
    own = manager_with_role({"company": {"read": "own", "add": "own", "edit": "own"}})
    company = company_create(actor=own, data={"title": "Acme"})
    company_update(company=company, actor=own, data={"title": "Acme GmbH"})
    assert Company.objects.get(pk=company.pk).title == "Acme GmbH"
    err = refusal(lambda: company_update(company=company, actor=own, data={"assigned_id": admin_user.pk}))
    assert (err.code, err.field) == (ErrorCode.PERMISSION_DENIED, "assigned_id")
    assert err.message == ("your role does not allow you to make somebody outside your scope responsible "
                           "for this company")
    assert Company.objects.get(pk=company.pk).assigned_id == own.pk
