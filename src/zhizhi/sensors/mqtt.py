"""The MQTT consumer behind `zhizhi ingest-mqtt`: Zigbee2MQTT topics → normalised events, nothing lost.

How nothing is lost or duplicated
  * MQTT 5, QoS 1, a persistent session (clean_start=False, a session expiry) under a *stable* client id, so
    the broker keeps what arrives while the consumer is away and resends what it had not acknowledged.
  * Manual acknowledgement: a message is acknowledged (PUBACK) only after the transaction that stored its
    events has committed. A crash before the commit: the broker redelivers. A crash between the commit and
    the acknowledgement: the broker redelivers and the events' dedup keys make the second write a no-op.
    A connection lost before the acknowledgements are sent: they are dropped, and the new connection gets
    the messages again (same dedup keys).
  * A failed write (database down) is retried with backoff while the messages stay unacknowledged.
  * Several consumers scale out with a shared subscription ``$share/<group>/<prefix>/#``: the broker hands
    each message to one member of the group.

Why not paho-mqtt here: paho spends ~90 µs of Python per QoS 1 message (one consumer with an empty callback
tops out near 11,000 messages/s on the development machine), more than the rest of ingestion together. The
consumer speaks the few MQTT 5 packets it needs itself (``Session``: CONNECT with a session expiry and a
Receive Maximum, SUBSCRIBE, PUBLISH in, PUBACK out, PINGREQ, DISCONNECT) in its own thread, with no queue
between threads: ~1–2 µs a message, and a batch's PUBACKs go out in one write after its commit. The broker
sends at most ``receive_maximum`` unacknowledged messages ahead; the rest waits in the session on the broker.

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
import signal
import socket
import struct
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlparse

from django.db import close_old_connections

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
    batch_size: int = 2000
    max_wait_s: float = 0.2  # a batch is written when it is full or its first message has waited this long
    session_expiry_s: int = 7 * 86400
    receive_maximum: int = 65535  # unacknowledged messages the broker may send ahead (MQTT 5, ≤ 65535)
    keepalive_s: int = 30
    check_interval_s: float = 2.0  # alarms whose moment has come (services.tick)
    health_interval_s: float = 60.0
    run_checks: bool = True


def subscriptions(settings: ConsumerSettings) -> list[str]:
    topics = [f"{p}/#" for p in settings.prefixes]
    if settings.group:
        topics = [f"$share/{settings.group}/{t}" for t in topics]
    return topics


# -- MQTT 5 wire format: only what a QoS 1 consumer needs ----------------------------------------------
CONNECT, CONNACK, PUBLISH, PUBACK = 0x10, 0x20, 0x30, 0x40
SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK = 0x82, 0x90, 0xA2, 0xB0
PINGREQ, PINGRESP, DISCONNECT, AUTH = b"\xc0\x00", 0xD0, 0xE0, 0xF0


class ProtocolError(ConnectionError):
    pass


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | 0x80 if n else byte)
        if not n:
            return bytes(out)


def _text(value: str | bytes) -> bytes:
    raw = value.encode() if isinstance(value, str) else value
    return struct.pack("!H", len(raw)) + raw


def _packet(first: int, body: bytes) -> bytes:
    return bytes([first]) + _varint(len(body)) + body


def connect_packet(settings: ConsumerSettings, broker: Broker) -> bytes:
    flags = 0  # clean start off: resume the persistent session
    payload = _text(settings.client_id)
    if broker.username:
        flags |= 0x80
        payload += _text(broker.username)
        if broker.password is not None:
            flags |= 0x40
            payload += _text(broker.password)
    props = b"\x11" + struct.pack("!I", settings.session_expiry_s)  # Session Expiry Interval
    props += b"\x21" + struct.pack("!H", max(1, min(65535, settings.receive_maximum)))  # Receive Maximum
    body = _text("MQTT") + bytes([5, flags]) + struct.pack("!H", settings.keepalive_s) + _varint(len(props))
    return _packet(CONNECT, body + props + payload)


def subscribe_packet(packet_id: int, topics: list[str]) -> bytes:
    # options 0x01: QoS 1, no-local off (a shared subscription must not set it), retain handling 0
    return _packet(
        SUBSCRIBE, struct.pack("!H", packet_id) + b"\x00" + b"".join(_text(t) + b"\x01" for t in topics)
    )


def unsubscribe_packet(packet_id: int, topics: list[str]) -> bytes:
    return _packet(UNSUBSCRIBE, struct.pack("!H", packet_id) + b"\x00" + b"".join(_text(t) for t in topics))


class Session:
    """One connection of a persistent MQTT 5 session, read in the consumer's own thread.

    paho-mqtt spends ~90 µs of Python per QoS 1 message (packet objects, properties, callbacks, a lock and a
    send per acknowledgement); this reads the socket in large chunks, slices PUBLISH packets out of the
    buffer (a few µs each) and sends a batch's acknowledgements in one write after its commit."""

    def __init__(self, settings: ConsumerSettings, broker: Broker):
        self.settings, self.broker = settings, broker
        self.sock: socket.socket | None = None
        self.buffer = b""
        self.pending: list[tuple[int, int, bytes]] = []
        self.session_present = False
        self.last_sent = self.last_received = 0.0

    def open(self, timeout: float = 10.0) -> None:
        sock = socket.create_connection((self.broker.host, self.broker.port), timeout=timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock, self.buffer, self.pending = sock, b"", []
        self.send(connect_packet(self.settings, self.broker))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            packets = self._packets(deadline - time.monotonic())
            if not packets:
                continue
            kind, _, body = packets[0]
            if kind != CONNACK:
                raise ProtocolError(f"expected CONNACK, got packet type {kind >> 4}")
            if body[1] >= 0x80:
                raise ProtocolError(f"connection refused (reason code 0x{body[1]:02x})")
            self.session_present = bool(body[0] & 1)
            self.pending = packets[1:]  # what the broker sent right after (a resumed session's messages)
            return
        raise ProtocolError("no CONNACK in time")

    def subscribe(self, topics: list[str]) -> None:
        if self.session_present and self.settings.group:
            # Mosquitto 2.0.x restores a shared subscription from its persistence file after a restart but
            # delivers nothing to it; subscribing again repairs it (see the module's docstring).
            self.send(unsubscribe_packet(1, topics))
        self.send(subscribe_packet(2, topics))

    def send(self, data: bytes) -> None:
        assert self.sock is not None
        self.sock.sendall(data)
        self.last_sent = time.monotonic()

    def close(self, graceful: bool = True) -> None:
        if self.sock is None:
            return
        try:
            if graceful:
                self.sock.sendall(b"\xe0\x00")  # DISCONNECT, normal: the session stays on the broker
        except OSError:
            pass
        finally:
            self.sock.close()
            self.sock = None

    def _packets(self, timeout: float) -> list[tuple[int, int, bytes]]:
        """Reads what is there (waiting up to `timeout`): the whole packets, as (type, flags, body)."""
        assert self.sock is not None
        if self.pending:
            packets, self.pending = self.pending, []
            return packets
        self.sock.settimeout(max(0.0, timeout))
        try:
            chunk = self.sock.recv(1 << 20)
        except (TimeoutError, BlockingIOError):
            return []
        if not chunk:
            raise ConnectionError("the broker closed the connection")
        self.last_received = time.monotonic()
        buf = self.buffer + chunk if self.buffer else chunk
        packets = []
        pos, end = 0, len(buf)
        while pos < end:
            first = buf[pos]
            i, length, shift, whole = pos + 1, 0, 0, False  # remaining length: 1–4 bytes, 7 bits each
            while i < end:
                byte = buf[i]
                i += 1
                length |= (byte & 0x7F) << shift
                if byte < 0x80:
                    whole = True
                    break
                shift += 7
                if shift > 21:
                    raise ProtocolError("malformed remaining length")
            if not whole or i + length > end:
                break
            packets.append((first & 0xF0, first & 0x0F, buf[i : i + length]))
            pos = i + length
        self.buffer = buf[pos:]
        return packets

    def receive(self, timeout: float, messages: list, acks: list) -> None:
        """Appends (topic, payload) of the PUBLISH packets read to `messages` and their PUBACKs to `acks`."""
        for kind, flags, body in self._packets(timeout):
            if kind == PUBLISH:
                n = (body[0] << 8) | body[1]
                topic = body[2 : 2 + n].decode("utf-8", "replace")
                i = 2 + n
                if flags & 0x06:  # QoS 1 (QoS 2 is never granted: the subscription asks for 1)
                    acks.append(b"\x40\x02" + body[i : i + 2])
                    i += 2
                # properties: a variable byte integer length, then the properties (skipped)
                plen, shift = 0, 0
                while True:
                    byte = body[i]
                    i += 1
                    plen |= (byte & 0x7F) << shift
                    if byte < 0x80:
                        break
                    shift += 7
                messages.append((topic, body[i + plen :]))
            elif kind == SUBACK:
                failed = [code for code in body[3:] if code >= 0x80]
                if failed:
                    log.error("subscription refused by the broker (reason codes %s)", failed)
            elif kind == DISCONNECT:
                reason = body[0] if body else 0
                raise ConnectionError(f"the broker disconnected us (reason code 0x{reason:02x})")
            elif kind in (PINGRESP, UNSUBACK):
                pass
            else:
                log.debug("ignoring MQTT packet type %d", kind >> 4)

    def keep_alive(self) -> None:
        now = time.monotonic()
        keepalive = self.settings.keepalive_s
        if now - self.last_received > 2 * keepalive:
            raise ConnectionError("the broker stopped answering")
        if now - self.last_sent > keepalive / 2:
            self.send(PINGREQ)


class Consumer:
    def __init__(self, settings: ConsumerSettings, stop: threading.Event | None = None):
        self.settings = settings
        self.stop = stop or threading.Event()
        self.connected = threading.Event()
        self.stored = 0
        self.broker = Broker.from_url(settings.url)
        self.session: Session | None = None
        self.delay = 1.0

    # -- connection -----------------------------------------------------------------------------------
    def _connect(self) -> bool:
        session = Session(self.settings, self.broker)
        try:
            session.open()
            session.subscribe(subscriptions(self.settings))
        except (OSError, ProtocolError) as exc:
            session.close(graceful=False)
            log.warning("MQTT connection to %s:%s failed (%s); retrying in %.0f s",
                        self.broker.host, self.broker.port, exc, self.delay)  # fmt: skip
            self.stop.wait(self.delay)
            self.delay = min(self.delay * 2, 30.0)
            return False
        self.session, self.delay = session, 1.0
        self.connected.set()
        log.info(
            "connected to %s:%s (session present: %s)",
            self.broker.host,
            self.broker.port,
            session.session_present,
        )
        return True

    def _lost(self, exc: Exception) -> None:
        """The connection is gone: what was received and not acknowledged will be redelivered."""
        if self.session is not None:
            self.session.close(graceful=False)
        self.session = None
        self.connected.clear()
        if not self.stop.is_set():
            log.warning("MQTT disconnected (%s); reconnecting", exc)

    def close(self) -> None:
        self.stop.set()
        if self.session is not None:
            self.session.close()
            self.session = None
        self.connected.clear()

    # -- storing --------------------------------------------------------------------------------------
    def _store(self, messages: list[tuple[str, bytes]]) -> bool:
        """Stores a batch in one transaction, retrying while the database fails; False when stopping."""
        from zhizhi.sensors.services.ingest import ingest_mqtt

        delay = 0.5
        while True:
            try:
                ingest_mqtt(messages, self.settings.prefixes)
                return True
            except Exception:  # noqa: BLE001 - database trouble: keep the messages unacknowledged, retry
                log.exception(
                    "storing a batch of %d messages failed; retrying in %.1f s", len(messages), delay
                )
                close_old_connections()
                if self.stop.wait(delay):
                    return False  # stopping: the broker will redeliver what was not acknowledged
                delay = min(delay * 2, 30.0)

    def _flush(self, session: Session, messages: list, acks: list) -> None:
        size = self.settings.batch_size
        for start in range(0, len(messages), size):
            if not self._store(messages[start : start + size]):
                return
            # only now, after the commit; a connection lost meanwhile gets them redelivered (dedup keys)
            if session is self.session:
                session.send(b"".join(acks[start : start + size]))
            self.stored += len(messages[start : start + size])

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
        state: dict = {}
        messages: list[tuple[str, bytes]] = []
        acks: list[bytes] = []
        first_at = 0.0
        idle = min(0.5, self.settings.check_interval_s)
        try:
            while not self.stop.is_set():
                if self.session is None and not self._connect():
                    self._periodic(state)
                    continue
                session = self.session
                assert session is not None
                wait = (
                    idle if not messages else max(0.0, first_at + self.settings.max_wait_s - time.monotonic())
                )
                try:
                    had = len(messages)
                    session.receive(wait, messages, acks)
                    if messages and not had:
                        first_at = time.monotonic()
                    due = messages and (
                        len(messages) >= self.settings.batch_size
                        or time.monotonic() >= first_at + self.settings.max_wait_s
                    )
                    if due:
                        self._flush(session, messages, acks)
                        messages, acks = [], []
                    session.keep_alive()
                except (OSError, ProtocolError) as exc:
                    self._lost(exc)
                    messages, acks = [], []  # unacknowledged: the broker sends them again
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
