"""Creating leads, deals, contacts, companies and activities: behaviour the surviving mutants of the
``*_create`` services showed untested (docs/mutation.md).

What a user sees: who made the record and who is responsible for it, its custom-field values, the
refusal (code, message, field) with nothing written, what a custom role lets a manager add, and the
``*.created`` event webhooks and the timeline receive, with its actor.
"""

from __future__ import annotations

import pytest

from kontor.core.errors import ErrorCode
from kontor.crm.enums import EntityType
from kontor.crm.models import Activity, ActivityBinding, Company, Contact, Deal, Lead
from kontor.crm.services import activity_create, company_create, contact_create, deal_create, lead_create
from kontor.crm.services.custom_fields import custom_field_create

from .conftest import refusal

pytestmark = pytest.mark.django_db

MODELS = {"lead": Lead, "deal": Deal, "contact": Contact, "company": Company}
KINDS = {"lead": EntityType.LEAD, "deal": EntityType.DEAL, "contact": EntityType.CONTACT,
         "company": EntityType.COMPANY}
CREATE = {
    "lead": lambda actor, **data: lead_create(actor=actor, data={"title": "Anfrage", **data},
                                              convert_in_simple_mode=False),
    "deal": lambda actor, **data: deal_create(actor=actor, data={"title": "Relaunch", **data}),
    "contact": lambda actor, **data: contact_create(actor=actor, data={"name": "Erika", **data}),
    "company": lambda actor, **data: company_create(actor=actor, data={"title": "Muster GmbH", **data}),
}


@pytest.fixture
def events(published):
    return published(lambda e: (e.name, e.entity, e.record_id, e.actor_id))


@pytest.mark.parametrize("kind", list(CREATE))
def test_a_new_record_is_made_by_and_given_to_its_creator_and_announced(kind, admin_user, events):
    record = CREATE[kind](admin_user)
    stored = MODELS[kind].objects.get(pk=record.pk)
    assert (stored.created_by_id, stored.assigned_id) == (admin_user.pk, admin_user.pk)
    assert (f"{kind}.created", kind, record.pk, admin_user.pk) in events


@pytest.mark.parametrize("kind", list(CREATE))
def test_a_new_record_given_to_someone_else_is_theirs(kind, admin_user, manager_user):
    record = CREATE[kind](admin_user, assigned_id=manager_user.pk)
    stored = MODELS[kind].objects.get(pk=record.pk)
    assert (stored.created_by_id, stored.assigned_id) == (admin_user.pk, manager_user.pk)


@pytest.mark.parametrize("kind", list(CREATE))
def test_custom_field_values_are_stored_and_empty_ones_left_out(kind):
    custom_field_create(entity_type=KINDS[kind], code="SHOP", type="string")
    custom_field_create(entity_type=KINDS[kind], code="WEIGHT", type="integer")
    record = CREATE[kind](None, uf_crm_shop="SO-1", uf_crm_weight=None)
    assert MODELS[kind].objects.get(pk=record.pk).uf == {"uf_crm_shop": "SO-1"}
    empty = CREATE[kind](None, uf_crm_weight=None)
    assert MODELS[kind].objects.get(pk=empty.pk).uf is None


@pytest.mark.parametrize("kind", list(CREATE))
def test_a_mandatory_custom_field_is_required_on_creation(kind):
    custom_field_create(entity_type=KINDS[kind], code="SHOP", type="string", mandatory=True)
    err = refusal(lambda: CREATE[kind](None))
    assert (err.code, err.message, err.field) == (ErrorCode.VALIDATION, "uf_crm_shop is required", "uf_crm_shop")
    assert not MODELS[kind].objects.exists()


@pytest.mark.parametrize("kind", list(CREATE))
def test_a_role_without_the_right_to_add_may_not_create(kind, admin_user, manager_with_role):
    reader = manager_with_role({kind: {"read": "all", "add": "none"}})
    err = refusal(lambda: CREATE[kind](reader))
    assert (err.code, err.message) == (ErrorCode.PERMISSION_DENIED, f"your role does not allow you to add this {kind}")
    assert not MODELS[kind].objects.exists()


