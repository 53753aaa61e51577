"""Sensor ingestion benchmark: Zigbee2MQTT door reports over MQTT (QoS 1) into PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zhizhi python benchmarks/sensor_ingest.py [--quick]

What it does, all on this machine:
  1. creates and migrates a database of its own next to DATABASE_URL's (<name>_sensor_bench), registers
     DEVICES door contacts;
  2. starts a private Mosquitto (no persistence; Mosquitto's default queue limit of 1,000 messages per
     consumer, so a consumer that falls behind loses messages, as in production with default settings);
  3. measures the broker's own QoS 1 delivery rate with mosquitto_pub --repeat / mosquitto_sub -C (no
     database, a second Mosquitto without queue limit), and how fast one benchmark publisher sends alone;
  4. starts CONSUMERS `zhizhi ingest-mqtt` processes on one shared subscription and publishes at rising
     rates (raw-socket publisher processes, as cheap as mosquitto_pub) for a few seconds each;
     lost = published − events stored;
  5. reports the highest rate it *kept up* with: nothing lost, and the consumers done within DRAIN_S of the
     publisher (a consumer's receive window can hide a backlog for a few seconds; that is not sustained).
     After the first rate that fails it tries two rates in between.
The last line is one JSON object: messages_per_s (stored per second at the best rate kept up with, counted
from the publisher's start to the last event stored, so a little below the rate), kept_up_with_per_s (that
publish rate), broker_messages_per_s, publisher_messages_per_s, events_stored, lost (at that rate), and the
details (each step, the load average at the end).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import multiprocessing
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
PREFIX = "bench"
DRAIN_S = 1.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bench_database(url: str) -> str:
    import psycopg

    base, name = url.rsplit("/", 1)
    name = name.split("?")[0] + "_sensor_bench"
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{base}/{name}"


def start_broker(folder: Path, queue_limit: int) -> tuple[subprocess.Popen, int]:
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    conf = folder / "mosquitto.conf"
    conf.write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest none\n"
        f"max_queued_messages {queue_limit}\nmax_inflight_messages 0\nset_tcp_nodelay true\n"
        + ("user root\n" if os.geteuid() == 0 else "")
    )
    proc = subprocess.Popen(
        ["mosquitto", "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    for _ in range(100):
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return proc, port
        time.sleep(0.05)
    raise RuntimeError("mosquitto did not start")


def broker_rate(port: int, count: int) -> float:
    """QoS 1 messages per second through the broker alone: mosquitto_pub --repeat into mosquitto_sub -C.
    (mosquitto_pub -l may exit before its queue is sent; --repeat with -M waits for every acknowledgement.)"""
    payload = '{"contact": true, "linkquality": 120, "last_seen": "2026-03-02T12:00:00.000+08:00"}'
    sub = subprocess.Popen(
        ["mosquitto_sub", "-p", str(port), "-q", "1", "-t", "raw/x", "-C", str(count)],
        stdout=subprocess.DEVNULL,
    )
    time.sleep(0.5)
    began = time.perf_counter()
    subprocess.run(
        ["mosquitto_pub", "-p", str(port), "-q", "1", "-t", "raw/x", "-M", "1000", "--repeat", str(count),
         "-m", payload],
        check=True,
    )  # fmt: skip
    try:
        sub.wait(timeout=120)
    except subprocess.TimeoutExpired:
        sub.kill()
        return 0.0
    return count / (time.perf_counter() - began)


def _connect_raw(port: int, client_id: str) -> socket.socket:
    """An MQTT 3.1.1 connection (clean session) for publishing: CONNECT, then CONNACK."""
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    cid = client_id.encode()
    body = b"\x00\x04MQTT\x04\x02\x00\x3c" + len(cid).to_bytes(2, "big") + cid
    sock.sendall(bytes([0x10, len(body)]) + body)
    ack = b""
    while len(ack) < 4:
        chunk = sock.recv(4 - len(ack))
        if not chunk:
            raise ConnectionError("the broker closed the connection")
        ack += chunk
    if ack[0] != 0x20 or ack[3] != 0:
        raise ConnectionError(f"CONNACK refused: {ack!r}")
    return sock


def _publish_packet(topic: bytes, packet_id: int, payload: bytes) -> bytes:
    body = len(topic).to_bytes(2, "big") + topic + packet_id.to_bytes(2, "big") + payload
    n, length = len(body), b""
    while True:
        byte, n = n & 0x7F, n >> 7
        length += bytes([byte | 0x80 if n else byte])
        if not n:
            break
    return b"\x32" + length + body  # PUBLISH, QoS 1


def publisher(port: int, rate: float, seconds: float, offset: int, devices: int, out) -> None:
    """One publisher process: `rate` QoS 1 messages/s for `seconds`, round-robin over the devices.

    Like a C client (mosquitto_pub), not paho: PUBLISH packets are encoded in plain bytes and written a few
    milliseconds' worth at a time, and the PUBACKs (4 bytes each) are counted by a thread; paho's Python per
    message would take a core of its own at the rates measured here and starve the consumers."""
    import threading

    sock = _connect_raw(port, f"bench-pub-{os.getpid()}")
    acked, window = [0], 60_000  # packet ids 1–65535: never more unacknowledged than that
    failed: list[str] = []

    def count_acks() -> None:
        rest = 0
        while True:
            try:
                data = sock.recv(1 << 16)
            except OSError as exc:
                failed.append(str(exc))
                return
            if not data:
                return
            rest += len(data)
            acked[0] += rest // 4  # nothing but PUBACKs comes back (0x40 0x02 id id)
            rest %= 4

    reader = threading.Thread(target=count_acks, daemon=True)
    reader.start()
    start = dt.datetime(2026, 3, 2, 4, 0, tzinfo=dt.UTC)
    total = int(rate * seconds)
    topics = [f"{PREFIX}/door-{d}".encode() for d in range(devices)]
    began = time.perf_counter()
    sent = 0
    while sent < total:
        due = min(total, int((time.perf_counter() - began) * rate) + 1)
        if due - acked[0] > window:
            due = acked[0] + window
        if due <= sent:
            time.sleep(0.002)
            continue
        chunk = []
        for n in range(offset + sent, offset + due):
            stamp = (start + dt.timedelta(microseconds=n)).isoformat(timespec="microseconds")
            contact = "true" if n % 2 else "false"
            payload = f'{{"contact": {contact}, "linkquality": 120, "last_seen": "{stamp}"}}'.encode()
            chunk.append(_publish_packet(topics[n % devices], (n - offset) % 65535 + 1, payload))
        sock.sendall(b"".join(chunk))
        sent = due
    sent_in = time.perf_counter() - began
    deadline = time.perf_counter() + 60
    while acked[0] < total and time.perf_counter() < deadline and not failed:
        time.sleep(0.001)
    acked_in = time.perf_counter() - began
    with contextlib.suppress(OSError):
        sock.sendall(b"\xe0\x00")  # DISCONNECT
        sock.close()
    out.put((total, acked[0], sent_in, acked_in))


def publisher_rate(port: int, count: int) -> float:
    """How fast one publisher process can send (and get acknowledged) at full speed, with no subscriber."""
    queue: multiprocessing.Queue = multiprocessing.Queue()
    proc = multiprocessing.Process(
        target=publisher, args=(port, 10_000_000, count / 10_000_000, 0, 1000, queue)
    )
    proc.start()
    total, acked, _, acked_in = queue.get(timeout=120)
    proc.join()
    return acked / acked_in if acked == total else 0.0


def wait_connected(folder: Path, consumers: int, timeout: float = 120) -> None:
    """Until every consumer has logged its connection (and so its subscription)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = sum("connected to" in p.read_text() for p in folder.glob("consumer-*.log"))
        if done >= consumers:
            time.sleep(1.0)
            return
        time.sleep(0.2)
    logs = "\n".join(p.read_text()[-2000:] for p in folder.glob("consumer-*.log"))
    raise RuntimeError(f"the consumers did not connect in time:\n{logs}")


