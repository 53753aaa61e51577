"""Devices, the gateways they report through, and where they are installed."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class DeviceKind(models.TextChoices):
    DOOR = "door", _("Door contact")
    MOTION = "motion", _("Motion sensor")
    WATER = "water", _("Water meter")
    SMOKE = "smoke", _("Smoke alarm")


class GatewayKind(models.TextChoices):
    ZIGBEE2MQTT = "zigbee2mqtt", _("Zigbee2MQTT bridge")
    HTTP = "http", _("Vendor gateway (HTTP)")


class Gateway(models.Model):
    """网关 — a Zigbee2MQTT bridge (its base topic) or a vendor gateway posting JSON batches over HTTP."""

    name = models.CharField(
        _("name"), max_length=64, unique=True, help_text=_("MQTT base topic or vendor id")
    )
    kind = models.CharField(
        _("kind"), max_length=16, choices=GatewayKind.choices, default=GatewayKind.ZIGBEE2MQTT
    )
    area_code = models.CharField(_("area code"), max_length=14, blank=True, db_index=True)
    online = models.BooleanField(_("online"), default=True)
    state_changed_at = models.DateTimeField(_("state changed"), null=True, blank=True)
    last_seen_at = models.DateTimeField(_("last seen"), null=True, blank=True)
    api_key_hash = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        verbose_name = _("gateway")
        verbose_name_plural = _("gateways")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Device(models.Model):
    """智能门磁等设备 — one sensor, installed at a dwelling and bound to the residents who live there.

    The state columns (contact_open … last_activity_at) are the last known state, kept by ingestion so that
    events can be derived from changes; the events themselves are append-only rows (SensorEvent).
    """

    vendor_id = models.CharField(_("vendor id"), max_length=64, unique=True, help_text=_("e.g. IEEE address"))
    friendly_name = models.CharField(_("friendly name"), max_length=128)
    kind = models.CharField(_("kind"), max_length=16, choices=DeviceKind.choices, default=DeviceKind.DOOR)
    gateway = models.ForeignKey(
        Gateway,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="devices",
        verbose_name=_("gateway"),
    )
    dwelling = models.ForeignKey(
        "areas.Dwelling",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("dwelling"),
    )
    area_code = models.CharField(_("area code"), max_length=14, blank=True, db_index=True)
    residents = models.ManyToManyField(
        "people.Resident", blank=True, related_name="sensor_devices", verbose_name=_("residents")
    )
    is_entrance = models.BooleanField(_("front door"), default=True)
    active = models.BooleanField(_("installed"), default=True)
    contact_open = models.BooleanField(_("open"), null=True, blank=True)
    battery = models.PositiveSmallIntegerField(_("battery %"), null=True, blank=True)
    battery_low = models.BooleanField(_("battery low"), default=False)
    voltage = models.PositiveIntegerField(_("voltage (mV)"), null=True, blank=True)
    linkquality = models.PositiveSmallIntegerField(_("link quality"), null=True, blank=True)
    tamper = models.BooleanField(_("tampered"), default=False)
    online = models.BooleanField(_("online"), default=True)
    state_at = models.DateTimeField(null=True, blank=True, editable=False)
    availability_changed_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_seen_at = models.DateTimeField(_("last message"), null=True, blank=True)
    last_activity_at = models.DateTimeField(_("last opened or closed"), null=True, blank=True)
    report_interval_h = models.FloatField(
        _("reporting rhythm (hours)"),
        default=25.0,
        help_text=_("Silent longer than this: maintenance ticket."),
    )
    created_at = models.DateTimeField(_("created"))

    class Meta:
        verbose_name = _("device")
        verbose_name_plural = _("devices")
        ordering = ["area_code", "friendly_name"]
        constraints = [
            models.UniqueConstraint(fields=["gateway", "friendly_name"], name="device_name_per_gateway"),
        ]

    def __str__(self) -> str:
        return self.friendly_name


class Installation(models.Model):
    """安装记录 — a device installed at a dwelling (and, later, removed)."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="installations")
    dwelling = models.ForeignKey("areas.Dwelling", on_delete=models.PROTECT, related_name="+")
    installed_at = models.DateTimeField(_("installed"))
    removed_at = models.DateTimeField(_("removed"), null=True, blank=True)
    installed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    removed_reason = models.CharField(_("why removed"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("installation")
        verbose_name_plural = _("installations")
        ordering = ["-installed_at"]

    def __str__(self) -> str:
        return f"{self.device} @ {self.dwelling}"
