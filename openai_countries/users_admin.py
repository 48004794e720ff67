"""The user admin, limited for administrators who are not superusers.

Roles and their permissions come only from grants (``country_grant_role``), which are recorded;
so outside a superuser's hands the user form cannot set superuser or staff status, groups or
individual permissions.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest

User = get_user_model()
_GRANT_MANAGED = ("is_superuser", "is_staff", "groups", "user_permissions")


class ProgramUserAdmin(UserAdmin):
    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            readonly += [name for name in _GRANT_MANAGED if name not in readonly]
        return readonly

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Only a superuser may edit a superuser (their password included).
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_delete_permission(request, obj)


admin.site.unregister(User)
admin.site.register(User, ProgramUserAdmin)
