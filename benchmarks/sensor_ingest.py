"""Sensor ingestion benchmark: Zigbee2MQTT door reports over MQTT (QoS 1) into PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zhizhi python benchmarks/sensor_ingest.py [--quick]

What it does, all on this machine:
  1. creates and migrates a database of its own next to DATABASE_URL's (<name>_sensor_bench), registers
     DEVICES door contacts;
  2. starts a private Mosquitto (no persistence; Mosquitto's default queue limit of 1,000 messages per
     consumer, so a consumer that falls behind loses messages, as in production with default settings);
  3. measures the broker's own QoS 1 delivery rate with mosquitto_pub --repeat / mosquitto_sub -C (no
     database, a second Mosquitto without queue limit);
  4. starts CONSUMERS `zhizhi ingest-mqtt` processes on one shared subscription and publishes at rising
     rates (several publisher processes) for a few seconds each; lost = published − events stored;
  5. reports the highest rate at which nothing was lost.
The last line is one JSON object: messages_per_s (stored per second at the best zero-loss rate),
broker_messages_per_s, events_stored, lost (at that rate), and the details.
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


def publisher(port: int, rate: float, seconds: float, offset: int, devices: int, out) -> None:
    """One publisher process: `rate` messages/s for `seconds`, round-robin over the devices."""
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.max_inflight_messages_set(2000)
    client.max_queued_messages_set(0)
    acked = [0]
    client.on_publish = lambda c, u, mid, rc, p: acked.__setitem__(0, acked[0] + 1)
    client.connect("127.0.0.1", port)
    client.loop_start()
    start = dt.datetime(2026, 3, 2, 4, 0, tzinfo=dt.UTC)
    total = int(rate * seconds)
    began = time.perf_counter()
    for i in range(total):
        due = began + i / rate
        wait = due - time.perf_counter()
        if wait > 0.002:
            time.sleep(wait)
        n = offset + i
        stamp = (start + dt.timedelta(microseconds=n)).isoformat(timespec="microseconds")
        contact = "true" if n % 2 else "false"
        payload = f'{{"contact": {contact}, "linkquality": 120, "last_seen": "{stamp}"}}'
        client.publish(f"{PREFIX}/door-{n % devices}", payload, qos=1)
    sent_in = time.perf_counter() - began
    deadline = time.perf_counter() + 60
    while acked[0] < total and time.perf_counter() < deadline:
        time.sleep(0.01)
    client.disconnect()
    client.loop_stop()
    out.put((total, acked[0], sent_in))


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


def count_events(conn) -> int:
    return conn.execute("SELECT COUNT(*) FROM sensors_sensorevent").fetchone()[0]


def run_step(port, conn, rate, seconds, publishers, devices, offset, settle_s) -> dict:
    before = count_events(conn)
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
    last_change, stored = time.perf_counter(), count_events(conn) - before
    while stored < published and time.perf_counter() - last_change < settle_s:
        time.sleep(0.2)
        now = count_events(conn) - before
        if now != stored:
            stored, last_change = now, time.perf_counter()
    elapsed = last_change - began
    return {
        "target_per_s": rate,
        "published": published,
        "publish_per_s": round(publish_rate),
        "stored": stored,
        "lost": published - stored,
        "stored_per_s": round(stored / elapsed) if elapsed > 0 else 0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="finish within about a minute")
    parser.add_argument("--consumers", type=int, default=2)
    parser.add_argument("--publishers", type=int, default=2)
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=1000)
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
    seconds = 3.0 if args.quick else 8.0
    rates = (
        [500, 1000, 2000]
        if args.quick
        else [500, 1000, 1500, 2000, 3000, 4000, 6000, 8000, 12000, 16000, 20000]
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
        finally:
            raw_broker.terminate()
            raw_broker.wait(10)
        print(f"broker alone (mosquitto_pub → mosquitto_sub, QoS 1): {raw:,.0f} messages/s", flush=True)
        for i in range(args.consumers):
            log = open(folder / f"consumer-{i}.log", "w")  # noqa: SIM115 - closed with the process
            cmd = [
                sys.executable, "-m", "zhizhi.cli", "ingest-mqtt", "--mqtt", f"mqtt://127.0.0.1:{port}",
                "--prefix", PREFIX, "--group", "bench", "--client-id", f"bench-{i}",
                "--batch", str(args.batch), "--no-checks", "-v", "2",
            ]  # fmt: skip
            consumers.append(
                subprocess.Popen(cmd, env=env, cwd=ROOT, start_new_session=True, stdout=log, stderr=log)
            )
        wait_connected(folder, args.consumers)
        steps, offset, best = [], 0, None
        with psycopg.connect(db_url, autocommit=True) as conn:
            for rate in rates:
                step = run_step(port, conn, rate, seconds, args.publishers, args.devices, offset, settle_s=5)
                offset += 1_000_000_000
                steps.append(step)
                print(
                    f"target {rate:>6}/s: published {step['published']} at {step['publish_per_s']}/s, "
                    f"stored {step['stored']} at {step['stored_per_s']}/s, lost {step['lost']}",
                    flush=True,
                )
                if step["lost"] > 0 or step["publish_per_s"] < 0.9 * rate:
                    break
                best = step
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
        "broker_messages_per_s": round(raw),
        "events_stored": best["stored"] if best else 0,
        "lost": best["lost"] if best else (steps[0]["lost"] if steps else None),
        "events_stored_total": total,
        "consumers": args.consumers,
        "publishers": args.publishers,
        "queue_limit": args.queue_limit,
        "cores": os.cpu_count(),
        "steps": steps,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