def max_event_id(conn) -> int:
    return conn.execute("SELECT COALESCE(MAX(id), 0) FROM sensors_sensorevent").fetchone()[0]


def count_events(conn, after_id: int = 0) -> int:
    return conn.execute("SELECT COUNT(*) FROM sensors_sensorevent WHERE id > %s", (after_id,)).fetchone()[0]


def run_step(port, conn, rate, seconds, publishers, devices, offset, settle_s) -> dict:
    """Publishes at `rate` for `seconds`; kept up when nothing was lost and the consumers were done within
    DRAIN_S of the publishers (a backlog in the consumers' receive windows is not a sustained rate)."""
    floor = max_event_id(conn)
    queue: multiprocessing.Queue = multiprocessing.Queue()
    share = rate / publishers
    procs = [
        multiprocessing.Process(
            target=publisher, args=(port, share, seconds, offset + k * 10_000_000, devices, queue)
        )
        for k in range(publishers)
    ]
    began = time.perf_counter()
    for p in procs:
        p.start()
    results = [queue.get(timeout=seconds + 120) for _ in procs]
    for p in procs:
        p.join()
    published = sum(r[0] for r in results)
    publish_rate = published / max(r[2] for r in results)
    published_at = began + max(r[2] for r in results)
    last_change, stored = time.perf_counter(), count_events(conn, floor)
    while stored < published and time.perf_counter() - last_change < settle_s:
        time.sleep(0.2)
        now = count_events(conn, floor)
        if now != stored:
            stored, last_change = now, time.perf_counter()
    elapsed = last_change - began
    drain = max(0.0, last_change - published_at)
    return {
        "target_per_s": rate,
        "published": published,
        "publish_per_s": round(publish_rate),
        "stored": stored,
        "lost": published - stored,
        "stored_per_s": round(stored / elapsed) if elapsed > 0 else 0,
        "drain_s": round(drain, 2),
        "kept_up": published == stored and drain <= DRAIN_S and publish_rate >= 0.95 * rate,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="finish within about a minute")
    parser.add_argument("--consumers", type=int, default=2)
    parser.add_argument("--publishers", type=int, default=1)
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=2000)
    parser.add_argument("--max-wait", type=float, default=0.2, help="consumers' --max-wait (s)")
    parser.add_argument("--seconds", type=float, help="length of each step (default 8, --quick 3)")
    parser.add_argument("--rates", help="comma-separated publish rates to try, lowest first")
    parser.add_argument("--queue-limit", type=int, default=1000, help="mosquitto max_queued_messages")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit(
            "set DATABASE_URL to a PostgreSQL database (the benchmark creates <name>_sensor_bench beside it)"
        )
    for tool in ("mosquitto", "mosquitto_pub", "mosquitto_sub"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is not installed (apt-get install mosquitto mosquitto-clients)")
    seconds = args.seconds or (3.0 if args.quick else 8.0)
    if args.rates:
        rates = [int(r) for r in args.rates.split(",")]
    else:
        rates = (
            [2000, 4000, 8000]
            if args.quick
            else [2000, 4000, 6000, 8000, 10000, 12000, 16000, 20000, 24000, 28000]
        )
    db_url = bench_database(url)
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "DJANGO_SETTINGS_MODULE": "zhizhi.settings",
        "ZHIZHI_LOG_LEVEL": "ERROR",
    }
    print(f"migrating {db_url.rsplit('/', 1)[1]} …", flush=True)
    subprocess.run([sys.executable, "-m", "zhizhi.cli", "migrate", "-v", "0"], env=env, cwd=ROOT, check=True)
    os.environ.update(env)
    import django

    django.setup()
    from zhizhi.core import clock
    from zhizhi.sensors.models import Device, Gateway

    gateway = Gateway.objects.create(name=PREFIX)
    Device.objects.bulk_create(
        Device(
            vendor_id=f"0xbench{i:06d}", friendly_name=f"door-{i}", gateway=gateway, created_at=clock.now()
        )
        for i in range(args.devices)
    )
    folder = Path(tempfile.mkdtemp(prefix="sensor-bench-"))
    broker, port = start_broker(folder, args.queue_limit)
    consumers = []
    import psycopg

    try:
        raw_broker, raw_port = start_broker(
            folder / "raw", 0
        )  # no queue limit: what the broker itself delivers
        try:
            raw = broker_rate(raw_port, 20_000 if args.quick else 100_000)
            pub = publisher_rate(raw_port, 50_000 if args.quick else 200_000)
        finally:
            raw_broker.terminate()
            raw_broker.wait(10)
        print(f"broker alone (mosquitto_pub → mosquitto_sub, QoS 1): {raw:,.0f} messages/s", flush=True)
        print(f"one benchmark publisher alone (no subscriber, QoS 1): {pub:,.0f} messages/s", flush=True)
        for i in range(args.consumers):
            log = open(folder / f"consumer-{i}.log", "w")  # noqa: SIM115 - closed with the process
            cmd = [
                sys.executable, "-m", "zhizhi.cli", "ingest-mqtt", "--mqtt", f"mqtt://127.0.0.1:{port}",
                "--prefix", PREFIX, "--group", "bench", "--client-id", f"bench-{i}",
                "--batch", str(args.batch), "--max-wait", str(args.max_wait), "--no-checks", "-v", "2",
            ]  # fmt: skip
            consumers.append(
                subprocess.Popen(cmd, env=env, cwd=ROOT, start_new_session=True, stdout=log, stderr=log)
            )
        wait_connected(folder, args.consumers)
        steps, offset, best = [], 0, None
        with psycopg.connect(db_url, autocommit=True) as conn:

            def step_at(rate: int) -> dict:
                nonlocal offset
                step = run_step(port, conn, rate, seconds, args.publishers, args.devices, offset, settle_s=5)
                offset += 1_000_000_000
                steps.append(step)
                print(
                    f"target {rate:>6}/s: published {step['published']} at {step['publish_per_s']}/s, "
                    f"stored {step['stored']} at {step['stored_per_s']}/s, lost {step['lost']}, "
                    f"drained {step['drain_s']} s after the publisher: "
                    f"{'kept up' if step['kept_up'] else 'FELL BEHIND'}",
                    flush=True,
                )
                time.sleep(1.0)
                return step

            failed_at = None
            for rate in rates:
                step = step_at(rate)
                if not step["kept_up"]:
                    failed_at = rate
                    break
                best = step
            low = best["target_per_s"] if best else 0
            for _ in range(2 if failed_at and not args.quick else 0):  # two halvings of the last gap
                mid = (low + failed_at) // 2 // 500 * 500
                if mid <= low:
                    break
                step = step_at(mid)
                if step["kept_up"]:
                    best, low = step, mid
                else:
                    failed_at = mid
            total = count_events(conn)
    finally:
        for proc in consumers:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in consumers:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(15)
        broker.terminate()
        broker.wait(10)
        shutil.rmtree(folder, ignore_errors=True)
    result = {
        "messages_per_s": best["stored_per_s"] if best else 0,
        "kept_up_with_per_s": best["publish_per_s"] if best else 0,
        "broker_messages_per_s": round(raw),
        "publisher_messages_per_s": round(pub),
        "events_stored": best["stored"] if best else 0,
        "lost": best["lost"] if best else (steps[0]["lost"] if steps else None),
        "events_stored_total": total,
        "consumers": args.consumers,
        "publishers": args.publishers,
        "queue_limit": args.queue_limit,
        "batch": args.batch,
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "cores": os.cpu_count(),
        "steps": steps,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
