from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from zhizhi.accounts.models import User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "display_name", "role", "area", "is_active")
    list_filter = ("role", "is_active")
    search_fields = ("username", "display_name", "area_code")
    raw_id_fields = ("resident",)
    autocomplete_fields = ()
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (_("Role and area"), {"fields": ("role", "area", "display_name", "resident")}),
    )

    def has_module_permission(self, request):
        return request.user.is_superuser or request.user.role == "admin"

    has_view_permission = has_change_permission = has_add_permission = has_delete_permission = (  # type: ignore[assignment]
        lambda self, request, obj=None: request.user.is_superuser or request.user.role == "admin"
    )
