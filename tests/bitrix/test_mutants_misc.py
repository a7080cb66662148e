"""Telephony, duplicates, profile, enums and outgoing-event bindings of the facade, answer by answer:
behaviour the surviving mutants of ``kontor.bitrix.methods.telephony``, ``misc`` and ``events`` showed
untested (docs/mutation.md)."""

from __future__ import annotations

import pytest

from kontor.accounts.models import User
from kontor.bitrix.mapping import dt
from kontor.bitrix.models import ExternalCall
from kontor.bitrix.registry import METHODS
from kontor.crm.enums import EntityType
from kontor.crm.models import Activity, ActivityBinding, Communication, Lead, TimelineEntry
from kontor.events.models import OutgoingWebhook, WebhookFormat
from kontor.events.names import BITRIX_EVENTS

from .conftest import bitrix_error

pytestmark = pytest.mark.django_db


# --- telephony ---------------------------------------------------------------------------------


def _register(bx, user, **extra):
    return bx.ok("telephony.externalcall.register", {"USER_ID": user.pk, "PHONE_NUMBER": "+49 30 5555555",
                                                     "TYPE": 2, **extra})


@pytest.mark.parametrize(("params", "message"), [
    ({"USER_ID": None, "USER_PHONE_INNER": "101"},
     "USER_PHONE_INNER is not supported by Kontor (users have no inner numbers); give USER_ID."),
    ({"USER_ID": "abc"}, "USER_ID: no active user abc"),
    ({"USER_ID": ""}, "USER_ID or USER_PHONE_INNER should be set"),
    ({"USER_ID": "", "USER_PHONE_INNER": ""}, "USER_ID or USER_PHONE_INNER should be set"),
    ({"USER_ID": 0}, "USER_ID: no active user 0"),
    ({"PHONE_NUMBER": True}, "PHONE_NUMBER is empty"),
    ({"PHONE_NUMBER": ["030 1"]}, "PHONE_NUMBER is empty"),
    ({"PHONE_NUMBER": "   "}, "PHONE_NUMBER is empty"),
    ({"PHONE_NUMBER": "1" * 65}, "PHONE_NUMBER is longer than 64 characters"),
    ({"TYPE": 0}, "TYPE should be 1 (outgoing), 2 (incoming), 3 (incoming redirected) or 4 (callback)"),
    ({"TYPE": 5}, "TYPE should be 1 (outgoing), 2 (incoming), 3 (incoming redirected) or 4 (callback)"),
    ({"CRM_ENTITY_TYPE": "INVOICE", "CRM_ENTITY_ID": 1},
     "CRM_ENTITY_TYPE must be CONTACT, COMPANY, LEAD or DEAL, with CRM_ENTITY_ID"),
    ({"CRM_ENTITY_TYPE": "DEAL"}, "CRM_ENTITY_TYPE must be CONTACT, COMPANY, LEAD or DEAL, with CRM_ENTITY_ID"),
    ({"CRM_ENTITY_TYPE": "DEAL", "CRM_ENTITY_ID": -3},
     "CRM_ENTITY_TYPE must be CONTACT, COMPANY, LEAD or DEAL, with CRM_ENTITY_ID"),
])
def test_register_names_what_is_wrong(bx, classic_mode, admin_user, params, message):
    params = {"USER_ID": admin_user.pk, "PHONE_NUMBER": "+49 30 5555555", "TYPE": 2, **params}
    assert bitrix_error(bx.post("telephony.externalcall.register", params)) == ("ERROR_ARGUMENT", message)
    assert not ExternalCall.objects.exists() and not Lead.objects.exists()


def test_register_refuses_an_inactive_user(bx, classic_mode, manager_user):
    User.objects.filter(pk=manager_user.pk).update(is_active=False)
    assert bitrix_error(bx.post("telephony.externalcall.register", {
        "USER_ID": manager_user.pk, "PHONE_NUMBER": "1", "TYPE": 2})) == (
        "ERROR_ARGUMENT", f"USER_ID: no active user {manager_user.pk}")


