"""Back office for the case taxonomy, units and routing rules (data, edited per district), and read-only views
of cases, their history and the notification outbox. Cases change only through cases.services (pages and
API), so the history stays complete; the admin never edits a case or a transition."""

from __future__ import annotations

from django.contrib import admin

from zhizhi.cases.models import Case, Category, HandlingUnit, Notification, RoutingRule, Transition
from zhizhi.core.admin import ReadOnlyScopedAdmin
from zhizhi.core.roles import Role


class AdministratorsOnly(admin.ModelAdmin):
    """Shared reference data: visible to the back office, changed by administrators."""

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def _admin(self, request) -> bool:
        return request.user.is_active and (request.user.is_superuser or request.user.role == Role.ADMIN)

    def has_change_permission(self, request, obj=None):
        return self._admin(request)

    def has_add_permission(self, request):
        return self._admin(request)

    def has_delete_permission(self, request, obj=None):
        return False  # cases refer to them; switch them off instead


@admin.register(Category)
class CategoryAdmin(AdministratorsOnly):
    list_display = (
        "code",
        "major_name",
        "name",
        "department",
        "default_unit_type",
        "default_level",
        "handle_limit",
        "handle_limit_unit",
        "urgent",
        "enforcement",
        "active",
    )
    list_filter = ("kind", "major_name", "department", "default_unit_type", "urgent", "enforcement", "active")
    search_fields = ("code", "name", "aliases")
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "code",
                    "kind",
                    "major_code",
                    "major_name",
                    "minor_code",
                    "name",
                    "aliases",
                    "active",
                )
            },
        ),
        (
            "Handling",
            {"fields": ("department", "default_unit_type", "default_level", "enforcement", "urgent")},
        ),
        (
            "Time limits",
            {
                "fields": (
                    ("register_limit", "register_limit_unit"),
                    ("dispatch_limit", "dispatch_limit_unit"),
                    ("sign_limit", "sign_limit_unit"),
                    ("handle_limit", "handle_limit_unit"),
                    ("verify_limit", "verify_limit_unit"),
                    ("close_limit", "close_limit_unit"),
                    "limit_source",
                )
            },
        ),
        ("Conditions", {"fields": ("register_condition", "close_condition", "questions", "sort_order")}),
    )


@admin.register(HandlingUnit)
class HandlingUnitAdmin(AdministratorsOnly):
    list_display = ("name", "level", "unit_type", "area_code", "parent", "head", "active")
    list_filter = ("level", "unit_type", "active")
    search_fields = ("name", "code", "area_code")
    autocomplete_fields = ("parent",)
    filter_horizontal = ("categories", "members")
    raw_id_fields = ("area", "head")


@admin.register(RoutingRule)
class RoutingRuleAdmin(AdministratorsOnly):
    list_display = ("category", "area_prefix", "unit", "priority", "active", "note")
    list_filter = ("active", "unit__level")
    search_fields = ("area_prefix", "category__name", "unit__name")
    raw_id_fields = ("category", "unit")


ReadOnly = ReadOnlyScopedAdmin


class TransitionInline(admin.TabularInline):
    model = Transition
    fields = (
        "at",
        "action",
        "from_status",
        "to_status",
        "actor_name",
        "unit_to",
        "reason",
        "deadline",
        "on_time",
    )
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Case)
class CaseAdmin(ReadOnly):
    list_display = (
        "number",
        "category",
        "status",
        "current_unit",
        "deadline",
        "overdue",
        "supervised",
        "created_at",
    )
    list_filter = ("status", "channel", "urgency", "overdue", "supervised", "current_level")
    search_fields = ("number", "title", "address")
    date_hierarchy = "created_at"
    exclude = ("contact_phone",)
    inlines = [TransitionInline]
    list_select_related = ("category", "current_unit")


@admin.register(Notification)
class NotificationAdmin(ReadOnly):
    scope_field = "case__area_code"
    list_display = (
        "created_at",
        "channel",
        "recipient",
        "address_masked",
        "event",
        "status",
        "attempts",
        "text",
    )
    list_filter = ("channel", "status", "event")
    exclude = ("address",)