@pytest.mark.parametrize("kind", list(CREATE))
def test_a_role_adding_only_its_own_may_not_give_a_new_record_away(kind, admin_user, manager_with_role):
    own = manager_with_role({kind: {"read": "own", "add": "own"}})
    mine = CREATE[kind](own)
    assert MODELS[kind].objects.get(pk=mine.pk).assigned_id == own.pk
    err = refusal(lambda: CREATE[kind](own, assigned_id=admin_user.pk))
    assert (err.code, err.message) == (ErrorCode.PERMISSION_DENIED, f"your role does not allow you to add this {kind}")
    assert MODELS[kind].objects.count() == 1


# --- what each kind requires -----------------------------------------------------------------------


def test_a_lead_needs_a_title_or_a_name_or_company_to_make_one_from():
    err = refusal(lambda: lead_create(data={"title": " ", "comments": "Rückruf"}, convert_in_simple_mode=False))
    assert (err.code, err.message, err.field) == (
        ErrorCode.VALIDATION, "title is required (or a name or company title to make one from)", "title")
    assert not Lead.objects.exists()


def test_a_lead_cannot_be_created_converted():
    err = refusal(lambda: lead_create(data={"title": "Anfrage", "status_id": "CONVERTED"},
                                      convert_in_simple_mode=False))
    assert (err.code, err.message, err.field) == (
        ErrorCode.VALIDATION, "status_id: a lead becomes converted only by conversion", "status_id")
    assert not Lead.objects.exists()


@pytest.mark.parametrize(("data", "expected"), [({"name": "Erika"}, ("Erika", "")),
                                                ({"last_name": "Muster"}, ("", "Muster"))])
def test_a_contact_needs_a_first_or_a_last_name(data, expected):
    contact = contact_create(data=data)
    assert (Contact.objects.get(pk=contact.pk).name, Contact.objects.get(pk=contact.pk).last_name) == expected
    err = refusal(lambda: contact_create(data={"name": " ", "last_name": "", "comments": "x"}))
    assert (err.code, err.message, err.field) == (ErrorCode.VALIDATION, "name or last_name is required", "name")
    assert Contact.objects.count() == 1


# --- activities ------------------------------------------------------------------------------------


@pytest.fixture
def lead(admin_user) -> Lead:
    return lead_create(actor=admin_user, data={"title": "Anfrage"}, convert_in_simple_mode=False)


def test_a_new_activity_is_written_and_owned_by_its_creator_and_announced(admin_user, lead, events):
    activity = activity_create(actor=admin_user, data={"subject": "Anrufen", "type": "call",
                                                       "bindings": [{"entity": "lead", "id": lead.pk}]})
    stored = Activity.objects.get(pk=activity.pk)
    assert (stored.author_id, stored.responsible_id, stored.owner_type, stored.owner_id, stored.completed_at) == (
        admin_user.pk, admin_user.pk, EntityType.LEAD, lead.pk, None)
    assert ("activity.created", "activity", activity.pk, admin_user.pk) in events


def test_an_activity_created_completed_is_stamped_completed(lead):
    activity = activity_create(data={"subject": "Erledigt", "completed": True,
                                     "bindings": [{"entity": "lead", "id": lead.pk}]})
    stored = Activity.objects.get(pk=activity.pk)
    assert stored.completed and stored.completed_at is not None


def test_an_activity_needs_a_subject(lead):
    err = refusal(lambda: activity_create(data={"type": "call", "bindings": [{"entity": "lead", "id": lead.pk}]}))
    assert (err.code, err.message, err.field) == (ErrorCode.VALIDATION, "subject is required", "subject")
    assert not Activity.objects.exists()


