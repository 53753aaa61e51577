"""Publishing as a Zigbee2MQTT bridge would: the `zhizhi sensors replay` command, tests and the benchmark.

Each open/close of a log becomes a ``<prefix>/<friendly name>`` message with ``contact`` (false = open) and
``last_seen``; sensor names are turned into topic-safe friendly names (see `friendly_name`). With --speed N
the log plays N times faster than real time (0: as fast as the broker takes it); timestamps are shifted so the
first event happens now (``last_seen`` carries the log's own pace, so at --speed N it runs ahead of the
clock). Ingestion believes a ``last_seen`` at most 10 minutes ahead of its own clock (`zigbee.MAX_AHEAD`):
beyond that a firing is stamped on arrival, so an accelerated replay into a live consumer lands at the pace
it is played.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
from collections.abc import Iterable

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from zhizhi.sensors import zigbee
from zhizhi.sensors.detection.events import Activity
from zhizhi.sensors.mqtt import Broker


def friendly_name(sensor: str) -> str:
    """'Hall-Bedroom door' → 'hall-bedroom-door' (MQTT topic safe)."""
    name = re.sub(r"[^0-9A-Za-z_\-一-鿿]+", "-", sensor.strip()).strip("-").lower()
    return name or "sensor"


class Publisher:
    """A QoS 1 publisher that keeps at most `window` messages unacknowledged and reconnects by itself."""

    def __init__(self, url: str, client_id: str = "", window: int = 1000, session_expiry_s: int = 300):
        self.broker = Broker.from_url(url)
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
        if self.broker.username:
            self.client.username_pw_set(self.broker.username, self.broker.password)
        self.client.max_inflight_messages_set(window)
        self.client.max_queued_messages_set(0)
        self.client.reconnect_delay_set(1, 5)
        self.window = threading.Semaphore(window)
        self.acked = 0
        self.published = 0
        self._lock = threading.Lock()
        self.connected = threading.Event()
        self.client.on_connect = lambda c, u, f, rc, p: self.connected.set() if not rc.is_failure else None
        self.client.on_disconnect = lambda c, u, f, rc, p: self.connected.clear()
        self.client.on_publish = self._on_publish
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = session_expiry_s
        self.client.connect_async(
            self.broker.host, self.broker.port, keepalive=30, clean_start=not client_id, properties=props
        )
        self.client.loop_start()
        if not self.connected.wait(10):
            self.close()
            raise ConnectionError(f"cannot reach the MQTT broker at {url}")

    def _on_publish(self, client, userdata, mid, reason_code, properties):
        with self._lock:
            self.acked += 1
        self.window.release()

    def publish(self, topic: str, payload: str, qos: int = 1) -> None:
        self.window.acquire()
        with self._lock:
            self.published += 1
        self.client.publish(topic, payload, qos=qos)

    def flush(self, timeout: float = 30.0) -> bool:
        """Wait until every message published so far is acknowledged by the broker."""
        deadline = time.monotonic() + timeout
        while self.acked < self.published and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.acked >= self.published

    def close(self) -> None:
        self.flush(5)
        self.client.disconnect()
        self.client.loop_stop()


def messages(events: Iterable[Activity], prefix: str, start: dt.datetime) -> Iterable[tuple[float, str, str]]:
    """(offset seconds from the first event, topic, payload) for each event of a log."""
    first = None
    for event in events:
        first = event.at if first is None else first
        offset = event.at - first
        payload = zigbee.state_payload(not event.opened, last_seen=start + dt.timedelta(seconds=offset))
        yield offset, f"{prefix}/{friendly_name(event.sensor)}", payload


def replay_log(events: list[Activity], options: dict, out) -> int:
    speed = float(options.get("speed") or 0)
    publisher = Publisher(options["mqtt"])
    start = dt.datetime.now(dt.UTC)
    began = time.monotonic()
    sent = 0
    try:
        for offset, topic, payload in messages(events, options["prefix"], start):
            if speed > 0:
                wait = offset / speed - (time.monotonic() - began)
                if wait > 0:
                    time.sleep(wait)
            publisher.publish(topic, payload)
            sent += 1
        publisher.flush()
    finally:
        publisher.close()
    names = sorted({friendly_name(e.sensor) for e in events})
    out.write(
        f"published {sent} message(s) for {len(names)} sensor(s) under {options['prefix']}/: "
        + ", ".join(names)
    )
    return sent
