from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from kontor.accounts.models import AccessRole, ApiToken, Department, User


@admin.register(User)
class KontorUserAdmin(UserAdmin):
    fieldsets = (*UserAdmin.fieldsets, ("CRM", {"fields": ("role", "access_role", "department")}))
    list_display = ("username", "email", "role", "access_role", "department", "is_active")
    list_filter = (*UserAdmin.list_filter, "role", "department")


@admin.register(AccessRole)
class AccessRoleAdmin(admin.ModelAdmin):
    """The matrix is edited under Settings → Roles (or the API); here it shows as JSON."""

    list_display = ("name",)


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("name",)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("prefix", "user", "name", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("prefix", "key_hash", "created_at", "last_used_at")