def test_an_activity_without_bindings_belongs_to_the_records_it_communicates_with(admin_user, lead):
    contact = contact_create(actor=admin_user, data={"name": "Erika"})
    activity = activity_create(actor=admin_user, data={"subject": "E-Mail", "type": "email", "communications": [
        {"entity_type": "contact", "entity_id": contact.pk, "value": "erika@example.de", "type": "EMAIL"},
        {"entity_type": "lead", "entity_id": lead.pk, "value": "lead@example.de", "type": "EMAIL"},
        {"value": "unknown@example.de", "type": "EMAIL"}]})
    stored = Activity.objects.get(pk=activity.pk)
    assert (stored.owner_type, stored.owner_id) == (EntityType.CONTACT, contact.pk)
    assert list(ActivityBinding.objects.filter(activity=activity).order_by("id").values_list(
        "entity_type", "entity_id")) == [(EntityType.CONTACT, contact.pk), (EntityType.LEAD, lead.pk)]


def test_a_role_without_the_right_to_add_activities_may_not_create_one(lead, manager_with_role):
    reader = manager_with_role({kind: {"read": "all", "add": "none"} for kind in ("activity", "lead")})
    err = refusal(lambda: activity_create(actor=reader, data={"subject": "Anrufen",
                                                              "bindings": [{"entity": "lead", "id": lead.pk}]}))
    assert (err.code, err.message) == (ErrorCode.PERMISSION_DENIED, "your role does not allow you to add this activity")
    assert not Activity.objects.exists()


def test_an_activity_may_only_be_bound_to_records_its_author_can_see(admin_user, lead, manager_with_role):
    own = manager_with_role({kind: {"read": "own", "add": "own"} for kind in ("activity", "lead")})
    err = refusal(lambda: activity_create(actor=own, data={"subject": "Anrufen",
                                                           "bindings": [{"entity": "lead", "id": lead.pk}]}))
    assert err.code == ErrorCode.NOT_FOUND
    assert not Activity.objects.exists()
    mine = lead_create(actor=own, data={"title": "Meine"}, convert_in_simple_mode=False)
    activity = activity_create(actor=own, data={"subject": "Anrufen", "bindings": [{"entity": "lead", "id": mine.pk}]})
    assert Activity.objects.get(pk=activity.pk).responsible_id == own.pk


# --- deals -----------------------------------------------------------------------------------------


def _won_stage():
    from kontor.crm.models import Pipeline, Stage

    return Stage.objects.get(pipeline=Pipeline.objects.get(is_default=True), code="WON")


def test_a_deal_without_a_title_is_called_after_its_number():
    deal = deal_create(data={"title": "", "opportunity": 10})
    assert Deal.objects.get(pk=deal.pk).title == f"Deal #{deal.pk}"
    assert deal.title == f"Deal #{deal.pk}"


def test_a_new_deal_begins_today_unless_told_and_is_open():
    from django.utils import timezone

    today = Deal.objects.get(pk=deal_create(data={"title": "Heute"}).pk)
    assert (today.begindate, today.closed, today.closed_at, today.closedate) == (timezone.localdate(), False, None,
                                                                                 None)
    given = deal_create(data={"title": "Früher", "begindate": "2026-01-15"})
    assert str(Deal.objects.get(pk=given.pk).begindate) == "2026-01-15"


def test_a_deal_created_in_a_won_stage_is_closed_today_or_on_the_date_given():
    from django.utils import timezone

    won = _won_stage()
    deal = Deal.objects.get(pk=deal_create(data={"title": "Gewonnen", "stage_id": won.pk}).pk)
    assert (deal.closed, deal.closedate) == (True, timezone.localdate())
    assert deal.closed_at is not None
    dated = Deal.objects.get(pk=deal_create(data={"title": "Gewonnen", "stage_id": won.pk,
                                                  "closedate": "2026-11-30"}).pk)
    assert (dated.closed, str(dated.closedate)) == (True, "2026-11-30")


def test_a_deal_for_a_company_with_an_earlier_deal_is_a_returning_customers():
    company = company_create(data={"title": "Muster GmbH"})
    first = deal_create(data={"title": "Erster", "company_id": company.pk})
    again = deal_create(data={"title": "Zweiter", "company_id": company.pk})
    assert (Deal.objects.get(pk=first.pk).is_return_customer, Deal.objects.get(pk=again.pk).is_return_customer) == (
        False, True)
