"""The MQTT consumer behind `zhizhi ingest-mqtt`: Zigbee2MQTT topics → normalised events, nothing lost.

How nothing is lost or duplicated
  * MQTT 5, QoS 1, a persistent session (clean_start=False, a session expiry) under a *stable* client id, so
    the broker keeps what arrives while the consumer is away and resends what it had not acknowledged.
  * Manual acknowledgement: a message is acknowledged (PUBACK) only after the transaction that stored its
    events has committed. A crash before the commit: the broker redelivers. A crash between the commit and
    the acknowledgement: the broker redelivers and the events' dedup keys make the second write a no-op.
  * A failed write (database down) is retried with backoff while the messages stay unacknowledged.
  * Several consumers scale out with a shared subscription ``$share/<group>/<prefix>/#``: the broker hands
    each message to one member of the group.

Broker settings production needs (mosquitto.conf; EMQX has the equivalents)
    persistence true                  # sessions and queued messages survive a broker restart
    persistence_location /var/lib/mosquitto/
    autosave_interval 1               # or autosave_on_changes true: how much a broker *crash* can lose
    max_queued_messages 0             # 0 = no limit: never drop what a slow or absent consumer has not taken
    max_queued_bytes 0
    persistent_client_expiration 14d  # forget a consumer's session only after it has been gone that long
    max_inflight_messages 0           # MQTT 3 clients; MQTT 5 clients set Receive Maximum themselves
    set_tcp_nodelay true
  and publishers (the Zigbee2MQTT bridges) must publish with QoS 1 and their own persistent session
  (Zigbee2MQTT: ``mqtt.version: 5``, ``mqtt.qos: 1`` is not global — set ``qos: 1`` per device or
  ``device_options: {qos: 1}``), with ``advanced.last_seen: ISO_8601`` so every message carries its time.
  Mosquitto distributes a shared subscription round-robin, so two consumers may receive messages of the same
  device out of order; readings are applied in device time (see services.ingest). EMQX's
  ``shared_subscription_strategy = hash_topic`` keeps each device on one consumer.

Known limit (measured with Mosquitto 2.0.11): after a *broker* restart, a shared subscription restored from
the persistence file receives nothing until its consumer subscribes again (the consumer does so on every
resumed session), and what is published between the broker's restart and that resubscription is dropped. A
plain subscription (``--group ""``, one consumer) loses nothing across broker restarts (tests/sensors/
test_mqtt.py). So: with Mosquitto, scale out with shared subscriptions only where a broker restart is
announced (stop the bridges first) — or run EMQX, whose shared subscriptions survive restarts in a cluster.
"""

from __future__ import annotations

import logging
import queue
import signal
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlparse

import paho.mqtt.client as mqtt
from django.db import close_old_connections
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions

from zhizhi.core import clock

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Broker:
    host: str
    port: int
    username: str | None = None
    password: str | None = None

    @classmethod
    def from_url(cls, url: str) -> Broker:
        parsed = urlparse(url if "://" in url else f"mqtt://{url}")
        if parsed.scheme not in ("mqtt", "tcp"):
            raise ValueError(f"unsupported broker URL scheme {parsed.scheme!r} (use mqtt://host:port)")
        return cls(parsed.hostname or "127.0.0.1", parsed.port or 1883, parsed.username, parsed.password)


@dataclass
class ConsumerSettings:
    url: str = "mqtt://127.0.0.1:1883"
    prefixes: tuple[str, ...] = ("zigbee2mqtt",)
    group: str = "zhizhi"  # shared-subscription group; "" subscribes without sharing
    client_id: str = "zhizhi-ingest"
    batch_size: int = 500
    max_wait_s: float = 0.05
    session_expiry_s: int = 7 * 86400
    check_interval_s: float = 2.0  # alarms whose moment has come (services.tick)
    health_interval_s: float = 60.0
    run_checks: bool = True


def subscriptions(settings: ConsumerSettings) -> list[tuple[str, SubscribeOptions]]:
    topics = [f"{p}/#" for p in settings.prefixes]
    if settings.group:
        topics = [f"$share/{settings.group}/{t}" for t in topics]
    return [(t, SubscribeOptions(qos=1)) for t in topics]


