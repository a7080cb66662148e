"""telephony.externalcall.register / finish / attachRecord: how PBX connectors (Asterisk, 3CX,
Sipgate integrations) report calls. The work is in ``kontor.bitrix.telephony``."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from kontor.accounts.models import User
from kontor.bitrix import telephony
from kontor.bitrix.errors import RestError, argument_error, translate
from kontor.bitrix.mapping import dt, parse_when, s
from kontor.bitrix.models import ExternalCall
from kontor.bitrix.params import get_param, php_bool, to_int
from kontor.bitrix.registry import Call, method
from kontor.core.errors import KontorError
from kontor.crm.enums import EntityType

ENTITY_NAMES = {"CONTACT": EntityType.CONTACT, "COMPANY": EntityType.COMPANY, "LEAD": EntityType.LEAD,
                "DEAL": EntityType.DEAL}
NAMES = {v: k for k, v in ENTITY_NAMES.items()}
#: Kontor's field names in telephony error texts, as Bitrix24 names them.
FIELD_NAMES = {"responsible_id": "USER_ID", "bindings": "CRM_ENTITY_ID", "phones": "PHONE_NUMBER"}


def _error(text: str) -> RestError:
    # Bitrix24's telephony methods answer argument errors with this code.
    return RestError(400, "ERROR_ARGUMENT", text)


def _user(call: Call) -> User:
    raw = get_param(call.params, "USER_ID")
    if raw in (None, ""):
        if get_param(call.params, "USER_PHONE_INNER") not in (None, ""):
            raise _error("USER_PHONE_INNER is not supported by Kontor (users have no inner numbers); give USER_ID.")
        raise _error("USER_ID or USER_PHONE_INNER should be set")
    pk = to_int(raw)
    user = User.objects.filter(pk=pk, is_active=True).first() if pk else None
    if user is None:
        raise _error(f"USER_ID: no active user {raw}")
    return user


def _external_call(call: Call) -> ExternalCall:
    call_id = get_param(call.params, "CALL_ID")
    found = ExternalCall.objects.filter(call_id=str(call_id)).first() if isinstance(call_id, str) else None
    if found is None:
        raise _error("Call is not found")
    return found


def _record_url(raw: Any) -> str:
    if raw in (None, ""):
        return ""
    text = str(raw).strip()
    parsed = urlparse(text)
    if parsed.scheme not in ("http", "https") or not parsed.netloc or len(text) > 2000:
        raise argument_error("RECORD_URL must be an http(s) URL.", "RECORD_URL")
    return text


def call_out(ext: ExternalCall) -> dict[str, Any]:
    return {
        "CALL_ID": ext.call_id,
        "EXTERNAL_CALL_ID": None,
        "PORTAL_USER_ID": s(ext.user_id),
        "PHONE_NUMBER": ext.phone_number,
        "PORTAL_NUMBER": "",
        "INCOMING": str(ext.call_type),
        "CALL_DURATION": ext.duration,
        "CALL_START_DATE": dt(ext.started_at),
        "CALL_STATUS": 1 if ext.status_code == "200" else 0,
        "CALL_VOTE": None,
        "COST": None,
        "COST_CURRENCY": "",
        "CALL_FAILED_CODE": ext.status_code,
        "CALL_FAILED_REASON": telephony.STATUS_TEXT.get(ext.status_code, ""),
        "CRM_ACTIVITY_ID": ext.activity_id,
        "CRM_ENTITY_TYPE": NAMES.get(EntityType(ext.entity_type)) if ext.entity_type else None,
        "CRM_ENTITY_ID": ext.entity_id,
        "ID": ext.pk,
    }


def externalcall_register(call: Call) -> dict[str, Any]:
    user = _user(call)
    number = get_param(call.params, "PHONE_NUMBER")
    if not isinstance(number, str | int) or isinstance(number, bool) or not str(number).strip():
        raise _error("PHONE_NUMBER is empty")
    number = str(number).strip()
    if len(number) > 64:
        raise _error("PHONE_NUMBER is longer than 64 characters")
    call_type = to_int(get_param(call.params, "TYPE"))
    if call_type not in (1, 2, 3, 4):
        raise _error("TYPE should be 1 (outgoing), 2 (incoming), 3 (incoming redirected) or 4 (callback)")
    raw_start = get_param(call.params, "CALL_START_DATE")
    started = parse_when(raw_start, "CALL_START_DATE") if raw_start not in (None, "") else None
    entity = None
    raw_type = str(get_param(call.params, "CRM_ENTITY_TYPE") or "").strip().upper()
    if raw_type:
        entity_id = to_int(get_param(call.params, "CRM_ENTITY_ID"))
        if raw_type not in ENTITY_NAMES or not entity_id or entity_id <= 0:
            raise _error("CRM_ENTITY_TYPE must be CONTACT, COMPANY, LEAD or DEAL, with CRM_ENTITY_ID")
        entity = (ENTITY_NAMES[raw_type], entity_id)
    crm_create = get_param(call.params, "CRM_CREATE")
    source = get_param(call.params, "CRM_SOURCE")
    try:
        done = telephony.external_call_register(
            actor=call.user, user=user, number=number, call_type=call_type, started_at=started,
            create=True if crm_create in (None, "") else php_bool(crm_create),
            source=str(source) if source not in (None, "") else None, entity=entity)
    except KontorError as exc:
        raise translate(exc, FIELD_NAMES) from exc
    return {
        "CALL_ID": done.call.call_id,
        "CRM_CREATED_LEAD": done.created_lead,
        "CRM_CREATED_ENTITIES": [{"ENTITY_TYPE": NAMES[t], "ENTITY_ID": pk} for t, pk in done.created],
        "CRM_ENTITY_TYPE": NAMES[done.entity_type] if done.entity_type else None,
        "CRM_ENTITY_ID": done.entity_id,
        "LEAD_CREATION_ERROR": "",
    }


method("telephony.externalcall.register")(externalcall_register)


def externalcall_finish(call: Call) -> dict[str, Any]:
    ext = _external_call(call)
    _user(call)
    duration = to_int(get_param(call.params, "DURATION"))
    if duration is None or duration < 0 or duration > 10**7:
        raise _error("DURATION should be a number of seconds")
    status = str(get_param(call.params, "STATUS_CODE") or "200").strip()[:16]
    try:
        ext = telephony.external_call_finish(call=ext, actor=call.user, duration=duration, status_code=status,
                                             record_url=_record_url(get_param(call.params, "RECORD_URL")))
    except KontorError as exc:
        raise translate(exc, FIELD_NAMES) from exc
    return call_out(ext)


method("telephony.externalcall.finish")(externalcall_finish)


def externalcall_attach_record(call: Call) -> dict[str, Any]:
    ext = _external_call(call)
    if get_param(call.params, "FILE_CONTENT") not in (None, ""):
        raise argument_error("FILE_CONTENT is not supported by Kontor (it stores no recordings); give "
                             "RECORD_URL, a link to where the PBX keeps it.", "FILE_CONTENT")
    url = _record_url(get_param(call.params, "RECORD_URL"))
    if not url:
        raise _error("RECORD_URL is empty")
    telephony.external_call_attach_record(call=ext, actor=call.user, record_url=url)
    return {"FILE_ID": None, "RECORD_URL": url}


method("telephony.externalcall.attachrecord")(externalcall_attach_record)
