"""Back office for the sensors app, scoped like the services (core.admin.ScopedAdmin)."""

from __future__ import annotations

from django.contrib import admin

from zhizhi.core.admin import ReadOnlyScopedAdmin, ScopedAdmin
from zhizhi.sensors.models import (
    Alarm,
    DeadLetter,
    Device,
    Gateway,
    Installation,
    MaintenanceTicket,
    ThresholdChange,
    UnknownDevice,
    Watch,
)


class InstallationInline(admin.TabularInline):
    model = Installation
    extra = 0
    readonly_fields = ("dwelling", "installed_at", "removed_at", "installed_by", "removed_by")
    can_delete = False


@admin.register(Device)
class DeviceAdmin(ScopedAdmin):
    list_display = (
        "friendly_name",
        "vendor_id",
        "kind",
        "gateway",
        "area_code",
        "battery",
        "online",
        "last_seen_at",
    )
    list_filter = ("kind", "online", "battery_low", "active")
    search_fields = ("friendly_name", "vendor_id")
    raw_id_fields = ("dwelling", "residents")
    readonly_fields = (
        "contact_open",
        "battery",
        "battery_low",
        "voltage",
        "linkquality",
        "tamper",
        "online",
        "last_seen_at",
        "last_activity_at",
        "created_at",
    )
    inlines = [InstallationInline]


@admin.register(Gateway)
class GatewayAdmin(ScopedAdmin):
    list_display = ("name", "kind", "area_code", "online", "last_seen_at")
    list_filter = ("kind", "online")


@admin.register(Watch)
class WatchAdmin(ScopedAdmin):
    list_display = ("resident", "area_code", "enabled", "last_activity_at", "next_check_at", "learned_at")
    list_filter = ("enabled",)
    raw_id_fields = ("resident",)
    readonly_fields = ("last_activity_at", "created_at")


@admin.register(ThresholdChange)
class ThresholdChangeAdmin(ReadOnlyScopedAdmin):
    """The record of tuning decisions; changed only through the tuning pages, never here."""

    scope_field = "watch__area_code"
    list_display = (
        "proposed_at",
        "watch",
        "parameter",
        "before",
        "after",
        "status",
        "decided_by",
        "automatic",
    )
    list_filter = ("status", "parameter", "automatic")
    date_hierarchy = "proposed_at"


@admin.register(Alarm)
class AlarmAdmin(ScopedAdmin):
    list_display = ("raised_at", "resident", "kind", "status", "step", "outcome", "case_number")
    list_filter = ("kind", "status", "outcome")
    date_hierarchy = "raised_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # alarms change through their pages and services (ladder, outcome)


@admin.register(MaintenanceTicket)
class MaintenanceTicketAdmin(ScopedAdmin):
    list_display = ("opened_at", "kind", "device", "gateway", "status", "closed_at", "detail")
    list_filter = ("kind", "status")


@admin.register(DeadLetter)
class DeadLetterAdmin(admin.ModelAdmin):
    list_display = ("received_at", "source", "topic", "reason")
    list_filter = ("source",)
    search_fields = ("topic", "reason")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(UnknownDevice)
class UnknownDeviceAdmin(admin.ModelAdmin):
    list_display = ("gateway_name", "identifier", "messages", "first_seen_at", "last_seen_at", "bound_device")
    search_fields = ("identifier",)
