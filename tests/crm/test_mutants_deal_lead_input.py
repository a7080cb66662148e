"""Where a new deal or lead starts, what its input is checked and stored as, and what moving a deal
between stages does: written against the survivors of the exact run of 4 December 2026 of
``kontor.crm.services`` (``deals``, ``leads``; docs/mutation.md).

Pinned down: the first lead status and the default pipeline and first stage a new record gets (sort,
then code or id); the refusals of an unknown pipeline or stage and of a stage of another pipeline
(code, message, field); a lead's normalised company title; a deal's contacts emptied and their order
read back; the closed flag, close time and close date when a deal moves into, between and out of
closed stages; the ``deal.stage_changed`` event's data; the phones and e-mails deleted with a lead;
losing a deal with completed activities somebody else is responsible for."""

from __future__ import annotations

import datetime

import pytest

from kontor.core.errors import ErrorCode
from kontor.crm.enums import EntityType, Semantic
from kontor.crm.models import Activity, Communication, Deal, DealContact, Lead, LeadStatus, Pipeline, Stage
from kontor.crm.services import (
    activity_create,
    contact_create,
    deal_create,
    deal_delete,
    deal_move_stage,
    deal_update,
    lead_create,
    lead_delete,
    lead_update,
    pipeline_create,
    stage_create,
)
from kontor.crm.services.deals import deal_lose
from kontor.crm.services.pipelines import lead_status_create

from .conftest import refusal

pytestmark = pytest.mark.django_db


def _lead(actor, **data) -> Lead:
    """A lead as in classic mode (simple mode would convert it at once)."""
    return lead_create(actor=actor, data=data, convert_in_simple_mode=False)


def _pipeline(actor, *stages: tuple[str, int, str]) -> Pipeline:
    """A pipeline with only ``stages`` (code, sort, semantic), created in this order."""
    pipeline = pipeline_create(actor=actor, name="Projects", default_stages=False)
    for code, sort, semantic in stages:
        stage_create(pipeline=pipeline, actor=actor, data={"code": code, "name": code.title(), "sort": sort,
                                                          "semantic": semantic})
    return pipeline


def _stage(deal: Deal, code: str) -> Stage:
    return Stage.objects.get(pipeline_id=deal.pipeline_id, code=code)


# --- where a new lead or deal starts ---------------------------------------------------------------


def test_a_new_lead_starts_in_the_in_progress_status_first_by_sort_then_by_code(admin_user):
    for code in ("ZZZ", "AAA"):  # the same sort, before NEW's; created in the opposite order of their codes
        lead_status_create(actor=admin_user, data={"code": code, "name": code, "sort": 5})
    lead = _lead(admin_user, title="Inquiry")
    assert Lead.objects.get(pk=lead.pk).status_id == "AAA"


def test_a_new_deal_without_a_pipeline_goes_to_the_default_one_even_when_another_sorts_first(admin_user):
    first_by_sort = pipeline_create(actor=admin_user, name="Projects", sort=-5)
    deal = deal_create(actor=admin_user, data={"title": "Inquiry"})
    stored = Deal.objects.get(pk=deal.pk)
    default = Pipeline.objects.get(is_default=True)
    assert default.pk != first_by_sort.pk
    assert (stored.pipeline_id, stored.stage.code) == (default.pk, "NEW")


def test_a_deal_put_in_a_pipeline_starts_in_its_in_progress_stage_first_by_sort(admin_user):
    # A won stage sorts first; of the in-progress stages the later created one sorts first.
    pipeline = _pipeline(admin_user, ("WON", 10, Semantic.SUCCESS), ("LATER", 30, Semantic.PROCESS),
                         ("FIRST", 20, Semantic.PROCESS))
    deal = deal_create(actor=admin_user, data={"title": "Inquiry", "pipeline_id": pipeline.pk})
    stored = Deal.objects.get(pk=deal.pk)
    assert (stored.pipeline_id, stored.stage.code, stored.closed) == (pipeline.pk, "FIRST", False)


