"""Back-office (Django admin) with the same area scopes as the service layer, and the core tables."""

from __future__ import annotations

from django.contrib import admin

from zhizhi.core.models import AuditEntry, CalendarDay
from zhizhi.core.permissions import area_prefix
from zhizhi.core.roles import Role


class ReadOnlyMixin:
    """For records that change only through their services (audit, transitions, decisions): viewed, never
    added, edited or deleted in the back office."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ScopedAdmin(admin.ModelAdmin):
    """A ModelAdmin whose rows are limited to the user's area (by `scope_field`, an area-code column).

    Administrators see everything; community staff see and edit their community; nobody else gets in
    (is_staff is granted only to those roles, see accounts.User.save).
    """

    scope_field = "area_code"
    editable_roles = (Role.ADMIN, Role.COMMUNITY_STAFF)

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        prefix = area_prefix(request.user)
        if prefix is None:
            return qs.none()
        return qs.filter(**{f"{self.scope_field}__startswith": prefix}) if prefix else qs

    def _allowed(self, request) -> bool:
        return request.user.is_active and (
            request.user.is_superuser or request.user.role in self.editable_roles
        )

    def has_module_permission(self, request):
        return self._allowed(request)

    def has_view_permission(self, request, obj=None):
        return self._allowed(request)

    def has_change_permission(self, request, obj=None):
        return self._allowed(request)

    def has_add_permission(self, request):
        return self._allowed(request)

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser or request.user.role == Role.ADMIN


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ("date", "kind", "name", "provisional")
    list_filter = ("kind", "provisional")
    date_hierarchy = "date"


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("at", "actor_name", "action", "object_type", "object_id", "summary", "ip")
    list_filter = ("action", "object_type")
    search_fields = ("actor_name", "object_id", "summary")
    date_hierarchy = "at"


class ReadOnlyScopedAdmin(ReadOnlyMixin, ScopedAdmin):
    """ScopedAdmin that only shows rows."""
