"""Support for the tests against a real Mosquitto: a database the consumer processes share, consumer
processes (`zhizhi ingest-mqtt`) that can be killed, and a private Mosquitto that can be restarted."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import dj_database_url

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable

REGISTER = (
    "import django, sys; django.setup();"
    "from zhizhi.sensors.models import Gateway; from zhizhi.sensors.services import devices;"
    "g, _ = Gateway.objects.get_or_create(name=sys.argv[1]);"
    "[devices.register_device(None, vendor_id=sys.argv[1] + ':' + n, friendly_name=n, gateway=g)"
    " for n in sys.argv[2:]]"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


class ConsumerDatabase:
    """A migrated database outside the test transaction, for consumer processes to write into."""

    def __init__(self, base: Path):
        self.env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "ZHIZHI_DATA_DIR")}
        self.env.update(
            {"DJANGO_SETTINGS_MODULE": "zhizhi.settings", "ZHIZHI_ENV": "test", "PYTHONPATH": str(ROOT)}
        )
        url = os.environ.get("DATABASE_URL", "")
        if url.startswith("postgres"):
            self.pg = dj_database_url.parse(url)
            self.pg["NAME"] = f"{self.pg['NAME']}_mqtt"
            self._recreate_pg()
            self.env["DATABASE_URL"] = url.rsplit("/", 1)[0] + "/" + self.pg["NAME"]
            self.path = None
        else:
            self.pg = None
            self.env["ZHIZHI_DATA_DIR"] = str(base)
            self.path = base / "zhizhi.sqlite3"
        subprocess.run([PYTHON, "-m", "zhizhi.cli", "migrate", "-v", "0"], env=self.env, cwd=ROOT, check=True)

    def _pg_connect(self, name: str):
        import psycopg

        p = self.pg
        return psycopg.connect(
            host=p["HOST"] or "127.0.0.1",
            port=p["PORT"] or 5432,
            user=p["USER"],
            password=p["PASSWORD"] or None,
            dbname=name,
            autocommit=True,
        )

    def _recreate_pg(self) -> None:
        with self._pg_connect("postgres") as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.pg["NAME"]}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{self.pg["NAME"]}"')

    def drop(self) -> None:
        if self.pg:
            with self._pg_connect("postgres") as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.pg["NAME"]}" WITH (FORCE)')

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        if self.pg:
            with self._pg_connect(self.pg["NAME"]) as conn:
                return conn.execute(sql.replace("?", "%s"), params).fetchall()
        with contextlib.closing(sqlite3.connect(self.path, timeout=20)) as conn:
            return conn.execute(sql, params).fetchall()

    def register(self, prefix: str, *names: str) -> None:
        subprocess.run([PYTHON, "-c", REGISTER, prefix, *names], env=self.env, cwd=ROOT, check=True)

    def events(self, prefix: str) -> tuple[int, int]:
        """(events, distinct dedup keys) of the devices under a prefix."""
        (row,) = self.query(
            "SELECT COUNT(*), COUNT(DISTINCT e.dedup_key) FROM sensors_sensorevent e "
            "JOIN sensors_device d ON d.id = e.device_id JOIN sensors_gateway g ON g.id = d.gateway_id "
            "WHERE g.name = ?",
            (prefix,),
        )
        return row[0], row[1]

    def dead_letters(self, prefix: str) -> list[str]:
        rows = self.query("SELECT reason FROM sensors_deadletter WHERE topic LIKE ?", (prefix + "/%",))
        return sorted(r[0] for r in rows)

    def wait_subscribed(self, url: str, prefix: str, timeout: float = 30.0) -> None:
        """Publish probes until a consumer has stored one (as an unknown device): it is subscribed."""
        import paho.mqtt.publish as single

        host, port = url.rsplit(":", 1)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            single.single(f"{prefix}/probe", "{}", qos=1, hostname=host.split("//")[-1], port=int(port))
            if self.query(
                "SELECT 1 FROM sensors_unknowndevice WHERE gateway_name = ? AND identifier = 'probe'",
                (prefix,),
            ):
                return
            time.sleep(0.3)
        raise TimeoutError("no consumer subscribed in time")

    def wait_for(self, prefix: str, count: int, timeout: float = 30.0) -> tuple[int, int]:
        deadline = time.monotonic() + timeout
        seen = self.events(prefix)
        while seen[0] < count and time.monotonic() < deadline:
            time.sleep(0.2)
            seen = self.events(prefix)
        time.sleep(0.3)  # anything extra (a duplicate) would show now
        return self.events(prefix)


class ConsumerProcess:
    def __init__(
        self,
        db: ConsumerDatabase,
        url: str,
        prefix: str,
        client_id: str,
        group: str = "tests",
        batch: int = 20,
    ):
        self.args = [
            PYTHON,
            "-m",
            "zhizhi.cli",
            "ingest-mqtt",
            "--mqtt",
            url,
            "--prefix",
            prefix,
            "--group",
            group,
            "--client-id",
            client_id,
            "--batch",
            str(batch),
            "--session-expiry",
            "120",
            "--no-checks",
        ]
        self.db = db
        self.proc: subprocess.Popen | None = None

    def start(self) -> ConsumerProcess:
        self.proc = subprocess.Popen(
            self.args,
            env=self.db.env,
            cwd=ROOT,
            stdout=subprocess.PIPE,  # noqa: S603
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        return self

    def kill(self) -> None:
        """SIGKILL: no disconnect, no acknowledgement, no cleanup — a crash."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> str:
        if self.proc is None:
            return ""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            out, _ = self.proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()
            out, _ = self.proc.communicate()
        return out or ""

    def stored(self) -> int:
        text = self.stop()
        for line in text.splitlines():
            if line.startswith("stored "):
                return int(line.split()[1])
        return -1


class PrivateBroker:
    """A Mosquitto of the test's own, with persistence and no queue limits, on a free port."""

    def __init__(self, folder: Path):
        self.port = free_port()
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.conf = folder / "mosquitto.conf"
        self.conf.write_text(
            f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence true\n"
            f"persistence_location {folder}/\nautosave_interval 1\nmax_queued_messages 0\n"
            "max_inflight_messages 0\nlog_dest none\n" + ("user root\n" if os.geteuid() == 0 else "")
            # mosquitto started as root drops to the "mosquitto" user, who may not write here
        )
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> PrivateBroker:
        self.proc = subprocess.Popen(
            [shutil.which("mosquitto") or "mosquitto", "-c", str(self.conf)],  # noqa: S603
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5),
            ):
                return self
            time.sleep(0.05)
        raise RuntimeError("private mosquitto did not start")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # mosquitto saves its persistence file on the way out
            self.proc.wait(10)
