"""Who may read, add, change, delete and export which records: the one place it is decided.

Every path (native API, Bitrix24 facade, web UI, kanban, search, exports) narrows its querysets with
``scope`` and loads single records with ``visible``; the CRM services check writes with
``require``, ``require_add`` and ``require_owner``. Scoping is a ``WHERE`` condition on the
responsible user (``assigned_id``, an activity's ``responsible_id``), never a check per row.

The rules (as Bitrix24's roles, Odoo's record rules and EspoCRM's roles have them):

* an administrator, and the system itself (``user=None``: web forms, intake, jobs), may do
  everything; a manager without a custom role sees and changes every record (the built-in roles);
* a manager with a custom role (``User.access_role``) gets per kind and action one ``Level``:
  ``none``; ``own`` (they are responsible); ``department`` (they or a member of their department
  is responsible; without a department it is ``own``); ``all``;
* edit, delete and export never reach further than read: what one cannot see one cannot touch;
* a record outside the read scope does not exist for the user: 404 ``not_found``, the same answer
  as for an id that was never used, so ids do not reveal what exists. A record the user may read but
  not change or delete is a 403 ``permission_denied``; so is adding a record without the right;
* a change keeps the record within the user's edit scope: a manager restricted to ``own`` cannot
  hand a deal to somebody else (an admin or a department-wide manager can).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Model, Q, QuerySet

from kontor.accounts.models import Action, Level, RecordKind, User
from kontor.core.errors import ErrorCode, KontorError, not_found
from kontor.crm.models import RECORD_MODELS, Activity, Company, Contact, Deal, Lead

#: Record kind of each model, and the column naming the user responsible for a row.
KINDS: dict[type[Model], RecordKind] = {
    Lead: RecordKind.LEAD, Deal: RecordKind.DEAL, Contact: RecordKind.CONTACT, Company: RecordKind.COMPANY,
    Activity: RecordKind.ACTIVITY,
}
OWNER_FIELD = {RecordKind.ACTIVITY: "responsible_id"}

_RANK = {Level.NONE: 0, Level.OWN: 1, Level.DEPARTMENT: 2, Level.ALL: 3}

#: Actions that never reach further than read.
_WITHIN_READ = (Action.EDIT, Action.DELETE, Action.EXPORT)


def kind_of(model: type[Model]) -> RecordKind:
    return KINDS[model]


def owner_field(kind: str) -> str:
    return OWNER_FIELD.get(RecordKind(kind), "assigned_id")


def level(user: Any, kind: str, action: str) -> Level:
    """How far ``user``'s right to ``action`` on records of ``kind`` reaches."""
    if user is None or getattr(user, "is_crm_admin", False):
        return Level.ALL
    if not getattr(user, "is_active", False):
        return Level.NONE
    if getattr(user, "access_role_id", None) is None:
        return Level.ALL  # the built-in manager: every record, as before custom roles existed
    role = user.access_role
    found = Level(role.level(kind, action))
    if action in _WITHIN_READ:
        read = Level(role.level(kind, Action.READ))
        if _RANK[read] < _RANK[found]:
            found = read
    return found


def may(user: Any, kind: str, action: str) -> bool:
    """Whether ``user`` may do ``action`` on at least some records of ``kind`` (menus, buttons)."""
    return level(user, kind, action) != Level.NONE


def restricted(user: Any) -> bool:
    """Whether a custom role narrows what ``user`` sees (False for admins and built-in managers)."""
    return user is not None and not getattr(user, "is_crm_admin", False) \
        and getattr(user, "access_role_id", None) is not None


def condition(user: Any, kind: str, action: str = Action.READ) -> Q | None:
    """The ``WHERE`` condition of the records ``user`` may ``action``; ``None``: all of them."""
    found = level(user, kind, action)
    if found == Level.ALL:
        return None
    if found == Level.NONE:
        return Q(pk__in=[])
    field = owner_field(kind)
    if found == Level.OWN or user.department_id is None:
        return Q(**{field: user.pk})
    members = User.objects.filter(department_id=user.department_id).values("pk")
    return Q(**{f"{field}__in": members})