def test_a_deal_moved_to_another_pipeline_starts_in_its_in_progress_stage_first_by_sort(admin_user):
    deal = deal_create(actor=admin_user, data={"title": "Inquiry"})
    pipeline = _pipeline(admin_user, ("WON", 10, Semantic.SUCCESS), ("LATER", 30, Semantic.PROCESS),
                         ("FIRST", 20, Semantic.PROCESS))
    deal_update(deal=deal, actor=admin_user, data={"pipeline_id": pipeline.pk})
    assert Deal.objects.get(pk=deal.pk).stage.code == "FIRST"


def test_a_deal_put_in_a_pipeline_without_in_progress_stages_starts_in_its_first_stage_by_sort(admin_user):
    pipeline = _pipeline(admin_user, ("LOST", 20, Semantic.FAILURE), ("WON", 10, Semantic.SUCCESS))
    deal = deal_create(actor=admin_user, data={"title": "Inquiry", "pipeline_id": pipeline.pk})
    stored = Deal.objects.get(pk=deal.pk)
    assert (stored.stage.code, stored.closed) == ("WON", True)


def _resorted(stage: Stage) -> None:
    """Change the stage's sort and back. On PostgreSQL the row and its (pipeline, sort) index entry are
    then written anew, behind the other rows of its sort: a scan meets it last, so rows of one sort
    come out of id order unless the query orders them by id."""
    Stage.objects.filter(pk=stage.pk).update(sort=stage.sort + 1)
    Stage.objects.filter(pk=stage.pk).update(sort=stage.sort)


@pytest.mark.postgres
@pytest.mark.parametrize("semantic", [Semantic.PROCESS, Semantic.SUCCESS])
def test_of_two_first_stages_of_one_sort_a_new_deal_starts_in_the_older_one(admin_user, semantic):
    """``semantic``: in-progress stages, or (no in-progress stage) the stages at all."""
    pipeline = _pipeline(admin_user, ("OLDER", 10, semantic), ("NEWER", 10, semantic))
    _resorted(Stage.objects.get(pipeline=pipeline, code="OLDER"))
    deal = deal_create(actor=admin_user, data={"title": "Inquiry", "pipeline_id": pipeline.pk})
    assert Deal.objects.get(pk=deal.pk).stage.code == "OLDER"


# --- refused placements ----------------------------------------------------------------------------


def test_an_unknown_pipeline_or_stage_is_refused_naming_it(admin_user):
    err = refusal(lambda: deal_create(actor=admin_user, data={"title": "Inquiry", "pipeline_id": 999999}))
    assert (err.code, err.message, err.field) == (ErrorCode.VALIDATION, "pipeline_id: no pipeline 999999",
                                                  "pipeline_id")
    err = refusal(lambda: deal_create(actor=admin_user, data={"title": "Inquiry", "stage_id": 999999}))
    assert (err.code, err.message, err.field) == (ErrorCode.VALIDATION, "stage_id: no stage 999999", "stage_id")
    assert not Deal.objects.exists()


def test_a_pipeline_named_with_a_stage_of_another_pipeline_is_refused(admin_user):
    deal = deal_create(actor=admin_user, data={"title": "Inquiry"})
    pipeline = _pipeline(admin_user, ("OPEN", 10, Semantic.PROCESS))
    won = _stage(deal, "WON")
    err = refusal(lambda: deal_update(deal=deal, actor=admin_user,
                                      data={"pipeline_id": pipeline.pk, "stage_id": won.pk}))
    assert (err.code, err.message, err.field) == (
        ErrorCode.VALIDATION, f"stage_id: stage {won.pk} does not belong to pipeline {pipeline.pk}", "stage_id")
    stored = Deal.objects.get(pk=deal.pk)
    assert (stored.pipeline_id, stored.stage_id) == (deal.pipeline_id, deal.stage_id)


# --- a lead's company title ------------------------------------------------------------------------


def test_a_leads_company_title_is_stored_normalised_on_create_and_update(admin_user):
    lead = _lead(admin_user, title="Inquiry", company_title="  Müller   Bau GmbH ")
    assert Lead.objects.get(pk=lead.pk).company_title_normalized == "müller bau gmbh"
    lead_update(lead=lead, actor=admin_user, data={"company_title": "Straße  AG"})
    assert Lead.objects.get(pk=lead.pk).company_title_normalized == "strasse ag"


