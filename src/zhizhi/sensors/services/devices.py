"""Registering gateways and devices, installing and removing them, binding them to residents."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from zhizhi.areas.models import Dwelling
from zhizhi.core import audit, clock
from zhizhi.core.errors import Conflict, Forbidden, InvalidInput
from zhizhi.core.models import AuditAction
from zhizhi.core.permissions import in_scope
from zhizhi.core.roles import Role
from zhizhi.sensors.models import (
    Device,
    DeviceKind,
    Gateway,
    GatewayKind,
    Installation,
    UnknownDevice,
    Watch,
)

MANAGING_ROLES = frozenset({Role.ADMIN, Role.COMMUNITY_STAFF, Role.GRID_WORKER})


def require_manage(actor: Any, area_code: str = "") -> None:
    system = actor is None
    if not system and (getattr(actor, "role", None) not in MANAGING_ROLES or not in_scope(actor, area_code)):
        raise Forbidden("you may not manage sensors here")


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def register_gateway(
    actor: Any, name: str, kind: str = GatewayKind.ZIGBEE2MQTT, area_code: str = ""
) -> tuple:
    """A gateway; an HTTP gateway gets an API key, shown once (only its hash is kept)."""
    require_manage(actor, area_code)
    name = str(name or "").strip()
    if not name or len(name) > 64:
        raise InvalidInput("name is required (at most 64 characters)", field="name")
    if kind not in GatewayKind.values:
        raise InvalidInput(f"kind must be one of {', '.join(GatewayKind.values)}", field="kind")
    key = secrets.token_urlsafe(32) if kind == GatewayKind.HTTP else ""
    try:
        with transaction.atomic():
            gateway = Gateway.objects.create(
                name=name, kind=kind, area_code=area_code, api_key_hash=hash_key(key) if key else ""
            )
            audit.record(actor, AuditAction.CREATE, obj=gateway, summary=f"gateway {name}")
    except IntegrityError as exc:
        raise Conflict(f"gateway {name} exists", field="name") from exc
    return gateway, key


def gateway_for_key(key: str) -> Gateway | None:
    if not key:
        return None
    return Gateway.objects.filter(kind=GatewayKind.HTTP, api_key_hash=hash_key(key)).first()


def register_device(
    actor: Any,
    *,
    vendor_id: str,
    friendly_name: str = "",
    gateway: Gateway | None = None,
    kind: str = DeviceKind.DOOR,
    dwelling: Dwelling | None = None,
    residents: list | tuple = (),
    is_entrance: bool = True,
    report_interval_h: float = 25.0,
) -> Device:
    """Register a device, optionally installed at a dwelling and bound to residents at once."""
    vendor_id = str(vendor_id or "").strip()
    if not vendor_id or len(vendor_id) > 64:
        raise InvalidInput("vendor_id is required (at most 64 characters)", field="vendor_id")
    if kind not in DeviceKind.values:
        raise InvalidInput(f"kind must be one of {', '.join(DeviceKind.values)}", field="kind")
    friendly_name = str(friendly_name or "").strip()
    if len(friendly_name) > 128:
        raise InvalidInput(_("At most 128 characters."), field="friendly_name")
    require_manage(actor, dwelling.area_code if dwelling else "")
    now = clock.now()
    try:
        with transaction.atomic():
            device = Device.objects.create(
                vendor_id=vendor_id,
                friendly_name=(friendly_name or vendor_id)[:128],
                gateway=gateway,
                kind=kind,
                is_entrance=is_entrance,
                report_interval_h=report_interval_h,
                created_at=now,
            )
            if dwelling is not None:
                _install(actor, device, dwelling, now)
            if residents:
                device.residents.set(residents)
            where = f" at {dwelling.address}" if dwelling is not None else ""
            audit.record(
                actor, AuditAction.CREATE, obj=device, summary=f"device {device.friendly_name}{where}"
            )
            seen = UnknownDevice.objects.filter(identifier__in={vendor_id, device.friendly_name})
            if gateway is not None:
                seen = seen.filter(gateway_name=gateway.name)
            seen.update(bound_device=device)
    except IntegrityError as exc:
        raise Conflict(_("A device with this vendor id or name exists."), field="vendor_id") from exc
    return device


def residents_of(dwelling: Dwelling) -> list:
    """The residents living at a dwelling: an active residence there, or it is their home."""
    from zhizhi.people.models import Resident, ResidentStatus

    return list(
        Resident.objects.filter(
            Q(residences__dwelling=dwelling) | Q(home=dwelling), status=ResidentStatus.ACTIVE
        )
        .distinct()
        .order_by("name", "pk")
    )


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) else None


def _install(actor: Any, device: Device, dwelling: Dwelling, now, note: str = "") -> None:
    device.dwelling, device.area_code, device.active = dwelling, dwelling.area_code, True
    device.save(update_fields=["dwelling", "area_code", "active"])
    Installation.objects.create(
        device=device, dwelling=dwelling, installed_at=now, installed_by=_user(actor), note=note[:200]
    )


def _watched(device: Device) -> set[int]:
    """Watches of the residents bound to a device (refreshed after the binding changes)."""
    return set(Watch.objects.filter(resident__sensor_devices=device).values_list("pk", flat=True))


def _refresh_later(watch_ids: set[int]) -> None:
    """After commit, recompute the next possible alarm of the people whose devices changed."""

    def run() -> None:
        from zhizhi.sensors.services.watch import refresh

        for watch in Watch.objects.filter(pk__in=watch_ids).select_related("resident"):
            refresh(watch)

    if watch_ids:
        transaction.on_commit(run)


def _clean_note(note: str, field: str, *, required: bool = False) -> str:
    note = str(note or "").strip()
    if required and not note:
        raise InvalidInput(_("Say why."), field=field)
    if len(note) > 200:
        raise InvalidInput(_("At most 200 characters."), field=field)
    return note


def install_device(actor: Any, device: Device, dwelling: Dwelling, note: str = "") -> Device:
    """Install (or move, "rebind") a device at a dwelling: the open installation ends, a new one starts,
    and the device is bound to the residents living there. The actor must manage both places."""
    if dwelling is None:
        raise InvalidInput(_("Choose a dwelling."), field="dwelling")
    require_manage(actor, dwelling.area_code)
    if device.area_code and device.active:
        require_manage(actor, device.area_code)
    note = _clean_note(note, "note")
    with transaction.atomic():
        device = Device.objects.select_for_update().get(pk=device.pk)
        before = {"dwelling": device.dwelling_id, "active": device.active}
        touched = _watched(device)
        now = clock.now()
        _remove(actor, device, now, _("moved to %(address)s") % {"address": dwelling.address})
        _install(actor, device, dwelling, now, note)
        residents = residents_of(dwelling)
        device.residents.set(residents)
        touched |= _watched(device)
        audit.record(
            actor,
            AuditAction.UPDATE,
            obj=device,
            summary=f"installed {device.friendly_name} at {dwelling.address}",
            changes=audit.diff(before, {"dwelling": dwelling.pk, "active": True})
            | {"residents": [r.pk for r in residents]},
        )
    _refresh_later(touched)
    return device


def _remove(actor: Any, device: Device, now, reason: str = "") -> None:
    Installation.objects.filter(device=device, removed_at__isnull=True).update(
        removed_at=now, removed_by=_user(actor), removed_reason=reason[:200]
    )


def remove_device(actor: Any, device: Device, note: str = "", *, reason_required: bool = False) -> Device:
    """Take a device out of service: its installation ends with the reason and nobody is bound to it."""
    require_manage(actor, device.area_code)
    note = _clean_note(note, "reason", required=reason_required)
    with transaction.atomic():
        device = Device.objects.select_for_update().get(pk=device.pk)
        if not device.active:
            raise Conflict(_("The device is not installed."), field="status")
        touched = _watched(device)
        _remove(actor, device, clock.now(), note)
        device.active = False
        device.save(update_fields=["active"])
        device.residents.clear()
        audit.record(
            actor,
            AuditAction.UPDATE,
            obj=device,
            summary=f"removed {device.friendly_name}: {note}"[:255],
            changes={"active": ["True", "False"]},
        )
    _refresh_later(touched)
    return device


def bind_residents(actor: Any, device: Device, residents: list) -> Device:
    require_manage(actor, device.area_code)
    for resident in residents:
        if device.area_code and not resident.area_code.startswith(device.area_code[:12]):
            raise InvalidInput(f"{resident} does not live in this device's community", field="residents")
    with transaction.atomic():
        touched = _watched(device)
        device.residents.set(residents)
        touched |= _watched(device)
        audit.record(actor, AuditAction.UPDATE, obj=device, summary=f"bound to {len(residents)} resident(s)")
    _refresh_later(touched)
    return device


def bind_unknown(
    actor: Any,
    unknown: UnknownDevice,
    *,
    vendor_id: str = "",
    friendly_name: str = "",
    kind: str = DeviceKind.DOOR,
    dwelling: Dwelling | None = None,
    is_entrance: bool = True,
    report_interval_h: float = 25.0,
) -> Device:
    """Register a device from the unknown-devices list, installed at `dwelling` and bound to the residents
    living there (one transaction). What identifies its messages is kept: a Zigbee2MQTT device is matched by
    its topic name, so its friendly name is the identifier; a vendor gateway's device by its vendor id, so
    that is the identifier and the friendly name is free."""
    gateway = Gateway.objects.filter(name=unknown.gateway_name).first()
    http = gateway is not None and gateway.kind == GatewayKind.HTTP
    if http:
        vendor_id, friendly_name = unknown.identifier, str(friendly_name or "").strip() or unknown.identifier
    else:
        vendor_id, friendly_name = str(vendor_id or "").strip() or unknown.identifier, unknown.identifier
    if len(friendly_name) > 128:
        raise InvalidInput(_("At most 128 characters."), field="friendly_name")
    if dwelling is not None:
        require_manage(actor, dwelling.area_code)
    with transaction.atomic():
        row = UnknownDevice.objects.select_for_update().filter(pk=unknown.pk).first()
        if row is None or row.bound_device_id is not None:
            raise Conflict(_("This device has been bound already."), field="unknown")
        device = register_device(
            actor,
            vendor_id=vendor_id,
            friendly_name=friendly_name,
            gateway=gateway,
            kind=kind,
            dwelling=dwelling,
            residents=residents_of(dwelling) if dwelling is not None else (),
            is_entrance=is_entrance,
            report_interval_h=report_interval_h,
        )
        row.bound_device = device
        row.save(update_fields=["bound_device"])
    _refresh_later(_watched(device))
    return device