def test_register_binds_the_call_to_the_record_the_pbx_names(bx, classic_mode, admin_user):
    deal = bx.ok("crm.deal.add", {"fields": {"TITLE": "Known deal"}})
    number = "1" * 64  # the longest number taken
    reg = _register(bx, admin_user, PHONE_NUMBER=number, TYPE="3", CRM_ENTITY_TYPE="deal", CRM_ENTITY_ID=deal)
    assert (reg["CRM_ENTITY_TYPE"], reg["CRM_ENTITY_ID"], reg["CRM_CREATED_ENTITIES"]) == ("DEAL", deal, [])
    assert reg["CRM_CREATED_LEAD"] is None and reg["LEAD_CREATION_ERROR"] == ""
    assert list(ActivityBinding.objects.values_list("entity_type", "entity_id")) == [(EntityType.DEAL, deal)]
    assert not Lead.objects.exists()
    assert ExternalCall.objects.get().phone_number == number


def test_register_takes_the_source_of_the_lead_it_creates(bx, classic_mode, admin_user):
    reg = _register(bx, admin_user, CRM_SOURCE="WEB")
    assert Lead.objects.get(pk=reg["CRM_CREATED_LEAD"]).source_id == "WEB"
    reg = _register(bx, admin_user, PHONE_NUMBER="+49 30 7777777", CRM_SOURCE="")
    assert Lead.objects.get(pk=reg["CRM_CREATED_LEAD"]).source_id == "CALL"


def test_finish_answers_the_call_as_bitrix24_does(bx, classic_mode, admin_user):
    reg = _register(bx, admin_user, TYPE=1, CALL_START_DATE="2026-12-05T10:00:00+01:00")
    call = ExternalCall.objects.get()
    done = bx.ok("telephony.externalcall.finish", {"CALL_ID": reg["CALL_ID"], "USER_ID": admin_user.pk,
                                                   "DURATION": 10**7, "STATUS_CODE": "486"})
    call.refresh_from_db()
    assert done == {
        "CALL_ID": reg["CALL_ID"], "EXTERNAL_CALL_ID": None, "PORTAL_USER_ID": str(admin_user.pk),
        "PHONE_NUMBER": "+49 30 5555555", "PORTAL_NUMBER": "", "INCOMING": "1", "CALL_DURATION": 10**7,
        "CALL_START_DATE": dt(call.started_at), "CALL_STATUS": 0, "CALL_VOTE": None, "COST": None,
        "COST_CURRENCY": "", "CALL_FAILED_CODE": "486", "CALL_FAILED_REASON": "busy",
        "CRM_ACTIVITY_ID": call.activity_id, "CRM_ENTITY_TYPE": "LEAD", "CRM_ENTITY_ID": reg["CRM_ENTITY_ID"],
        "ID": call.pk,
    }
    assert done["CALL_START_DATE"].startswith("2026-12-05T")


def test_finish_without_a_status_is_an_answered_call(bx, classic_mode, admin_user):
    reg = _register(bx, admin_user)
    done = bx.ok("telephony.externalcall.finish", {"CALL_ID": reg["CALL_ID"], "USER_ID": admin_user.pk,
                                                   "DURATION": 0, "RECORD_URL": "http://pbx.example/r/1.wav"})
    assert (done["CALL_STATUS"], done["CALL_FAILED_CODE"], done["CALL_FAILED_REASON"]) == (1, "200", "answered")
    assert ExternalCall.objects.get().record_url == "http://pbx.example/r/1.wav"


def test_finish_of_a_call_bound_to_nothing_with_an_unknown_status(bx, classic_mode, admin_user):
    reg = _register(bx, admin_user, CRM_CREATE=0)
    done = bx.ok("telephony.externalcall.finish", {"CALL_ID": reg["CALL_ID"], "USER_ID": admin_user.pk,
                                                   "DURATION": 3, "STATUS_CODE": "999", "RECORD_URL": ""})
    assert (done["CRM_ENTITY_TYPE"], done["CRM_ENTITY_ID"], done["CALL_STATUS"]) == (None, None, 0)
    assert (done["CALL_FAILED_CODE"], done["CALL_FAILED_REASON"]) == ("999", "")
    assert ExternalCall.objects.get().record_url == ""