def test_a_normalised_company_title_that_grows_is_cut_to_the_columns_width(admin_user):
    lead = _lead(admin_user, title="Inquiry", company_title="ß" * 255)  # each "ß" becomes "ss"
    assert Lead.objects.get(pk=lead.pk).company_title_normalized == "s" * 255


# --- deleting a lead -------------------------------------------------------------------------------


def test_deleting_a_lead_deletes_its_phones_and_e_mails_only(admin_user):
    lead = _lead(admin_user, title="Inquiry", phones=["030 1234567"], emails=["erika@example.org"])
    other = _lead(admin_user, title="Other", phones=["040 7654321"])
    pk = lead.pk  # delete() sets lead.pk to None
    lead_delete(lead=lead, actor=admin_user)
    assert not Communication.objects.filter(entity_type=EntityType.LEAD, entity_id=pk).exists()
    assert list(Communication.objects.filter(entity_type=EntityType.LEAD, entity_id=other.pk)
                .values_list("value", flat=True)) == ["040 7654321"]


# --- a deal's contacts -----------------------------------------------------------------------------


def _contacts(actor, *names: str) -> list[int]:
    return [contact_create(actor=actor, data={"name": n}).pk for n in names]


def test_emptying_a_deals_contacts_leaves_it_without_a_primary_contact(admin_user, published):
    events = published()
    a, b = _contacts(admin_user, "Anna", "Bert")
    deal = deal_create(actor=admin_user, data={"title": "Inquiry", "contact_ids": [a, b]})
    deal_update(deal=deal, actor=admin_user, data={"contact_ids": []})
    assert Deal.objects.get(pk=deal.pk).contact_id is None
    assert not DealContact.objects.filter(deal=deal).exists()
    assert [e.changes for e in events if e.name == "deal.updated"] == [{"contact_ids": [[a, b], []]}]


def test_deal_contacts_of_one_sort_are_read_back_in_the_order_they_were_linked(admin_user, published):
    events = published()
    a, b, c = _contacts(admin_user, "Anna", "Bert", "Carl")
    deal = deal_create(actor=admin_user, data={"title": "Inquiry", "contact_ids": [a, c, b]})
    DealContact.objects.filter(deal=deal, is_primary=False).update(sort=20)  # as another client may store them
    deal_update(deal=deal, actor=admin_user, data={"contact_ids": [a, c, b]})
    assert [e for e in events if e.name == "deal.updated"] == []
    deal_update(deal=deal, actor=admin_user, data={"contact_ids": [a, b, c]})
    assert [e.changes for e in events if e.name == "deal.updated"] == [{"contact_ids": [[a, c, b], [a, b, c]]}]


# --- closing and reopening -------------------------------------------------------------------------


def _closing(deal: Deal) -> tuple:
    stored = Deal.objects.get(pk=deal.pk)
    return stored.stage.code, stored.closed, stored.closed_at is not None, stored.closedate


def test_a_deal_moved_between_open_stages_stays_open_without_a_close_date(admin_user):
    deal = deal_create(actor=admin_user, data={"title": "Inquiry"})
    deal_move_stage(deal=deal, stage=_stage(deal, "PREPARATION"), actor=admin_user)
    assert _closing(deal) == ("PREPARATION", False, False, None)
    deal_update(deal=deal, actor=admin_user, data={"stage_id": _stage(deal, "EXECUTING").pk})
    assert _closing(deal) == ("EXECUTING", False, False, None)


@pytest.mark.parametrize("how", ["move", "update"])
def test_a_deal_closed_keeps_its_expected_close_date_and_reopened_loses_its_close_time(admin_user, how):
    deal = deal_create(actor=admin_user, data={"title": "Inquiry", "closedate": "2030-01-31"})

    def move(code: str) -> None:
        if how == "move":
            deal_move_stage(deal=deal, stage=_stage(deal, code), actor=admin_user)
        else:
            deal_update(deal=deal, actor=admin_user, data={"stage_id": _stage(deal, code).pk})

    move("WON")
    assert _closing(deal) == ("WON", True, True, datetime.date(2030, 1, 31))
    move("NEW")
    assert _closing(deal) == ("NEW", False, False, datetime.date(2030, 1, 31))


