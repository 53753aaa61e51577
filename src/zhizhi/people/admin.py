"""Back office for the people registry, scoped by area like the service layer.

Only masked ID numbers and phones appear here; the encrypted columns are never loaded (deferred) nor shown.
Residents and contacts are added through the app or an Excel import, where numbers are checked, hashed and
masked; the admin may change the plain fields, and every change is audited.
"""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from zhizhi.core import audit
from zhizhi.core.admin import ScopedAdmin
from zhizhi.core.models import AuditAction
from zhizhi.core.roles import Role
from zhizhi.people import services
from zhizhi.people.models import Contact, ExportJob, Household, Resident, Tag
from zhizhi.people.search import KeyKind, parse_query


class AuditedAdmin(ScopedAdmin):
    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        action = AuditAction.UPDATE if change else AuditAction.CREATE
        audit.record(
            request.user, action, obj=obj, summary=f"back office: {', '.join(form.changed_data)}"[:255]
        )


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    """Tags are shared data: everyone in the back office sees them, administrators change them."""

    list_display = ("name", "code", "description")
    search_fields = ("name", "code")

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser or request.user.role == Role.ADMIN

    has_add_permission = has_delete_permission = lambda self, request, obj=None: (  # noqa: E731
        # the admin serves only logged-in staff, never AnonymousUser
        request.user.is_superuser or request.user.role == Role.ADMIN  # type: ignore[union-attr]
    )


@admin.register(Household)
class HouseholdAdmin(AuditedAdmin):
    scope_field = "area_code"
    list_display = ("number", "kind", "dwelling", "head", "area_code")
    list_filter = ("kind",)
    search_fields = ("number", "dwelling__address")
    raw_id_fields = ("dwelling", "head")
    readonly_fields = ("area_code",)
    list_select_related = ("dwelling", "head")

    def get_queryset(self, request):
        return super().get_queryset(request).defer("head__id_number", "head__phone")

    def save_model(self, request, obj, form, change):
        if obj.dwelling_id:
            obj.area_code = obj.dwelling.area_code
        super().save_model(request, obj, form, change)


class ContactInline(admin.TabularInline):
    model = Contact
    fk_name = "resident"
    fields = ("kind", "name", "relation", "phone_masked", "priority")
    readonly_fields = ("phone_masked",)
    extra = 0
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).defer("phone")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Resident)
class ResidentAdmin(AuditedAdmin):
    scope_field = "area_code"
    list_display = ("name", "id_number_masked", "phone_masked", "sex", "birth_date", "status", "area_code")
    list_filter = ("status", "sex", "tags")
    search_fields = ("name", "name_pinyin")
    fields = (
        "name", "id_number_masked", "phone_masked", "sex", "birth_date", "status", "tags", "household",
        "relation_to_head", "home", "area_code", "created_at", "updated_at",
    )  # fmt: skip
    readonly_fields = (
        "name", "id_number_masked", "phone_masked", "sex", "birth_date", "home", "area_code", "created_at",
        "updated_at",
    )  # fmt: skip
    raw_id_fields = ("household",)
    filter_horizontal = ("tags",)
    inlines = (ContactInline,)

    def get_queryset(self, request):
        return super().get_queryset(request).defer("id_number", "phone")

    def get_search_results(self, request, queryset, search_term):
        """A whole ID number or phone is looked up by its blind index (the admin never sees ciphertext)."""
        key = parse_query(search_term)
        if key.kind in (KeyKind.ID_NUMBER, KeyKind.PHONE):
            from zhizhi.core import pii

            column = "id_number_hash" if key.kind == KeyKind.ID_NUMBER else "phone_hash"
            return queryset.filter(**{column: pii.blind_index(key.value)}), False
        return super().get_search_results(request, queryset, search_term)

    def has_add_permission(self, request):
        return False  # register through the app or an import, where the ID number is checked

    def save_model(self, request, obj, form, change):
        obj.updated_at = services.clock.now()
        super().save_model(request, obj, form, change)


@admin.register(Contact)
class ContactAdmin(AuditedAdmin):
    scope_field = "resident__area_code"
    list_display = ("name", "kind", "relation", "phone_masked", "resident")
    list_filter = ("kind",)
    search_fields = ("name", "resident__name")
    fields = ("resident", "kind", "name", "relation", "phone_masked", "priority")
    readonly_fields = ("resident", "phone_masked")
    list_select_related = ("resident",)

    def get_queryset(self, request):
        return super().get_queryset(request).defer("phone", "resident__id_number", "resident__phone")

    def has_add_permission(self, request):
        return False


@admin.register(ExportJob)
class ExportJobAdmin(ScopedAdmin):
    scope_field = "area_code"
    list_display = ("id", "kind", "status", "requested_by", "rows", "created_at", "finished_at")
    list_filter = ("kind", "status")
    fields = (
        "requested_by",
        "kind",
        "params",
        "status",
        "rows",
        "filename",
        "file_size",
        "error",
        "task_id",
        "created_at",
        "finished_at",
    )
    readonly_fields = fields
    list_select_related = ("requested_by",)

    def get_queryset(self, request):
        return super().get_queryset(request).defer("file")

    @admin.display(description=_("file size"))
    def file_size(self, obj):
        return len(obj.file or b"") if obj.status == "done" else 0

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