@pytest.mark.parametrize(("params", "message"), [
    ({}, "DURATION should be a number of seconds"),
    ({"DURATION": -1}, "DURATION should be a number of seconds"),
    ({"DURATION": 10**7 + 1}, "DURATION should be a number of seconds"),
    ({"DURATION": 5, "CALL_ID": "externalCall.nope"}, "Call is not found"),
    ({"DURATION": 5, "CALL_ID": 12}, "Call is not found"),
    ({"DURATION": 5, "USER_ID": None}, "USER_ID or USER_PHONE_INNER should be set"),
    ({"DURATION": 5, "RECORD_URL": "ftp://pbx.example/1.wav"}, "RECORD_URL must be an http(s) URL."),
])
def test_finish_names_what_is_wrong(bx, classic_mode, admin_user, params, message):
    reg = _register(bx, admin_user)
    params = {"CALL_ID": reg["CALL_ID"], "USER_ID": admin_user.pk, **params}
    assert bitrix_error(bx.post("telephony.externalcall.finish", params)) == ("ERROR_ARGUMENT", message)
    assert ExternalCall.objects.get().duration in (None, 0)


def test_attach_record_keeps_the_link_and_refuses_files(bx, classic_mode, admin_user):
    reg = _register(bx, admin_user)
    attach = "telephony.externalcall.attachRecord"
    assert bitrix_error(bx.post(attach, {"CALL_ID": reg["CALL_ID"], "FILE_CONTENT": "AAAA"})) == (
        "ERROR_ARGUMENT", "FILE_CONTENT is not supported by Kontor (it stores no recordings); give RECORD_URL, "
                          "a link to where the PBX keeps it.")
    assert bitrix_error(bx.post(attach, {"CALL_ID": reg["CALL_ID"]})) == ("ERROR_ARGUMENT", "RECORD_URL is empty")
    too_long = "https://pbx.example/" + "x" * (2001 - len("https://pbx.example/"))
    for bad in ("pbx.example/1.wav", "https://", too_long):
        response = bx.post(attach, {"CALL_ID": reg["CALL_ID"], "RECORD_URL": bad})
        assert bitrix_error(response) == ("ERROR_ARGUMENT", "RECORD_URL must be an http(s) URL.")
        assert response.json()["argument"] == "RECORD_URL"
    assert bitrix_error(bx.post(attach, {"CALL_ID": "externalCall.nope", "RECORD_URL": "https://pbx.example/1"})) == (
        "ERROR_ARGUMENT", "Call is not found")
    url = "https://pbx.example/" + "x" * (2000 - len("https://pbx.example/"))
    assert bx.ok(attach, {"CALL_ID": reg["CALL_ID"], "RECORD_URL": f" {url} "}) == {"FILE_ID": None, "RECORD_URL": url}
    assert ExternalCall.objects.get().record_url == url


# --- duplicates ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("params", "message"), [
    ({"values": ["1"]}, "Communication type is not defined"),
    ({"type": " ", "values": ["1"]}, "Communication type is not defined"),
    ({"type": "FAX", "values": ["1"]}, "Communication type 'FAX' is not supported in current context"),
    ({"type": "PHONE"}, "Communication values is not defined"),
    ({"type": "PHONE", "values": [" ", None, {"VALUE": "1"}]}, "Communication values is not defined"),
    ({"type": "PHONE", "values": [str(n) for n in range(21)]}, "Too many communication values (at most 20)."),
    ({"type": "PHONE", "values": ["1"], "entity_type": "DEAL"},
     "Entity type 'DEAL' is not supported in current context"),
])
def test_findbycomm_names_what_is_wrong(bx, classic_mode, params, message):
    assert bitrix_error(bx.post("crm.duplicate.findbycomm", params)) == ("", message)