class Consumer:
    def __init__(self, settings: ConsumerSettings, stop: threading.Event | None = None):
        self.settings = settings
        self.stop = stop or threading.Event()
        self.inbox: queue.Queue = queue.Queue()
        self.connected = threading.Event()
        self.stored = 0
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=settings.client_id,
            protocol=mqtt.MQTTv5,
            manual_ack=True,
        )
        broker = Broker.from_url(settings.url)
        if broker.username:
            self.client.username_pw_set(broker.username, broker.password)
        self.broker = broker
        self.client.reconnect_delay_set(min_delay=1, max_delay=30)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message

    # -- network thread -----------------------------------------------------------------------------
    def _on_connect(self, client, userdata, flags, reason_code, properties):
        if reason_code.is_failure:
            log.warning("MQTT connect refused: %s", reason_code)
            return
        topics = subscriptions(self.settings)
        if flags.session_present and self.settings.group:
            # Mosquitto 2.0.x restores a shared subscription from its persistence file after a restart but
            # delivers nothing to it; subscribing again repairs it (see the module's docstring).
            client.unsubscribe([t for t, _ in topics])
        client.subscribe(topics)
        self.connected.set()
        log.info(
            "connected to %s:%s (session present: %s)",
            self.broker.host,
            self.broker.port,
            flags.session_present,
        )

    def _on_disconnect(self, client, userdata, flags, reason_code, properties):
        self.connected.clear()
        if not self.stop.is_set():
            log.warning("MQTT disconnected (%s); reconnecting with backoff", reason_code)

    def _on_message(self, client, userdata, message):
        self.inbox.put(message)

    # -- main thread --------------------------------------------------------------------------------
    def start(self) -> None:
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = self.settings.session_expiry_s
        props.ReceiveMaximum = min(65535, max(20, 2 * self.settings.batch_size))
        self.client.connect_async(
            self.broker.host, self.broker.port, keepalive=30, clean_start=False, properties=props
        )
        self.client.loop_start()

    def close(self) -> None:
        self.stop.set()
        self.client.disconnect()
        self.client.loop_stop()

    def _batch(self, timeout: float) -> list:
        try:
            first = self.inbox.get(timeout=timeout)
        except queue.Empty:
            return []
        batch = [first]
        deadline = time.monotonic() + self.settings.max_wait_s
        while len(batch) < self.settings.batch_size:
            remaining = deadline - time.monotonic()
            try:
                batch.append(
                    self.inbox.get(timeout=max(0.0, remaining)) if remaining > 0 else self.inbox.get_nowait()
                )
            except queue.Empty:
                break
        return batch

    def _store(self, batch: list) -> None:
        from zhizhi.sensors.services.ingest import Inbound, ingest

        now = clock.now()
        items = [Inbound(m.topic, m.payload, now) for m in batch]
        delay = 0.5
        while True:
            try:
                ingest(items, self.settings.prefixes)
                break
            except Exception:  # noqa: BLE001 - database trouble: keep the messages unacknowledged, retry
                log.exception("storing a batch of %d messages failed; retrying in %.1f s", len(items), delay)
                close_old_connections()
                if self.stop.wait(delay):
                    return  # stopping: the broker will redeliver what was not acknowledged
                delay = min(delay * 2, 30.0)
        for message in batch:  # only now, after the commit
            self.client.ack(message.mid, message.qos)
        self.stored += len(batch)

    def _periodic(self, state: dict) -> None:
        if not self.settings.run_checks:
            return
        now = time.monotonic()
        if now < state.get("next_check", 0.0):
            return
        health = now >= state.get("next_health", 0.0)
        from zhizhi.sensors.services import tick

        try:
            tick(health_check=health)
        except Exception:  # noqa: BLE001 - the next tick retries; ingestion goes on
            log.exception("periodic sensor checks failed")
            close_old_connections()
        state["next_check"] = now + self.settings.check_interval_s
        if health:
            state["next_health"] = now + self.settings.health_interval_s

    def run(self, max_messages: int | None = None) -> int:
        """Consume until stopped (or `max_messages` stored); returns how many messages were stored."""
        self.start()
        state: dict = {}
        try:
            while not self.stop.is_set():
                batch = self._batch(timeout=min(0.5, self.settings.check_interval_s))
                if batch:
                    self._store(batch)
                self._periodic(state)
                if max_messages is not None and self.stored >= max_messages:
                    break
        finally:
            self.close()
        return self.stored


def stop_on_signals(stop: threading.Event) -> None:
    def handler(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