def test_a_stage_change_publishes_the_codes_of_both_stages(admin_user, published):
    events = published()
    deal = deal_create(actor=admin_user, data={"title": "Inquiry"})
    new, won = _stage(deal, "NEW"), _stage(deal, "WON")
    deal_move_stage(deal=deal, stage=_stage(deal, "WON"), actor=admin_user)
    assert [(e.changes, e.data) for e in events if e.name == "deal.stage_changed"] == [
        ({"stage_id": [new.pk, won.pk]}, {"stage_from": "NEW", "stage_to": "WON"})]


# --- losing a deal ---------------------------------------------------------------------------------


def test_losing_a_deal_leaves_its_completed_activities_alone(admin_user, manager_with_role, published):
    """A manager who may not change the activities of others can still lose a deal whose activities
    are all done."""
    manager = manager_with_role({"deal": {"read": "all", "edit": "all"}, "activity": {"read": "all"}})
    deal = deal_create(actor=admin_user, data={"title": "Inquiry"})
    done = activity_create(actor=admin_user, data={"subject": "Call back", "completed": True,
                                                   "bindings": [{"entity": "deal", "id": deal.pk}]})
    events = published()
    deal_lose(deal=deal, stage=_stage(deal, "LOSE"), reason="Too dear", close_activities=True, actor=manager)
    assert Deal.objects.get(pk=deal.pk).stage.code == "LOSE"
    assert Activity.objects.get(pk=done.pk).completed is True
    assert [e.name for e in events if e.entity == "activity"] == []


# --- a database the services did not make (restored, edited by hand) --------------------------------


def test_without_a_default_pipeline_a_new_deal_goes_to_the_first_pipeline_by_sort(admin_user):
    pipeline_create(actor=admin_user, name="Later", sort=-1)
    first = pipeline_create(actor=admin_user, name="First", sort=-5)
    Pipeline.objects.update(is_default=False)
    deal = deal_create(actor=admin_user, data={"title": "Inquiry"})
    assert Deal.objects.get(pk=deal.pk).pipeline_id == first.pk


@pytest.mark.postgres
def test_without_a_default_pipeline_of_two_first_by_sort_a_new_deal_goes_to_the_older_one(admin_user):
    older = pipeline_create(actor=admin_user, name="Older", sort=-5)
    pipeline_create(actor=admin_user, name="Newer", sort=-5)
    Pipeline.objects.update(is_default=False)
    Pipeline.objects.filter(pk=older.pk).update(sort=-4)  # written anew: a scan meets it last (_resorted)
    Pipeline.objects.filter(pk=older.pk).update(sort=-5)
    deal = deal_create(actor=admin_user, data={"title": "Inquiry"})
    assert Deal.objects.get(pk=deal.pk).pipeline_id == older.pk


def test_without_any_pipeline_a_new_deal_is_refused_naming_the_pipeline(admin_user):
    Deal.objects.all().delete()
    Stage.objects.all().delete()
    Pipeline.objects.all().delete()
    err = refusal(lambda: deal_create(actor=admin_user, data={"title": "Inquiry"}))
    assert (err.code, err.message, err.field) == (ErrorCode.VALIDATION, "no pipeline exists", "pipeline_id")
    assert not Deal.objects.exists()


def test_without_an_in_progress_lead_status_a_new_lead_is_refused_as_a_conflict(admin_user):
    LeadStatus.objects.filter(semantic=Semantic.PROCESS).delete()
    err = refusal(lambda: _lead(admin_user, title="Inquiry"))
    assert (err.code, err.message) == (ErrorCode.CONFLICT, "no in-progress lead status is configured")
    assert not Lead.objects.exists()


def test_deleting_the_deal_a_lead_was_converted_into_keeps_the_lead_without_the_link(admin_user):
    from kontor.modes.services import lead_convert

    lead = _lead(admin_user, title="Inquiry", name="Erika")
    lead_convert(lead=lead, actor=admin_user, deal={})
    converted = Lead.objects.get(pk=lead.pk)
    assert converted.deal_id is not None
    deal_delete(deal=Deal.objects.get(pk=converted.deal_id), actor=admin_user)
    kept = Lead.objects.get(pk=lead.pk)
    assert (kept.deal_id, kept.status_id) == (None, converted.status_id)