def test_findbycomm_reads_types_and_values_in_any_form(bx, classic_mode):
    contact = bx.ok("crm.contact.add", {"fields": {"NAME": "C", "PHONE": [{"VALUE": "030 1234567"}]}})
    company = bx.ok("crm.company.add", {"fields": {"TITLE": "Co", "PHONE": [{"VALUE": "+49 30 1234567"}]}})
    assert bx.ok("crm.duplicate.findbycomm", {"type": "phone", "values": "+49301234567"}) == {
        "CONTACT": [contact], "COMPANY": [company]}
    assert bx.ok("crm.duplicate.findbycomm", {"type": "PHONE", "values": [4930_1234567],
                                              "entity_type": "company"}) == {"COMPANY": [company]}
    assert bx.ok("crm.duplicate.findbycomm", {"type": "PHONE", "values": [str(n) for n in range(20)]}) == []


def test_findbycomm_stops_at_twenty_records(bx, classic_mode):
    leads = [bx.ok("crm.lead.add", {"fields": {"TITLE": f"L{i}", "EMAIL": [{"VALUE": "same@example.org"}]}})
             for i in range(21)]
    bx.ok("crm.contact.add", {"fields": {"NAME": "C", "EMAIL": [{"VALUE": "same@example.org"}]}})
    # Bitrix24 answers at most 20 ids, the oldest first, and looks no further once it has them
    assert bx.ok("crm.duplicate.findbycomm", {"type": "EMAIL", "values": ["same@example.org"]}) == {
        "LEAD": leads[:20]}


# --- profile, enums, methods -----------------------------------------------------------------------


def test_profile_answers_every_field(bx, bx_manager, admin_user, manager_user):
    assert bx.ok("profile") == {
        "ID": str(admin_user.pk), "ADMIN": True, "NAME": "Ada", "LAST_NAME": "Admin", "PERSONAL_GENDER": "",
        "PERSONAL_PHOTO": "", "TIME_ZONE": "", "TIME_ZONE_OFFSET": 0}
    assert bx_manager.ok("profile")["ADMIN"] is False


def test_enums_methods_and_scope_are_bitrix24s(bx):
    assert bx.ok("crm.enum.ownertype") == [
        {"ID": 1, "NAME": "Lead", "SYMBOL_CODE": "LEAD", "SYMBOL_CODE_SHORT": "L"},
        {"ID": 2, "NAME": "Deal", "SYMBOL_CODE": "DEAL", "SYMBOL_CODE_SHORT": "D"},
        {"ID": 3, "NAME": "Contact", "SYMBOL_CODE": "CONTACT", "SYMBOL_CODE_SHORT": "C"},
        {"ID": 4, "NAME": "Company", "SYMBOL_CODE": "COMPANY", "SYMBOL_CODE_SHORT": "CO"},
    ]
    assert bx.ok("methods") == sorted(METHODS)
    assert bx.ok("scope") == ["crm", "user_brief"]


# --- event.bind / unbind / get ------------------------------------------------------------------

HANDLER = "https://93.184.215.14/b24/handler"


