"""Fixtures of the sensors tests: 张阿姨's flat in grid A1, a front-door contact on a Zigbee2MQTT bridge."""

from __future__ import annotations

import datetime as dt
import socket

import pytest

from zhizhi.sensors.models import Gateway
from zhizhi.sensors.services import devices, watch

PREFIX = "zigbee2mqtt"
MONDAY_NOON = dt.datetime(2026, 3, 2, 4, 0, tzinfo=dt.UTC)  # 12:00 in Shanghai


def broker_up(host: str = "127.0.0.1", port: int = 1883) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
def gateway(db):
    return Gateway.objects.create(name=PREFIX)


@pytest.fixture
def door(street, personas, gateway):
    """张阿姨's front door (friendly name zhang-door), installed and bound to her."""
    return devices.register_device(
        None,
        vendor_id="0x00158d0001aa0001",
        friendly_name="zhang-door",
        gateway=gateway,
        dwelling=street.dwelling_a1,
        residents=[personas["zhang_record"]],
    )


@pytest.fixture
def zhang_watch(door, personas):
    return watch.watch_resident(personas["admin"], personas["zhang_record"])


@pytest.fixture
def clock_at():
    """Freeze the clock at a given moment: `fake = clock_at(moment)`; moved with fake.advance(...)."""
    from zhizhi.core import clock

    stack = []

    def freeze(moment: dt.datetime):
        manager = clock.frozen(moment)
        fake = manager.__enter__()
        stack.append(manager)
        return fake

    yield freeze
    while stack:
        stack.pop().__exit__(None, None, None)
