"""Services for custom roles (``AccessRole``), departments, and assigning them to users (admin only).

What a role means for records is decided in ``kontor.crm.access``; here a role's matrix is only
validated and stored. A matrix is ``{kind: {action: level}}`` over ``RecordKind`` × ``Action`` with a
``Level`` each; an entry left out is ``none``. Unknown kinds, actions or levels are 422s naming them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction

from kontor.accounts.models import AccessRole, Action, Department, Level, RecordKind, User
from kontor.core.errors import ErrorCode, KontorError, not_found, validation


def _require_admin(actor: Any) -> None:
    if actor is not None and not getattr(actor, "is_crm_admin", False):
        raise KontorError(ErrorCode.PERMISSION_DENIED, "only administrators may do this")


def _name(value: Any, field: str = "name") -> str:
    if not isinstance(value, str) or not value.strip():
        raise validation(f"{field} is required", field)
    value = value.strip()
    if len(value) > 100:
        raise validation(f"{field} is longer than 100 characters", field)
    return value


def permissions_clean(raw: Any) -> dict[str, dict[str, str]]:
    """A complete matrix (every kind and action) from ``raw``; missing entries are ``none``."""
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise validation("permissions must be an object {kind: {action: level}}", "permissions")
    unknown = [k for k in raw if k not in RecordKind.values]
    if unknown:
        raise validation(f"permissions: unknown record kind '{unknown[0]}' (one of {', '.join(RecordKind.values)})",
                         "permissions")
    out: dict[str, dict[str, str]] = {}
    for kind in RecordKind.values:
        given = raw.get(kind) or {}
        if not isinstance(given, Mapping):
            raise validation(f"permissions.{kind} must be an object {{action: level}}", "permissions")
        bad = [a for a in given if a not in Action.values]
        if bad:
            raise validation(f"permissions.{kind}: unknown action '{bad[0]}' (one of {', '.join(Action.values)})",
                             "permissions")
        row: dict[str, str] = {}
        for action in Action.values:
            value = given.get(action, Level.NONE)
            if value not in Level.values:
                raise validation(f"permissions.{kind}.{action}: unknown level {value!r} "
                                 f"(one of {', '.join(Level.values)})", "permissions")
            row[action] = value
        out[kind] = row
    return out


def _unique(model: type[AccessRole] | type[Department], name: str, exclude: int | None = None) -> None:
    clash = model.objects.filter(name__iexact=name).exclude(pk=exclude)
    if clash.exists():
        raise KontorError(ErrorCode.CONFLICT, f"'{name}' already exists", field="name")


@transaction.atomic
def role_create(*, actor: Any, name: Any, permissions: Any = None) -> AccessRole:
    """A new custom role; its matrix as given (left-out entries are ``none``)."""
    _require_admin(actor)
    name = _name(name)
    _unique(AccessRole, name)
    return AccessRole.objects.create(name=name, permissions=permissions_clean(permissions))


@transaction.atomic
def role_update(*, actor: Any, role: AccessRole, name: Any = None, permissions: Any = None) -> AccessRole:
    """Rename a role and/or replace its matrix (a given matrix replaces the old one whole)."""
    _require_admin(actor)
    role = AccessRole.objects.select_for_update().get(pk=role.pk)
    if name is not None:
        role.name = _name(name)
        _unique(AccessRole, role.name, role.pk)
    if permissions is not None:
        role.permissions = permissions_clean(permissions)
    role.save()
    return role


@transaction.atomic
def role_delete(*, actor: Any, role: AccessRole) -> None:
    """Delete a role no user has (409 otherwise: its users would silently see every record)."""
    _require_admin(actor)
    users = list(role.users.order_by("username").values_list("username", flat=True)[:5])
    if users:
        raise KontorError(ErrorCode.IN_USE, f"role '{role.name}' is assigned to {', '.join(users)}; "
                          "give them another role first")
    role.delete()


@transaction.atomic
def department_create(*, actor: Any, name: Any) -> Department:
    _require_admin(actor)
    name = _name(name)
    _unique(Department, name)
    return Department.objects.create(name=name)


@transaction.atomic
def department_update(*, actor: Any, department: Department, name: Any) -> Department:
    _require_admin(actor)
    department.name = _name(name)
    _unique(Department, department.name, department.pk)
    department.save(update_fields=["name"])
    return department


@transaction.atomic
def department_delete(*, actor: Any, department: Department) -> None:
    """Delete a department; its members stay, without one (their ``department`` level becomes ``own``)."""
    _require_admin(actor)
    department.delete()


_UNSET: Any = object()


@transaction.atomic
def user_set_access(*, actor: Any, user: User, access_role_id: Any = _UNSET, department_id: Any = _UNSET) -> User:
    """Give ``user`` a custom role (``None``: the built-in one of their ``role``) and/or a department
    (``None``: none). Unknown ids are 422s naming the field."""
    _require_admin(actor)
    fields = []
    if access_role_id is not _UNSET:
        user.access_role = _ref(AccessRole, access_role_id, "access_role_id", "role")
        fields.append("access_role")
    if department_id is not _UNSET:
        user.department = _ref(Department, department_id, "department_id", "department")
        fields.append("department")
    if fields:
        user.save(update_fields=fields)
    return user


def _ref(model: type[AccessRole] | type[Department], pk: Any, field: str, label: str) -> Any:
    if pk is None:
        return None
    if isinstance(pk, bool) or not isinstance(pk, int):
        raise validation(f"{field} must be an integer or null", field)
    obj = model.objects.filter(pk=pk).first()
    if obj is None:
        raise validation(f"{field}: no {label} {pk}", field)
    return obj


def role_get(pk: int) -> AccessRole:
    role = AccessRole.objects.filter(pk=pk).first()
    if role is None:
        raise not_found("Role", pk)
    return role


def department_get(pk: int) -> Department:
    department = Department.objects.filter(pk=pk).first()
    if department is None:
        raise not_found("Department", pk)
    return department