def test_events_bind_get_and_unbind(bx):
    assert bx.ok("events") == sorted(BITRIX_EVENTS) and "ONCRMLEADADD" in bx.ok("events")
    OutgoingWebhook.objects.create(url="https://93.184.215.14/native", events=["deal.created"],
                                   format=WebhookFormat.NATIVE, secret="s")
    assert bx.ok("event.bind", {"event": "onCrmLeadAdd", "handler": HANDLER}) is True
    assert bx.ok("event.bind", {"event": "ONCRMDEALADD", "handler": HANDLER}) is True
    assert bx.ok("event.bind", {"event": "ONCRMLEADADD", "handler": HANDLER + "/2"}) is True
    assert bx.ok("event.get") == [  # native webhooks are not Bitrix24 bindings
        {"event": "ONCRMLEADADD", "handler": HANDLER, "auth_type": "0", "offline": 0},
        {"event": "ONCRMDEALADD", "handler": HANDLER, "auth_type": "0", "offline": 0},
        {"event": "ONCRMLEADADD", "handler": HANDLER + "/2", "auth_type": "0", "offline": 0},
    ]
    assert bx.ok("event.unbind", {"event": "ONCRMLEADADD", "handler": HANDLER + "/2"}) == {"count": 1}
    assert bx.ok("event.unbind", {"event": "ONCRMLEADADD", "handler": HANDLER + "/2"}) == {"count": 0}
    assert bx.ok("event.bind", {"event": "ONCRMLEADADD", "handler": HANDLER + "/3"}) is True
    assert bx.ok("event.unbind", {"event": "ONCRMLEADADD"}) == {"count": 2}  # every handler of the event
    assert [b["event"] for b in bx.ok("event.get")] == ["ONCRMDEALADD"]
    assert OutgoingWebhook.objects.filter(format=WebhookFormat.NATIVE).count() == 1


@pytest.mark.parametrize(("method", "params", "error"), [
    ("event.bind", {"event": "ONCRMLEADEXPLODE", "handler": HANDLER},
     ("ERROR_EVENT_NOT_FOUND", "Event name not found: ONCRMLEADEXPLODE")),
    ("event.bind", {"handler": HANDLER}, ("ERROR_EVENT_NOT_FOUND", "Event name not provided")),
    ("event.bind", {"event": "ONCRMLEADADD", "handler": "ftp://93.184.215.14/x"}, ("WRONG_HANDLER_URL", None)),
    ("event.unbind", {"event": "ONCRMLEADEXPLODE"},
     ("ERROR_EVENT_NOT_FOUND", "Event name not found: ONCRMLEADEXPLODE")),
])
def test_event_binding_errors_are_bitrix24s(bx, method, params, error):
    code, description = bitrix_error(bx.post(method, params))
    assert code == error[0]
    if error[1]:
        assert description == error[1]
    else:
        assert "handler" in description
    assert not OutgoingWebhook.objects.exists()


def test_binding_a_handler_twice_is_refused(bx):
    bx.ok("event.bind", {"event": "ONCRMLEADADD", "handler": HANDLER})
    assert bitrix_error(bx.post("event.bind", {"event": "ONCRMLEADADD", "handler": HANDLER})) == (
        "ERROR_CORE", "Handler already binded")
    assert OutgoingWebhook.objects.count() == 1


@pytest.mark.parametrize("method", ["event.bind", "event.unbind", "event.get"])
def test_only_administrators_bind_events(bx, bx_manager, method):
    bx.ok("event.bind", {"event": "ONCRMLEADADD", "handler": HANDLER})
    assert bitrix_error(bx_manager.post(method, {"event": "ONCRMLEADADD", "handler": HANDLER + "/m"})) == (
        "", "Access denied.")
    assert list(OutgoingWebhook.objects.values_list("url", flat=True)) == [HANDLER]


# --- the handlers mutmut reached once they were no longer decorated (3 December, evening) -------------


def test_a_call_is_logged_as_the_webhooks_user_for_the_employee_it_names(bx, classic_mode, admin_user, manager_user):
    reg = _register(bx, manager_user, CALL_START_DATE="")  # an empty start: the call starts now
    activity = Activity.objects.get()
    assert (activity.author_id, activity.responsible_id) == (admin_user.pk, manager_user.pk)
    assert ExternalCall.objects.get().started_at is not None
    bx.ok("telephony.externalcall.finish", {"CALL_ID": reg["CALL_ID"], "USER_ID": manager_user.pk,
                                           "DURATION": 5})
    # finishing completes the call's activity, on the timeline in the webhook user's name
    done = TimelineEntry.objects.get(kind="activity_completed")
    assert (done.actor_id, done.data["activity_id"]) == (admin_user.pk, activity.pk)
    # an empty FILE_CONTENT is no file: the link is attached
    assert bx.ok("telephony.externalcall.attachRecord", {"CALL_ID": reg["CALL_ID"], "FILE_CONTENT": "",
                                                        "RECORD_URL": "https://pbx.example/r/1.wav"})["RECORD_URL"]


