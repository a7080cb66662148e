"""CRM list selectors: behaviour the surviving mutants of the exact one-child run of
``kontor.crm.selectors`` (4 December) showed untested (docs/mutation.md) — activity filters and their
refusals, searching deals and companies, ordering ties, the unknown-operator refusal, and the per-record
helpers of the kanban and record pages keeping to their own record kind."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.utils import timezone

from kontor.core.errors import ErrorCode, KontorError
from kontor.crm.enums import CommType, EntityType, TimelineKind
from kontor.crm.models import ActivityBinding, Communication, LeadStatus, Pipeline, Stage, TimelineEntry
from kontor.crm.selectors import (
    activity_list,
    company_list,
    contact_list,
    deal_list,
    lead_list,
    lead_status_list,
    next_open_activities,
    pipeline_list,
    record_communications,
    record_filter,
    record_timeline,
    stage_list,
)
from kontor.crm.services import activity_create, company_create, contact_create, deal_create, lead_create
from kontor.crm.services.custom_fields import custom_field_create

from .conftest import refusal

pytestmark = pytest.mark.django_db

ACTIVITY_FILTERS = "entity, entity_id, responsible_id, completed, type, q"


def _refused(call) -> KontorError:
    err = refusal(call)
    assert err.code == ErrorCode.VALIDATION
    return err


def _ids(qs) -> list[int]:
    return list(qs.values_list("pk", flat=True))


def _at(day: int) -> datetime:
    return timezone.make_aware(datetime(2026, 3, day, 10, 0))


# --- activities ------------------------------------------------------------------------------------


@pytest.fixture
def activities(admin_user):
    erika = contact_create(actor=admin_user, data={"name": "Erika"})
    bound = [{"entity": "contact", "id": erika.pk}]
    call = activity_create(actor=admin_user, data={"subject": "Rückruf Angebot", "type": "call", "bindings": bound})
    meeting = activity_create(actor=admin_user, data={"subject": "Termin vor Ort", "type": "meeting",
                                                      "bindings": bound, "completed": True})
    return erika, call, meeting


@pytest.mark.parametrize(("filters", "message", "field"), [
    ({"colour": "red"}, f"unknown filter 'colour' (one of {ACTIVITY_FILTERS})", "colour"),
    ({"entity": "invoice", "entity_id": 1}, "entity must be lead, deal, contact or company", "entity"),
    ({"entity_id": 1}, "entity must be lead, deal, contact or company", "entity"),
    ({"entity": "contact"}, "entity_id is required with entity", "entity_id"),
    ({"entity_id": "x"}, "entity_id must be an integer", "entity_id"),
    ({"completed": "maybe"}, "completed must be true or false", "completed"),
    ({"type": "fax"}, "type must be one of call, meeting, email, task, todo", "type"),
])
def test_a_bad_activity_filter_is_refused_naming_it(filters, message, field):
    err = _refused(lambda: activity_list(filters=filters))
    assert (err.message, err.field) == (message, field)


def test_activities_filter_by_type_subject_and_completion(activities):
    _, call, meeting = activities
    assert _ids(activity_list(filters={"type": "call"})) == [call.pk]
    assert _ids(activity_list(filters={"type": "meeting"})) == [meeting.pk]
    assert _ids(activity_list(filters={"q": " vor ort "})) == [meeting.pk]
    assert _ids(activity_list(filters={"completed": "false"})) == [call.pk]
    assert _ids(activity_list(filters={"completed": "true"})) == [meeting.pk]
    assert _ids(activity_list(filters={"completed": "", "type": "", "q": ""}, order="id")) == [call.pk, meeting.pk]


def test_a_records_activities_are_those_bound_to_that_kind_of_record(activities, admin_user):
    erika, call, meeting = activities
    other = activity_create(actor=admin_user, data={"subject": "Fremd", "bindings": [
        {"entity": "contact", "id": contact_create(actor=admin_user, data={"name": "Max"}).pk}]})
    ActivityBinding.objects.create(activity=other, entity_type=EntityType.LEAD, entity_id=erika.pk)  # same id
    assert _ids(activity_list(filters={"entity": "contact", "entity_id": erika.pk}, order="id")) == [
        call.pk, meeting.pk]
    assert _ids(activity_list(filters={"entity": "lead", "entity_id": erika.pk})) == [other.pk]


# --- searching and ordering --------------------------------------------------------------------------


def test_deals_and_companies_are_searched_by_title_and_a_number_in_it(admin_user):
    relaunch = deal_create(actor=admin_user, data={"title": "Relaunch 2026"})
    deal_create(actor=admin_user, data={"title": "Wartung"})
    acme = company_create(actor=admin_user, data={"title": "Acme 2026 GmbH"})
    company_create(actor=admin_user, data={"title": "Muster AG"})
    assert _ids(deal_list(filters={"q": "launch"})) == [relaunch.pk]
    assert _ids(deal_list(filters={"q": "2026"})) == [relaunch.pk]  # the title, not only a deal #2026
    assert _ids(company_list(filters={"q": "acme"})) == [acme.pk]
    assert _ids(company_list(filters={"q": "2026"})) == [acme.pk]


def test_a_phone_or_e_mail_search_finds_only_records_of_the_kind_listed(admin_user):
    erika = contact_create(actor=admin_user, data={"name": "Erika", "phones": ["+49 30 1234567"]})
    max_ = contact_create(actor=admin_user, data={"name": "Max"})
    for value in ("max@example.org", "+49401234567"):  # a lead's phone and e-mail under Max's id
        Communication.objects.create(entity_type=EntityType.LEAD, entity_id=max_.pk,
                                     type=CommType.EMAIL if "@" in value else CommType.PHONE,
                                     value=value, normalized=value)
    assert _ids(contact_list(filters={"q": "max@example.org"})) == []
    assert _ids(contact_list(filters={"q": "+49 40 1234567"})) == []
    assert _ids(contact_list(filters={"q": "MAX@EXAMPLE"})) == []  # a prefix
    assert _ids(contact_list(filters={"q": "+4930"})) == [erika.pk]  # a phone prefix
    contact_create(actor=admin_user, data={"name": "Eva", "emails": ["Eva.Lang@Firma.de"]})
    assert len(_ids(contact_list(filters={"q": "EVA.LANG@"}))) == 1  # no e-mail yet: a prefix
    contact_create(actor=admin_user, data={"name": "Uwe", "emails": ["uwe@firma.de.example"]})
    assert _ids(contact_list(filters={"q": "uwe@firma.de"})) == []  # a whole e-mail matches only itself


@pytest.mark.parametrize(("order", "expected"), [("title", [0, 1, 2]), ("-title", [2, 1, 0])])
def test_a_list_ordered_by_a_field_breaks_ties_by_id_in_the_same_direction(admin_user, order, expected):
    leads = [lead_create(actor=admin_user, convert_in_simple_mode=False, data={"title": "Gleich"}) for _ in range(3)]
    assert _ids(lead_list(order=order)) == [leads[i].pk for i in expected]


def test_an_unknown_order_and_operator_are_refused_naming_the_choices():
    err = _refused(lambda: activity_list(order="colour"))
    assert err.message == ("order: cannot order by 'colour' (one of created_at, deadline, id, subject, updated_at, "
                           "'-' before a name for descending)")
    err = _refused(lambda: record_filter(EntityType.DEAL, {"title__near": "x"}))
    assert (err.message, err.field) == (
        "title__near: unknown operator 'near' (one of contains, eq, gt, gte, in, like, lt, lte, ne, not_contains, "
        "not_in, not_like)",
        "title__near")
    err = _refused(lambda: record_filter(EntityType.DEAL, {"colour": "red"}))
    assert err.message == "unknown filter 'colour': colour is not a field of deals"


def test_special_keys_are_skipped_and_the_keys_after_them_still_apply(admin_user):
    small = deal_create(actor=admin_user, data={"title": "Klein", "opportunity": "100"})
    deal_create(actor=admin_user, data={"title": "Groß", "opportunity": "5000"})
    assert _ids(deal_list(filters={"q": "", "opportunity__lt": "1000"})) == [small.pk]


def test_a_comma_separated_value_is_a_list_for_numbers_and_in_or_nin_but_text_for_a_text_field(admin_user):
    deals = [deal_create(actor=admin_user, data={"title": t, "opportunity": str(n)})
             for t, n in (("A, B", 100), ("A", 200), ("B", 300))]
    assert _ids(deal_list(filters={"opportunity": "100,300"}, order="id")) == [deals[0].pk, deals[2].pk]
    assert _ids(deal_list(filters={"opportunity__not_in": "100,300"})) == [deals[1].pk]
    assert _ids(deal_list(filters={"title": "A, B"})) == [deals[0].pk]
    assert _ids(deal_list(filters={"title__in": "A,B"}, order="id")) == [deals[1].pk, deals[2].pk]
    assert _ids(deal_list(filters={"opportunity": ["200", "300"]}, order="id")) == [deals[1].pk, deals[2].pk]
    err = _refused(lambda: list(deal_list(filters={"opportunity__gte": ["200"]})))  # a list only for equality
    assert (err.message, err.field) == ("opportunity: needs a single value here", "opportunity")
    assert _ids(deal_list(filters={"opportunity__gte": "200"}, order="id")) == [deals[1].pk, deals[2].pk]


def test_an_empty_number_filter_is_no_filter(activities):
    assert len(_ids(activity_list(filters={"responsible_id": "", "entity_id": "", "entity": ""}))) == 2


def test_a_custom_field_filters_its_own_kind(admin_user):
    custom_field_create(entity_type=EntityType.DEAL, code="REGION", type="string")
    north = deal_create(actor=admin_user, data={"title": "Nord", "uf_crm_region": "Nord"})
    deal_create(actor=admin_user, data={"title": "Süd", "uf_crm_region": "Süd"})
    assert _ids(deal_list(filters={"uf_crm_region": "Nord"})) == [north.pk]


def test_a_records_timeline_shows_its_latest_100_entries(admin_user):
    erika = contact_create(actor=admin_user, data={"name": "Erika"})
    TimelineEntry.objects.bulk_create([TimelineEntry(entity_type=EntityType.CONTACT, entity_id=erika.pk,
                                                     kind=TimelineKind.COMMENT) for _ in range(100)])
    entries = list(record_timeline(EntityType.CONTACT, erika.pk))
    assert len(entries) == 100 and TimelineKind.CREATED not in {e.kind for e in entries}


def test_a_bad_semantic_filter_names_the_choices():
    err = _refused(lambda: lead_list(filters={"semantic": "won"}))
    assert (err.message, err.field) == ("semantic must be one of process, success, failure", "semantic")


# --- settings lists in their order ---------------------------------------------------------------------


def test_pipelines_stages_and_lead_statuses_come_by_sort_then_id_or_code():
    default = Pipeline.objects.get()
    later = Pipeline.objects.create(name="Später", sort=default.sort + 10)
    tie = Pipeline.objects.create(name="Gleich", sort=default.sort + 10)
    first = Pipeline.objects.create(name="Zuerst", sort=default.sort - 10)
    assert _ids(pipeline_list()) == [first.pk, default.pk, later.pk, tie.pk]
    stages = [Stage.objects.create(pipeline=later, code=code, name=code, sort=sort)
              for code, sort in (("B", 20), ("C", 20), ("A", 10))]
    assert _ids(stage_list(pipeline=later)) == [stages[2].pk, stages[0].pk, stages[1].pk]
    new = LeadStatus.objects.get(code="NEW")
    LeadStatus.objects.create(code="AAA", name="Vorab", sort=new.sort)
    LeadStatus.objects.create(code="ZZZ", name="Vorher", sort=new.sort - 1)
    codes = list(lead_status_list().values_list("code", flat=True))
    assert codes[:3] == ["ZZZ", "AAA", "NEW"]


# --- one query for many records: each keeps to its own kind and records ------------------------------------


def test_the_next_open_activity_of_each_record_is_the_earliest_deadline_undated_last(admin_user):
    erika = contact_create(actor=admin_user, data={"name": "Erika"})
    max_ = contact_create(actor=admin_user, data={"name": "Max"})

    def act(contact, subject, **data):
        return activity_create(actor=admin_user, data={"subject": subject, "bindings": [
            {"entity": "contact", "id": contact.pk}], **data})

    act(erika, "Ohne Termin")
    later = act(erika, "Später", deadline=_at(20))
    act(erika, "Erledigt", deadline=_at(2), completed=True)
    soon = act(max_, "Bald", deadline=_at(5))
    undated = act(max_, "Auch ohne")
    lead_first = activity_create(actor=admin_user, data={"subject": "Lead", "deadline": _at(1), "bindings": [
        {"entity": "lead", "id": lead_create(actor=admin_user, convert_in_simple_mode=False,
                                             data={"title": "L"}).pk}]})
    ActivityBinding.objects.get_or_create(activity=lead_first, entity_type=EntityType.LEAD, entity_id=erika.pk)
    found = next_open_activities(EntityType.CONTACT, [erika.pk])
    assert {k: v.pk for k, v in found.items()} == {erika.pk: later.pk}
    found = next_open_activities(EntityType.CONTACT, [erika.pk, max_.pk])
    assert {k: v.pk for k, v in found.items()} == {erika.pk: later.pk, max_.pk: soon.pk}
    soon_binding = ActivityBinding.objects.filter(activity=soon)
    soon_binding.delete()
    assert next_open_activities(EntityType.CONTACT, [max_.pk])[max_.pk].pk == undated.pk
    assert next_open_activities(EntityType.CONTACT, []) == {}


def test_communications_and_timeline_of_a_record_are_its_own(admin_user):
    erika = contact_create(actor=admin_user, data={"name": "Erika", "phones": ["+49 30 1234567"]})
    Communication.objects.create(entity_type=EntityType.LEAD, entity_id=erika.pk, type=CommType.PHONE,
                                 value="+49401234567", normalized="+49401234567")
    comms = record_communications(EntityType.CONTACT, [erika.pk])
    assert [c.value for c in comms[erika.pk]["PHONE"]] == ["+49 30 1234567"]
    TimelineEntry.objects.create(entity_type=EntityType.LEAD, entity_id=erika.pk, kind=TimelineKind.COMMENT)
    TimelineEntry.objects.create(entity_type=EntityType.CONTACT, entity_id=erika.pk + 1, kind=TimelineKind.COMMENT)
    entries = list(record_timeline(EntityType.CONTACT, erika.pk))
    assert [(e.entity_type, e.entity_id, e.kind, e.actor_id) for e in entries] == [
        (EntityType.CONTACT, erika.pk, TimelineKind.CREATED, admin_user.pk)]


def test_each_list_reads_its_rows_and_what_each_row_shows_in_one_query(admin_user, django_assert_num_queries):
    erika = contact_create(actor=admin_user, data={"name": "Erika", "company_id": company_create(
        actor=admin_user, data={"title": "Acme"}).pk})
    for _ in range(2):
        lead_create(actor=admin_user, convert_in_simple_mode=False, data={"title": "L", "source": "WEB"})
        deal_create(actor=admin_user, data={"title": "D", "contact_id": erika.pk, "company_id": erika.company_id})
        activity_create(actor=admin_user, data={"subject": "A", "bindings": [{"entity": "contact", "id": erika.pk}]})
    # (queries, read): the record lists read their kind's custom field definitions first
    shown = {
        "leads": (2, lambda: [(r.status.name, r.source.name, r.assigned.username) for r in lead_list()]),
        "deals": (2, lambda: [(r.stage.name, r.pipeline.name, r.contact.name, r.company.title, r.assigned.username)
                              for r in deal_list()]),
        "contacts": (2, lambda: [(r.company.title, r.assigned.username) for r in contact_list()]),
        "companies": (2, lambda: [r.assigned.username for r in company_list()]),
        "activities": (1, lambda: [r.responsible.username for r in activity_list()]),
        "timeline": (1, lambda: [e.actor.username for e in record_timeline(EntityType.CONTACT, erika.pk)]),
        "pipelines": (2, lambda: [[s.code for s in p.stages.all()] for p in pipeline_list()]),  # then all stages
    }
    Stage.objects.create(pipeline=Pipeline.objects.create(name="Service", sort=900), code="S", name="S", sort=10)
    for name, (queries, read) in shown.items():
        with django_assert_num_queries(queries):
            assert read(), name
