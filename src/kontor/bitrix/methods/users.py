"""user.current, user.get, user.search, app.info and server.time: who calls, and the connection
checks integrations run first (n8n's Bitrix24 node calls ``app.info`` and ``user.current``).

Users are Kontor's users; Bitrix24's user fields that Kontor has no data for come back empty, as a
portal sends them for a user who never filled them in.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from kontor.accounts.models import User
from kontor.bitrix.errors import argument_error
from kontor.bitrix.filters import Field, build_filter
from kontor.bitrix.mapping import dt
from kontor.bitrix.methods.common import PAGE_SIZE, parse_start
from kontor.bitrix.params import get_mapping, get_param, php_bool
from kontor.bitrix.registry import Call, Page, method

#: Filter keys of user.get / user.search (Bitrix24 also takes them at the top level of the call).
USER_FILTER = {
    "ID": Field("id"),
    "ACTIVE": Field("is_active", kind="yn", compare=False),
    "NAME": Field("first_name", kind="str", like=True),
    "LAST_NAME": Field("last_name", kind="str", like=True),
    "EMAIL": Field("email", kind="str", like=True),
    "LOGIN": Field("username", kind="str", like=True),
}
SORTABLE = {"ID": "id", "NAME": "first_name", "LAST_NAME": "last_name", "EMAIL": "email", "LOGIN": "username",
            "ACTIVE": "is_active"}


def user_out(user: User) -> dict[str, Any]:
    """A user as Bitrix24's user.get answers: ids as strings, ``ACTIVE`` a real boolean."""
    return {
        "ID": str(user.pk),
        "XML_ID": "",
        "ACTIVE": bool(user.is_active),
        "NAME": user.first_name,
        "LAST_NAME": user.last_name,
        "SECOND_NAME": "",
        "EMAIL": user.email,
        "LOGIN": user.username,
        "LAST_LOGIN": dt(user.last_login),
        "DATE_REGISTER": dt(user.date_joined),
        "IS_ONLINE": "N",
        "TIME_ZONE": "",
        "TIME_ZONE_OFFSET": "0",
        "PERSONAL_GENDER": "",
        "PERSONAL_BIRTHDAY": "",
        "PERSONAL_PHOTO": "",
        "WORK_POSITION": "",
        "UF_DEPARTMENT": [],
        "USER_TYPE": "employee",
        "ADMIN": bool(user.is_crm_admin),
    }


def _users(call: Call) -> QuerySet:
    params = call.params
    raw_filter = dict(get_mapping(params, "filter", message="Parameter 'FILTER' must be array."))
    # Bitrix24 reads filter fields given beside the parameters too: user.get?ID=1 (no parameter of
    # user.get — sort, order, start, find, admin_mode — is named like a filter field).
    for key, value in params.items():
        if isinstance(key, str) and key.upper().lstrip("!=<>%@") in USER_FILTER:
            raw_filter.setdefault(key, value)
    unknown = [k for k in raw_filter if k.upper().lstrip("!=<>%@") not in USER_FILTER and k.upper() != "FIND"]
    if unknown:
        raise argument_error(f"Filter field '{unknown[0]}' is not supported (Kontor knows "
                             f"{', '.join(sorted(USER_FILTER))}).", "filter")
    find = raw_filter.pop("FIND", None) or get_param(params, "find")
    qs = User.objects.filter(build_filter(raw_filter, USER_FILTER))
    if find not in (None, ""):
        words = str(find).split()
        for word in words[:5]:
            qs = qs.filter(Q(first_name__icontains=word) | Q(last_name__icontains=word) | Q(email__icontains=word)
                           | Q(username__icontains=word))
    sort = str(get_param(params, "sort") or "ID").upper()
    order = str(get_param(params, "order") or "ASC").upper()
    if sort not in SORTABLE:
        raise argument_error(f"Parameter 'sort': '{sort}' is not supported.", "sort")
    return qs.order_by(("-" if order == "DESC" else "") + SORTABLE[sort], "id")


def _page(call: Call) -> Page:
    qs = _users(call)
    start = max(parse_start(get_param(call.params, "start")), 0)
    total = qs.count()
    rows = list(qs[start : start + PAGE_SIZE])
    nxt = start + PAGE_SIZE if start + PAGE_SIZE < total else None
    return Page([user_out(u) for u in rows], total, nxt)


def user_current(call: Call) -> dict[str, Any]:
    """The webhook's user."""
    return user_out(call.user)


method("user.current")(user_current)


def user_get(call: Call) -> Page:
    """Users by ``FILTER`` (or filter keys beside the parameters), ``SORT``/``ORDER``, 50 a page."""
    return _page(call)


method("user.get")(user_get)


def user_search(call: Call) -> Page:
    """Like user.get; ``FIND`` (or ``FILTER[FIND]``) searches name, last name, e-mail and login."""
    return _page(call)


method("user.search")(user_search)


def app_info(call: Call) -> dict[str, Any]:
    """What an inbound webhook's ``app.info`` says: a local, installed, unpaid-for "application"."""
    return {
        "ID": None,
        "CODE": "kontor",
        "VERSION": 1,
        "STATUS": "L",  # local
        "INSTALLED": True,
        "PAYMENT_EXPIRED": "N",
        "DAYS": None,
        "LANGUAGE_ID": "de",
        "LICENSE": "self-hosted",
        "LICENSE_TYPE": "self-hosted",
        "LICENSE_FAMILY": "self-hosted",
        "SCOPE": ["crm", "user_brief", "telephony"],
        "ADMIN": php_bool(call.user.is_crm_admin),
    }


method("app.info")(app_info)


def server_time(call: Call) -> str:
    """The server's time, ISO 8601 with its offset."""
    return dt(timezone.now())


method("server.time")(server_time)