def test_register_names_a_start_that_is_no_date_and_a_record_that_does_not_exist(bx, classic_mode, admin_user):
    response = bx.post("telephony.externalcall.register", {"USER_ID": admin_user.pk, "PHONE_NUMBER": "1",
                                                           "TYPE": 2, "CALL_START_DATE": "soon"})
    assert response.status_code == 400 and response.json() == {
        "error": "ERROR_ARGUMENT", "error_description": "'CALL_START_DATE': 'soon' is not a date and time.",
        "argument": "CALL_START_DATE"}
    response = bx.post("telephony.externalcall.register", {"USER_ID": admin_user.pk, "PHONE_NUMBER": "1",
                                                           "TYPE": 2, "CRM_ENTITY_TYPE": "DEAL",
                                                           "CRM_ENTITY_ID": 999999})
    assert response.status_code == 400, response.content
    assert "999999" in response.json()["error_description"]
    assert not ExternalCall.objects.exists()


def test_register_with_an_empty_crm_create_creates_the_lead_as_without_it(bx, classic_mode, admin_user):
    reg = _register(bx, admin_user, CRM_CREATE="")
    assert reg["CRM_CREATED_LEAD"] == Lead.objects.get().pk


def test_finish_keeps_the_first_sixteen_characters_of_a_long_status_code(bx, classic_mode, admin_user):
    reg = _register(bx, admin_user)
    done = bx.ok("telephony.externalcall.finish", {"CALL_ID": reg["CALL_ID"], "USER_ID": admin_user.pk,
                                                   "DURATION": 1, "STATUS_CODE": "0123456789abcdefXYZ"})
    assert done["CALL_FAILED_CODE"] == "0123456789abcdef"


def test_attach_record_names_file_content_as_the_argument_it_refuses(bx, classic_mode, admin_user):
    reg = _register(bx, admin_user)
    response = bx.post("telephony.externalcall.attachRecord", {"CALL_ID": reg["CALL_ID"], "FILE_CONTENT": "AAAA"})
    assert response.json()["argument"] == "FILE_CONTENT"


def test_an_event_binding_records_who_made_it(bx, admin_user):
    bx.ok("event.bind", {"event": "ONCRMLEADADD", "handler": HANDLER})
    assert OutgoingWebhook.objects.get().created_by_id == admin_user.pk


def test_findbycomm_matches_only_the_type_asked_for(bx, classic_mode):
    contact = bx.ok("crm.contact.add", {"fields": {"NAME": "Im", "IM": [{"VALUE": "+49305555555",
                                                                          "VALUE_TYPE": "SKYPE"}]}})
    assert Communication.objects.get(entity_id=contact).normalized == "+49305555555"
    assert bx.ok("crm.duplicate.findbycomm", {"type": "PHONE", "values": ["+49 30 5555555"]}) == []


def test_findbycomm_finds_only_what_the_caller_may_see(bx, classic_mode, manager_user, role_client):
    _, restricted = role_client({a: "own" for a in ("read", "add", "edit", "delete", "export")},
                                user=manager_user)
    mine = restricted.ok("crm.contact.add", {"fields": {"NAME": "Mine", "PHONE": [{"VALUE": "+49 30 1111111"}]}})
    other = bx.ok("crm.contact.add", {"fields": {"NAME": "Other", "PHONE": [{"VALUE": "+49 30 1111111"}]}})
    search = {"type": "PHONE", "values": ["+49 30 1111111"]}
    assert restricted.ok("crm.duplicate.findbycomm", search) == {"CONTACT": [mine]}
    assert bx.ok("crm.duplicate.findbycomm", search) == {"CONTACT": [mine, other]}
