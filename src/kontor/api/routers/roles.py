"""``/api/v1/roles`` and ``/api/v1/departments``: custom roles (a matrix of record kind × action →
none / own / department / all) and departments, administered by admins; every user may read them.

A user gets a role and a department with ``PATCH /api/v1/users/{id}`` (``access_role_id``,
``department_id``). What the levels mean is ``kontor.crm.access``'s docstring and the README.
"""

from __future__ import annotations

from typing import Any

from ninja import Router, Schema, Status

from kontor.accounts.models import AccessRole, Department
from kontor.accounts.roles import (
    department_create,
    department_delete,
    department_get,
    department_update,
    permissions_clean,
    role_create,
    role_delete,
    role_get,
    role_update,
)
from kontor.api.auth import current_user, require_admin
from kontor.api.schemas import Id, InputSchema, errors, no_query

router = Router()
departments_router = Router()

Matrix = dict[str, dict[str, str]]


class RoleIn(InputSchema):
    name: str | None = None
    permissions: dict[str, Any] | None = None


class RoleOut(Schema):
    id: int
    name: str
    permissions: Matrix
    users: list[int]


class DepartmentIn(InputSchema):
    name: str


class DepartmentOut(Schema):
    id: int
    name: str
    members: list[int]


def _role_out(role: AccessRole) -> dict[str, Any]:
    return {"id": role.pk, "name": role.name, "permissions": permissions_clean(role.permissions),
            "users": list(role.users.order_by("id").values_list("id", flat=True))}


def _department_out(department: Department) -> dict[str, Any]:
    return {"id": department.pk, "name": department.name,
            "members": list(department.members.order_by("id").values_list("id", flat=True))}


@router.get("", response={200: list[RoleOut], **errors(401, 422)}, summary="List custom roles")
def list_roles(request):
    no_query(request)
    return [_role_out(r) for r in AccessRole.objects.order_by("name", "id")]


@router.post("", response={201: RoleOut, **errors(400, 401, 403, 409, 422)},
             summary="Create a custom role (admin); permissions left out are 'none'")
def create_role(request, payload: RoleIn):
    require_admin(request)
    role = role_create(actor=current_user(request), name=payload.name, permissions=payload.permissions)
    return Status(201, _role_out(role))


@router.get("/{role_id}", response={200: RoleOut, **errors(401, 404, 422)}, summary="Read a custom role")
def get_role(request, role_id: Id):
    return _role_out(role_get(role_id))


@router.patch("/{role_id}", response={200: RoleOut, **errors(400, 401, 403, 404, 409, 422)},
              summary="Rename a role or replace its permissions (admin)")
def update_role(request, role_id: Id, payload: RoleIn):
    require_admin(request)
    role = role_update(actor=current_user(request), role=role_get(role_id), name=payload.name,
                       permissions=payload.permissions)
    return _role_out(role)


@router.delete("/{role_id}", response={204: None, **errors(401, 403, 404, 409, 422)},
               summary="Delete a role no user has (admin; 409 while users have it)")
def delete_role(request, role_id: Id):
    require_admin(request)
    role_delete(actor=current_user(request), role=role_get(role_id))
    return Status(204, None)


@departments_router.get("", response={200: list[DepartmentOut], **errors(401, 422)}, summary="List departments")
def list_departments(request):
    no_query(request)
    return [_department_out(d) for d in Department.objects.order_by("name", "id")]


@departments_router.post("", response={201: DepartmentOut, **errors(400, 401, 403, 409, 422)},
                         summary="Create a department (admin)")
def create_department(request, payload: DepartmentIn):
    require_admin(request)
    return Status(201, _department_out(department_create(actor=current_user(request), name=payload.name)))


@departments_router.get("/{department_id}", response={200: DepartmentOut, **errors(401, 404, 422)},
                        summary="Read a department")
def get_department(request, department_id: Id):
    return _department_out(department_get(department_id))


@departments_router.patch("/{department_id}", response={200: DepartmentOut, **errors(400, 401, 403, 404, 409, 422)},
                          summary="Rename a department (admin)")
def update_department(request, department_id: Id, payload: DepartmentIn):
    require_admin(request)
    department = department_update(actor=current_user(request), department=department_get(department_id),
                                   name=payload.name)
    return _department_out(department)


@departments_router.delete("/{department_id}", response={204: None, **errors(401, 403, 404, 422)},
                           summary="Delete a department (admin); its members stay, without one")
def delete_department(request, department_id: Id):
    require_admin(request)
    department_delete(actor=current_user(request), department=department_get(department_id))
    return Status(204, None)
