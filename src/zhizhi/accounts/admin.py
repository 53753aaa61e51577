from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from zhizhi.accounts.models import User
from zhizhi.core.roles import Role


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "display_name", "role", "area", "is_active")
    list_filter = ("role", "is_active")
    search_fields = ("username", "display_name", "area_code")
    raw_id_fields = ("resident",)
    autocomplete_fields = ()
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        (_("Role and area"), {"fields": ("role", "area", "display_name", "resident")}),
    )

    @staticmethod
    def _is_admin(request) -> bool:
        user = request.user
        return user.is_active and (user.is_superuser or getattr(user, "role", None) == Role.ADMIN)

    def has_module_permission(self, request):
        return self._is_admin(request)

    def has_view_permission(self, request, obj=None):
        return self._is_admin(request)

    def has_change_permission(self, request, obj=None):
        return self._is_admin(request)

    def has_add_permission(self, request):
        return self._is_admin(request)

    def has_delete_permission(self, request, obj=None):
        return self._is_admin(request)
