"""Back office for welfare data: programmes, partners and standards (administrators), and scoped read views of
profiles, enrolments, case files and deliveries. State changes go through the pages and API (services)."""

from __future__ import annotations

from django.contrib import admin

from zhizhi.core.admin import ReadOnlyScopedAdmin, ScopedAdmin
from zhizhi.core.roles import Role
from zhizhi.welfare.models import (
    CaseFile,
    Disbursement,
    Enrolment,
    ExchangeBatch,
    LocalStandard,
    Partner,
    PartnerAccount,
    Programme,
    WelfareProfile,
)


class AdminOnly(admin.ModelAdmin):
    def _allowed(self, request) -> bool:
        return request.user.is_active and (request.user.is_superuser or request.user.role == Role.ADMIN)

    def has_module_permission(self, request):
        return self._allowed(request)

    def has_view_permission(self, request, obj=None):
        return self._allowed(request)

    def has_change_permission(self, request, obj=None):
        return self._allowed(request)

    def has_add_permission(self, request):
        return self._allowed(request)

    def has_delete_permission(self, request, obj=None):
        return False


ReadOnlyScoped = ReadOnlyScopedAdmin


@admin.register(Programme)
class ProgrammeAdmin(AdminOnly):
    list_display = (
        "position",
        "code",
        "name",
        "target",
        "benefit_kind",
        "amount",
        "unit",
        "cycle",
        "partner",
        "active",
    )
    list_display_links = ("code", "name")
    list_filter = ("target", "benefit_kind", "cycle", "active")
    readonly_fields = ("rule",)  # changed through the rule editor, which checks and previews it


@admin.register(Partner)
class PartnerAdmin(AdminOnly):
    list_display = ("code", "name", "delivery", "id_mode", "endpoint_url", "active")


@admin.register(LocalStandard)
class LocalStandardAdmin(AdminOnly):
    list_display = ("code", "area_code", "amount", "valid_from", "note")


@admin.register(WelfareProfile)
class WelfareProfileAdmin(ScopedAdmin):
    scope_field = "resident__area_code"
    list_display = (
        "resident",
        "disability_grade",
        "disability_kind",
        "chronic_illness",
        "monthly_income",
        "updated_at",
    )
    list_select_related = ("resident",)
    raw_id_fields = ("resident", "updated_by")
    search_fields = ("resident__name",)


@admin.register(PartnerAccount)
class PartnerAccountAdmin(AdminOnly):
    list_display = ("partner", "household", "resident", "account_number")
    raw_id_fields = ("household", "resident")


@admin.register(Enrolment)
class EnrolmentAdmin(ReadOnlyScoped):
    list_display = ("programme", "resident", "household", "status", "flagged", "area_code", "matched_at")
    list_filter = ("programme", "status", "flagged")
    list_select_related = ("programme", "resident", "household")


@admin.register(CaseFile)
class CaseFileAdmin(ReadOnlyScoped):
    list_display = ("resident", "area_code", "risk_level", "risk_score", "advisor", "next_visit_due")
    list_filter = ("risk_level", "status")
    list_select_related = ("resident", "advisor")


@admin.register(ExchangeBatch)
class ExchangeBatchAdmin(AdminOnly):
    list_display = (
        "reference",
        "partner",
        "period",
        "status",
        "line_count",
        "accepted",
        "rejected",
        "created_at",
    )
    list_filter = ("status", "partner")

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Disbursement)
class DisbursementAdmin(ReadOnlyScoped):
    list_display = ("programme", "period", "payee_key", "amount", "unit", "status", "reason", "batch")
    list_filter = ("programme", "status", "period")
    list_select_related = ("programme", "batch")
