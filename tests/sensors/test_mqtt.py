"""Against a real Mosquitto: ingestion, dead letters, a shared subscription with two consumers, and killing
the consumer or restarting the broker mid-stream without losing or duplicating an event.

The consumers are real `zhizhi ingest-mqtt` processes writing into a database of their own (migrated once
per session), so that they can be killed with SIGKILL like a crashed process.
"""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest

from tests.conftest import require_or_skip
from tests.sensors.conftest import broker_up
from tests.sensors.mqtt_support import ConsumerDatabase, ConsumerProcess, PrivateBroker, unique
from zhizhi.sensors import zigbee
from zhizhi.sensors.replay import Publisher

LOCAL = "mqtt://127.0.0.1:1883"
START = dt.datetime(2026, 3, 2, 4, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def consumer_db(tmp_path_factory):
    require_or_skip(broker_up(), "Mosquitto is not running on 127.0.0.1:1883")
    db = ConsumerDatabase(tmp_path_factory.mktemp("consumer-db"))
    yield db
    db.drop()


def door_messages(prefix: str, name: str, count: int, offset: int = 0) -> list[tuple[str, str]]:
    """`count` alternating open/close reports, one second apart, each with its own last_seen."""
    return [
        (f"{prefix}/{name}", zigbee.state_payload(i % 2 == 1, last_seen=START + dt.timedelta(seconds=i)))
        for i in range(offset, offset + count)
    ]


def publish(url: str, messages, *, client_id: str = "", pace_s: float = 0.0) -> Publisher:
    publisher = Publisher(url, client_id=client_id)
    for topic, payload in messages:
        publisher.publish(topic, payload)
        if pace_s:
            time.sleep(pace_s)
    assert publisher.flush(20)
    return publisher


def test_messages_become_events_and_malformed_ones_dead_letters(consumer_db):
    prefix = unique("zt")
    consumer_db.register(prefix, "door-a")
    consumer = ConsumerProcess(consumer_db, LOCAL, prefix, unique("c-")).start()
    try:
        consumer_db.wait_subscribed(LOCAL, prefix)
        good = door_messages(prefix, "door-a", 20)
        bad = [(f"{prefix}/door-a", "{not json"), (f"{prefix}/door-a", '{"contact": "yes"}')]
        publish(LOCAL, [*good[:10], *bad, *good[10:], (f"{prefix}/stranger", "{}")]).close()
        assert consumer_db.wait_for(prefix, 20) == (20, 20)
        deadline = time.monotonic() + 10
        while len(consumer_db.dead_letters(prefix)) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert consumer_db.dead_letters(prefix) == [
            'contact must be true or false, not "yes"',
            "payload is not JSON",
        ]
        unknown = consumer_db.query(
            "SELECT identifier FROM sensors_unknowndevice WHERE gateway_name = ?", (prefix,)
        )
        assert sorted(unknown) == [("probe",), ("stranger",)]
    finally:
        consumer.stop()


def test_two_consumers_share_one_subscription(consumer_db):
    prefix = unique("zt")
    consumer_db.register(prefix, "door-b", "door-c")
    group = unique("g")
    first = ConsumerProcess(consumer_db, LOCAL, prefix, unique("c-"), group=group, batch=5).start()
    second = ConsumerProcess(consumer_db, LOCAL, prefix, unique("c-"), group=group, batch=5).start()
    try:
        consumer_db.wait_subscribed(LOCAL, prefix)
        time.sleep(1.0)  # the other one too
        messages = door_messages(prefix, "door-b", 30) + door_messages(prefix, "door-c", 30)
        publish(LOCAL, messages, pace_s=0.005).close()
        assert consumer_db.wait_for(prefix, 60) == (60, 60)
    finally:
        counts = [first.stored(), second.stored()]
    assert sum(counts) >= 60  # and the probes that found them subscribed
    assert min(counts) > 0, f"the broker should share the messages between both consumers: {counts}"


def test_killing_the_consumer_mid_stream_loses_nothing_and_duplicates_nothing(consumer_db):
    prefix = unique("zt")
    consumer_db.register(prefix, "door-d")
    client_id, group = unique("c-"), unique("g")
    consumer = ConsumerProcess(consumer_db, LOCAL, prefix, client_id, group=group, batch=10).start()
    consumer_db.wait_subscribed(LOCAL, prefix)
    messages = door_messages(prefix, "door-d", 200)
    sender = threading.Thread(target=lambda: publish(LOCAL, messages, pace_s=0.01).close())
    sender.start()
    try:
        deadline = time.monotonic() + 20
        while consumer_db.events(prefix)[0] < 40 and time.monotonic() < deadline:
            time.sleep(0.05)
        consumer.kill()  # mid-stream: some batches committed, some acknowledged, some neither
        stored_at_crash = consumer_db.events(prefix)[0]
        assert 0 < stored_at_crash < 200
        time.sleep(0.5)
        consumer = ConsumerProcess(consumer_db, LOCAL, prefix, client_id, group=group, batch=10).start()
        sender.join(30)
        assert consumer_db.wait_for(prefix, 200, timeout=40) == (200, 200)
    finally:
        consumer.stop()


def test_restarting_the_broker_mid_stream_loses_nothing_and_duplicates_nothing(consumer_db, tmp_path):
    require_or_skip(__import__("shutil").which("mosquitto") is not None, "mosquitto is not installed")
    broker = PrivateBroker(tmp_path / "broker").start()
    prefix = unique("zt")
    consumer_db.register(prefix, "door-e")
    # A plain persistent subscription: Mosquitto 2.0 drops what reaches a *shared* subscription between a
    # broker restart and its consumer's resubscription (zhizhi.sensors.mqtt, "Known limit").
    consumer = ConsumerProcess(consumer_db, broker.url, prefix, unique("c-"), group="", batch=10).start()
    try:
        consumer_db.wait_subscribed(broker.url, prefix)
        publisher = Publisher(broker.url, client_id=unique("p-"))
        messages = door_messages(prefix, "door-e", 120)
        for topic, payload in messages[:60]:
            publisher.publish(topic, payload)
        assert publisher.flush(10)
        broker.stop()  # mid-stream: the consumer may not have taken everything yet
        for topic, payload in messages[60:90]:  # published while the broker is down: queued by the client
            publisher.publish(topic, payload)
        broker.start()
        for topic, payload in messages[90:]:
            publisher.publish(topic, payload)
        assert publisher.flush(20)
        publisher.close()
        assert consumer_db.wait_for(prefix, 120, timeout=40) == (120, 120)
    finally:
        consumer.stop()
        broker.stop()


def test_the_session_reads_packets_split_anywhere_and_acknowledges_them_in_one_write():
    """The consumer's own MQTT reader: PUBLISH packets cut at any byte (a large remaining length too), QoS 0
    and 1, properties skipped; one PUBACK per QoS 1 message, sent only when asked."""
    import socket

    from zhizhi.sensors.mqtt import Broker, ConsumerSettings, Session, _varint

    def publish(topic: str, payload: bytes, packet_id: int | None, props: bytes = b"") -> bytes:
        body = len(topic).to_bytes(2, "big") + topic.encode()
        if packet_id is not None:
            body += packet_id.to_bytes(2, "big")
        body += _varint(len(props)) + props + payload
        return bytes([0x32 if packet_id is not None else 0x30]) + _varint(len(body)) + body

    wire = (
        publish("zigbee2mqtt/a", b'{"contact": true}', 1)
        + publish("zigbee2mqtt/b", b"x" * 20_000, 2, props=b"\x01\x01")  # 3-byte remaining length
        + publish("zigbee2mqtt/c", b"offline", None)
        + publish("zigbee2mqtt/d", b"{}", 65535)
    )
    ours, theirs = socket.socketpair()
    session = Session(ConsumerSettings(), Broker("127.0.0.1", 1883))
    session.sock = ours
    messages, acks = [], []
    try:
        for cut in range(0, len(wire), 7):
            theirs.sendall(wire[cut : cut + 7])
            session.receive(1.0, messages, acks)
        assert [(t, len(p)) for t, p in messages] == [
            ("zigbee2mqtt/a", 17),
            ("zigbee2mqtt/b", 20_000),
            ("zigbee2mqtt/c", 7),
            ("zigbee2mqtt/d", 2),
        ]
        assert acks == [b"\x40\x02\x00\x01", b"\x40\x02\x00\x02", b"\x40\x02\xff\xff"]
        session.send(b"".join(acks))
        assert theirs.recv(100) == b"".join(acks)
    finally:
        ours.close()
        theirs.close()
