"""crm.lead/deal/contact/company.* behaviour that `make mutants MODULES=kontor.bitrix.methods` found
untested (docs/mutation.md): every write runs as the webhook's user, so a role's limits hold on the
facade too; user fields of every type come back in Bitrix24's format.
"""

from __future__ import annotations

import pytest

from kontor.crm.models import Company, Contact, Deal, Lead

from .conftest import Wire

pytestmark = pytest.mark.django_db

KINDS = ("lead", "deal", "contact", "company")
MODELS = {"lead": Lead, "deal": Deal, "contact": Contact, "company": Company}
ADD = {"lead": {"TITLE": "Anfrage"}, "deal": {"TITLE": "Relaunch"}, "contact": {"NAME": "Erika"},
       "company": {"TITLE": "Muster GmbH"}}


@pytest.fixture
def reader(role_client) -> Wire:
    """A manager whose role may read and add every record kind, but neither edit nor delete."""
    row = {"read": "all", "add": "all", "edit": "none", "delete": "none", "export": "all"}
    return role_client(row, username="reader")[1]


@pytest.mark.parametrize("kind", KINDS)
def test_a_role_without_edit_and_delete_rights_holds_on_the_facade(bx, reader, classic_mode, kind):
    pk = bx.ok(f"crm.{kind}.add", {"fields": ADD[kind]})
    field = "NAME" if kind == "contact" else "TITLE"

    denied = reader.post(f"crm.{kind}.update", {"id": pk, "fields": {field: "Changed"}})
    assert denied.status_code == 400 and denied.json()["error_description"] == "Access denied."
    denied = reader.post(f"crm.{kind}.delete", {"id": pk})
    assert denied.status_code == 400 and denied.json()["error_description"] == "Access denied."

    assert bx.ok(f"crm.{kind}.get", {"id": pk})[field] == ADD[kind][field]
    assert MODELS[kind].objects.filter(pk=pk).exists()
    # The same calls by a user allowed to make them go through.
    assert bx.ok(f"crm.{kind}.update", {"id": pk, "fields": {field: "Changed"}}) is True
    assert bx.ok(f"crm.{kind}.delete", {"id": pk}) is True
    assert not MODELS[kind].objects.filter(pk=pk).exists()


def test_records_added_on_the_facade_belong_to_the_webhooks_user(reader, admin_user, classic_mode):
    for kind in KINDS:
        pk = reader.ok(f"crm.{kind}.add", {"fields": ADD[kind]})
        record = MODELS[kind].objects.get(pk=pk)
        assert record.created_by.username == "reader" and record.assigned.username == "reader", kind


def test_date_user_fields_come_back_as_bitrix24_dates(bx, classic_mode):
    bx.ok("crm.lead.userfield.add", {"fields": {"FIELD_NAME": "VISIT", "USER_TYPE_ID": "date"}})
    bx.ok("crm.lead.userfield.add", {"fields": {"FIELD_NAME": "CALLED", "USER_TYPE_ID": "datetime"}})
    bx.ok("crm.lead.userfield.add", {"fields": {"FIELD_NAME": "DAYS", "USER_TYPE_ID": "date", "MULTIPLE": "Y"}})
    pk = bx.ok("crm.lead.add", {"fields": {"TITLE": "A", "UF_CRM_VISIT": "2026-03-14",
                                           "UF_CRM_CALLED": "2026-03-14T09:30:00+00:00",
                                           "UF_CRM_DAYS": ["2026-01-02", "2026-01-03"]}})
    lead = bx.ok("crm.lead.get", {"id": pk})
    assert lead["UF_CRM_VISIT"].startswith("2026-03-14T00:00:00")
    assert lead["UF_CRM_CALLED"].startswith("2026-03-14T") and lead["UF_CRM_CALLED"] != ""
    assert [d[:10] for d in lead["UF_CRM_DAYS"]] == ["2026-01-02", "2026-01-03"]
    empty = bx.ok("crm.lead.get", {"id": bx.ok("crm.lead.add", {"fields": {"TITLE": "B"}})})
    assert (empty["UF_CRM_VISIT"], empty["UF_CRM_CALLED"], empty["UF_CRM_DAYS"]) == (None, None, [])


def test_facade_only_flags_read_as_bitrix24_sends_them(bx, classic_mode):
    deal = bx.ok("crm.deal.get", {"id": bx.ok("crm.deal.add", {"fields": {"TITLE": "Relaunch"}})})
    assert {k: deal[k] for k in ("IS_MANUAL_OPPORTUNITY", "IS_RECURRING", "IS_REPEATED_APPROACH", "IS_NEW")} == {
        "IS_MANUAL_OPPORTUNITY": "N", "IS_RECURRING": "N", "IS_REPEATED_APPROACH": "N", "IS_NEW": "Y"}
    lead = bx.ok("crm.lead.get", {"id": bx.ok("crm.lead.add", {"fields": {"TITLE": "Anfrage"}})})
    assert lead["IS_MANUAL_OPPORTUNITY"] == "N"
