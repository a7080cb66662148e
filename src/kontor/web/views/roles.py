"""Settings page "Rollen und Abteilungen" / "Roles and departments": an admin defines custom roles
(for each record kind and action a level: none, own, own and department, all) and departments, and
sees who has which. The services are ``kontor.accounts.roles``, as for the API; what a level means
is ``kontor.crm.access``. A user gets a role and a department on the user's settings page, or here
(the "Members" form of a department and the "Users" form of a role)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kontor.accounts.models import AccessRole, Action, Department, Level, RecordKind, Role
from kontor.accounts.roles import (
    department_create,
    department_delete,
    department_update,
    role_create,
    role_delete,
    role_update,
    user_set_access,
)
from kontor.core.errors import KontorError
from kontor.web.views.common import admin_required, error_message


def _role(pk: int) -> AccessRole:
    role = AccessRole.objects.filter(pk=pk).first()
    if role is None:
        raise Http404
    return role


def _department(pk: int) -> Department:
    department = Department.objects.filter(pk=pk).first()
    if department is None:
        raise Http404
    return department


def _matrix_rows(permissions: dict[str, dict[str, str]]) -> list[dict[str, Any]]:
    """The matrix as table rows: a record kind, then per action the select's name and value."""
    def value(kind: str, action: str) -> str:
        given = (permissions.get(kind) or {}).get(action)
        return given if given in Level.values else Level.NONE  # a refused form shows "none" there

    return [{"kind": kind, "label": label,
             "cells": [{"name": f"{kind}.{action}", "action": action, "value": value(kind, action)}
                       for action in Action.values]}
            for kind, label in RecordKind.choices]


def _matrix_from(request: HttpRequest) -> dict[str, dict[str, str]]:
    return {kind: {action: request.POST.get(f"{kind}.{action}", Level.NONE) for action in Action.values}
            for kind in RecordKind.values}


@admin_required
def role_list(request: HttpRequest) -> HttpResponse:
    """Roles and departments, with a form for a new department."""
    if request.method == "POST":
        try:
            department_create(actor=request.user, name=request.POST.get("name", ""))
        except KontorError as exc:
            messages.error(request, error_message(exc))
        else:
            messages.success(request, _("Department created."))
        return redirect("web:role_list")
    users = get_user_model().objects.filter(is_active=True).order_by("username")
    return render(request, "web/settings/roles.html", {
        "roles": AccessRole.objects.prefetch_related("users").order_by("name"),
        "departments": Department.objects.prefetch_related("members").order_by("name"),
        "builtin_managers": users.filter(role=Role.MANAGER, access_role__isnull=True),
        "admins": users.filter(role=Role.ADMIN),
    })


@admin_required
def role_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """A new role (``pk`` None) or an existing one: its name, its matrix, and who has it."""
    role = _role(pk) if pk is not None else None
    users = get_user_model().objects.filter(is_active=True, role=Role.MANAGER).order_by("username")
    name = role.name if role else ""
    permissions = role.permissions if role else {}
    if request.method == "POST":
        name, permissions = request.POST.get("name", ""), _matrix_from(request)
        chosen = {int(v) for v in request.POST.getlist("users") if v.isdigit()}
        try:
            with transaction.atomic():
                saved = (role_create(actor=request.user, name=name, permissions=permissions) if role is None
                         else role_update(actor=request.user, role=role, name=name, permissions=permissions))
                for user in users:
                    if user.pk in chosen and user.access_role_id != saved.pk:
                        user_set_access(actor=request.user, user=user, access_role_id=saved.pk)
                    elif user.pk not in chosen and user.access_role_id == saved.pk:
                        user_set_access(actor=request.user, user=user, access_role_id=None)
        except KontorError as exc:
            messages.error(request, error_message(exc))
        else:
            messages.success(request, _("Role saved."))
            return redirect("web:role_list")
    return render(request, "web/settings/role_form.html", {
        "role": role, "name": name, "rows": _matrix_rows(permissions), "actions": Action.choices,
        "levels": Level.choices, "users": users,
        "members": {u.pk for u in users if role is not None and u.access_role_id == role.pk},
    })


@admin_required
@require_POST
def role_remove(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        role_delete(actor=request.user, role=_role(pk))
    except KontorError as exc:
        messages.error(request, error_message(exc))
    else:
        messages.success(request, _("Role deleted."))
    return redirect("web:role_list")


@admin_required
def department_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Rename a department and choose its members (a user belongs to one department)."""
    department = _department(pk)
    users = get_user_model().objects.filter(is_active=True).select_related("department").order_by("username")
    if request.method == "POST":
        chosen = {int(v) for v in request.POST.getlist("members") if v.isdigit()}
        try:
            with transaction.atomic():
                department_update(actor=request.user, department=department, name=request.POST.get("name", ""))
                for user in users:
                    if user.pk in chosen and user.department_id != department.pk:
                        user_set_access(actor=request.user, user=user, department_id=department.pk)
                    elif user.pk not in chosen and user.department_id == department.pk:
                        user_set_access(actor=request.user, user=user, department_id=None)
        except KontorError as exc:
            messages.error(request, error_message(exc))
        else:
            messages.success(request, _("Department saved."))
            return redirect("web:role_list")
    return render(request, "web/settings/role_department.html", {"department": department, "users": users})


@admin_required
@require_POST
def department_remove(request: HttpRequest, pk: int) -> HttpResponse:
    department_delete(actor=request.user, department=_department(pk))
    messages.success(request, _("Department deleted."))
    return redirect("web:role_list")
