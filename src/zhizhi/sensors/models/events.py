"""What devices said: append-only normalised events, messages that could not be read, devices not yet bound,
and maintenance tickets (sensor health — never an elder alarm)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class EventKind(models.TextChoices):
    OPEN = "open", pgettext_lazy("door event", "Opened")
    CLOSE = "close", pgettext_lazy("door event", "Closed")  # not a case's 已结案
    HEARTBEAT = "heartbeat", _("Heartbeat")
    BATTERY = "battery", _("Battery")
    OFFLINE = "offline", _("Offline")
    ONLINE = "online", _("Online")
    TAMPER = "tamper", _("Tampered")


class Source(models.TextChoices):
    MQTT = "mqtt", _("MQTT")
    HTTP = "http", _("HTTP gateway")


class SensorEvent(models.Model):
    """传感事件 — one normalised event, append-only, unique by its dedup key (so redelivery is harmless)."""

    id = models.BigAutoField(primary_key=True)
    # no index on device alone: (device, at) serves it, and each index is written per event (ingestion)
    device = models.ForeignKey(
        "sensors.Device", on_delete=models.PROTECT, related_name="events", db_index=False
    )
    kind = models.CharField(_("kind"), max_length=16, choices=EventKind.choices)
    at = models.DateTimeField(_("time"))
    received_at = models.DateTimeField(_("received"))
    dedup_key = models.CharField(max_length=64)  # unique: Meta.constraints (no varchar_pattern_ops twin)
    source = models.CharField(_("source"), max_length=8, choices=Source.choices, default=Source.MQTT)
    data = models.JSONField(_("data"), default=dict, blank=True)

    class Meta:
        verbose_name = _("sensor event")
        verbose_name_plural = _("sensor events")
        ordering = ["device", "at", "id"]
        indexes = [models.Index(fields=["device", "at"], name="sensorevent_device_at")]
        constraints = [models.UniqueConstraint(fields=["dedup_key"], name="sensorevent_dedup_key")]

    def __str__(self) -> str:
        return f"{self.device_id} {self.kind} {self.at:%Y-%m-%d %H:%M:%S}"


class DeadLetter(models.Model):
    """死信 — a message that could not be read, kept whole with the reason."""

    received_at = models.DateTimeField(_("received"), db_index=True)
    source = models.CharField(_("source"), max_length=8, choices=Source.choices)
    topic = models.CharField(_("topic"), max_length=255, blank=True)
    payload = models.TextField(_("payload"), blank=True)
    reason = models.CharField(_("reason"), max_length=255)

    class Meta:
        verbose_name = _("dead letter")
        verbose_name_plural = _("dead letters")
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.topic}: {self.reason}"


class UnknownDevice(models.Model):
    """待绑定设备 — a device that reports but is not registered yet; bind it to make its messages count."""

    gateway_name = models.CharField(_("gateway"), max_length=64)
    identifier = models.CharField(_("identifier"), max_length=128)
    first_seen_at = models.DateTimeField(_("first seen"))
    last_seen_at = models.DateTimeField(_("last seen"))
    messages = models.PositiveIntegerField(_("messages"), default=0)
    last_payload = models.TextField(_("last payload"), blank=True)
    bound_device = models.ForeignKey(
        "sensors.Device", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("unknown device")
        verbose_name_plural = _("unknown devices")
        ordering = ["-last_seen_at"]
        constraints = [
            models.UniqueConstraint(fields=["gateway_name", "identifier"], name="unknown_device_once"),
        ]

    def __str__(self) -> str:
        return f"{self.gateway_name}/{self.identifier}"


class TicketKind(models.TextChoices):
    SILENT = "silent", _("Silent beyond its reporting rhythm")
    LOW_BATTERY = "low_battery", _("Low battery")
    OFFLINE = "offline", _("Device offline")
    BRIDGE_DOWN = "bridge_down", _("Gateway or bridge down")
    TAMPER = "tamper", _("Tampered")


class TicketStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", pgettext_lazy("maintenance ticket", "Closed")


class MaintenanceTicket(models.Model):
    """维护工单 — a sensor or gateway needs a technician; opened and closed by the health check."""

    device = models.ForeignKey(
        "sensors.Device", null=True, blank=True, on_delete=models.CASCADE, related_name="tickets"
    )
    gateway = models.ForeignKey(
        "sensors.Gateway", null=True, blank=True, on_delete=models.CASCADE, related_name="tickets"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=TicketKind.choices)
    status = models.CharField(
        _("status"), max_length=8, choices=TicketStatus.choices, default=TicketStatus.OPEN
    )
    area_code = models.CharField(_("area code"), max_length=14, blank=True, db_index=True)
    detail = models.CharField(_("detail"), max_length=200, blank=True)
    opened_at = models.DateTimeField(_("opened"))
    closed_at = models.DateTimeField(pgettext_lazy("maintenance ticket", "closed"), null=True, blank=True)

    class Meta:
        verbose_name = _("maintenance ticket")
        verbose_name_plural = _("maintenance tickets")
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["device", "kind"],
                condition=models.Q(status="open", device__isnull=False),
                name="one_open_ticket_per_device_kind",
            ),
            models.UniqueConstraint(
                fields=["gateway", "kind"],
                condition=models.Q(status="open", gateway__isnull=False),
                name="one_open_ticket_per_gateway_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_status_display()})"
