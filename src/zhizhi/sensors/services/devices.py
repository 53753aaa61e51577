"""Registering gateways and devices, installing and removing them, binding them to residents."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.db import IntegrityError, transaction

from zhizhi.areas.models import Dwelling
from zhizhi.core import audit, clock
from zhizhi.core.errors import Conflict, Forbidden, InvalidInput
from zhizhi.core.models import AuditAction
from zhizhi.core.permissions import in_scope
from zhizhi.core.roles import Role
from zhizhi.sensors.models import Device, DeviceKind, Gateway, GatewayKind, Installation, UnknownDevice

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
            audit.record(actor, AuditAction.CREATE, obj=device, summary=f"device {device.friendly_name}")
    except IntegrityError as exc:
        raise Conflict("a device with this vendor id or name exists", field="vendor_id") from exc
    UnknownDevice.objects.filter(identifier__in={vendor_id, device.friendly_name}).update(bound_device=device)
    return device


def _install(actor: Any, device: Device, dwelling: Dwelling, now) -> None:
    device.dwelling, device.area_code, device.active = dwelling, dwelling.area_code, True
    device.save(update_fields=["dwelling", "area_code", "active"])
    Installation.objects.create(
        device=device,
        dwelling=dwelling,
        installed_at=now,
        installed_by=actor if getattr(actor, "pk", None) else None,
    )


def install_device(actor: Any, device: Device, dwelling: Dwelling, note: str = "") -> Device:
    require_manage(actor, dwelling.area_code)
    with transaction.atomic():
        now = clock.now()
        if device.dwelling_id and device.active:
            _remove(actor, device, now)
        _install(actor, device, dwelling, now)
        audit.record(actor, AuditAction.UPDATE, obj=device, summary=f"installed at {dwelling}")
    return device


def _remove(actor: Any, device: Device, now) -> None:
    Installation.objects.filter(device=device, removed_at__isnull=True).update(
        removed_at=now, removed_by=actor if getattr(actor, "pk", None) else None
    )


def remove_device(actor: Any, device: Device, note: str = "") -> Device:
    require_manage(actor, device.area_code)
    with transaction.atomic():
        _remove(actor, device, clock.now())
        device.active = False
        device.save(update_fields=["active"])
        device.residents.clear()
        audit.record(actor, AuditAction.UPDATE, obj=device, summary=f"removed {note}"[:255])
    return device


def bind_residents(actor: Any, device: Device, residents: list) -> Device:
    require_manage(actor, device.area_code)
    for resident in residents:
        if device.area_code and not resident.area_code.startswith(device.area_code[:12]):
            raise InvalidInput(f"{resident} does not live in this device's community", field="residents")
    with transaction.atomic():
        device.residents.set(residents)
        audit.record(actor, AuditAction.UPDATE, obj=device, summary=f"bound to {len(residents)} resident(s)")
    return device


def bind_unknown(actor: Any, unknown: UnknownDevice, **fields) -> Device:
    """Register a device from the unknown-devices list (its name as the friendly name)."""
    gateway = Gateway.objects.filter(name=unknown.gateway_name).first()
    return register_device(
        actor,
        vendor_id=fields.pop("vendor_id", unknown.identifier),
        friendly_name=unknown.identifier,
        gateway=gateway,
        **fields,
    )