def scope(qs: QuerySet, user: Any, action: str = Action.READ) -> QuerySet:
    """``qs`` narrowed to the records ``user`` may ``action`` (its model names the record kind)."""
    cond = condition(user, kind_of(qs.model), action)
    return qs if cond is None else qs.filter(cond)


def visible(model_or_qs: type[Model] | QuerySet, pk: Any, user: Any) -> Any:
    """The record ``pk`` if ``user`` may read it; otherwise the same 404 as for a missing id."""
    qs = model_or_qs if isinstance(model_or_qs, QuerySet) else model_or_qs._default_manager.all()
    key = pk if isinstance(pk, int) and not isinstance(pk, bool) else None
    if key is None and isinstance(pk, str) and pk.isdigit():
        key = int(pk)
    obj = scope(qs, user).filter(pk=key).first() if key is not None else None
    if obj is None:
        raise not_found(qs.model.__name__, pk)
    return obj


def _reaches(user: Any, kind: str, action: str, owner_id: int | None) -> bool:
    found = level(user, kind, action)
    if found == Level.ALL:
        return True
    if found == Level.NONE or owner_id is None:
        return False
    if owner_id == user.pk:
        return True
    if found == Level.OWN or user.department_id is None:
        return False
    return User.objects.filter(pk=owner_id, department_id=user.department_id).exists()


def _owner(obj: Any, kind: str) -> int | None:
    return getattr(obj, owner_field(kind))


def _denied(kind: str, action: str) -> KontorError:
    return KontorError(ErrorCode.PERMISSION_DENIED,
                       f"your role does not allow you to {action} this {RecordKind(kind).value}")


def require(user: Any, obj: Any, action: str) -> None:
    """``user`` may ``action`` (edit, delete) the existing record ``obj``: a 404 when they may not
    even read it, a 403 when they may read but not this."""
    kind = kind_of(type(obj))
    owner = _owner(obj, kind)
    if not _reaches(user, kind, Action.READ, owner):
        raise not_found(type(obj).__name__, obj.pk)
    if not _reaches(user, kind, action, owner):
        raise _denied(kind, action)


def require_add(user: Any, kind: str, owner_id: int | None) -> None:
    """``user`` may add a record of ``kind`` with ``owner_id`` responsible (403 otherwise)."""
    if not _reaches(user, kind, Action.ADD, owner_id):
        raise _denied(kind, Action.ADD.value)


def require_owner(user: Any, obj: Any) -> None:
    """After a change: the record is still within ``user``'s edit scope (no handing it away)."""
    kind = kind_of(type(obj))
    if not _reaches(user, kind, Action.EDIT, _owner(obj, kind)):
        raise KontorError(ErrorCode.PERMISSION_DENIED,
                          f"your role does not allow you to make somebody outside your scope responsible "
                          f"for this {RecordKind(kind).value}", field=owner_field(kind))


def require_bound(user: Any, bindings: Any) -> None:
    """Every record an activity is bound to (``[(EntityType, id), …]``) is one ``user`` may read:
    binding to a record one cannot see is the same 404 as binding to a missing one."""
    if not restricted(user):
        return
    for entity_type, pk in bindings:
        visible(RECORD_MODELS[entity_type], pk, user)


def scope_related(qs: QuerySet, user: Any, *, type_field: str = "entity_type", id_field: str = "entity_id") -> QuerySet:
    """Rows pointing at a record by ``(entity type, id)`` (timeline entries, phones and e-mails,
    activity bindings), narrowed to the rows whose record ``user`` may read."""
    if not restricted(user):
        return qs
    cond = Q()
    for entity_type, model in RECORD_MODELS.items():
        records = scope(model._default_manager.all(), user).values("pk")
        cond |= Q(**{type_field: entity_type, f"{id_field}__in": records})
    return qs.filter(cond)
