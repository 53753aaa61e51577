"""Case intake through the HTTP API, against a server started the way production runs it.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test python benchmarks/case_intake.py [--quick] [--keep]

Creates a throwaway database (`zhizhi_bench_intake`), migrates it, builds a street of 10 communities × 5
grids with boundaries (so every report is located in its grid) and the street's handling units, and one
resident account per client. Then, in the same run:

  1. the raw rate: N connections each INSERT one row at a time (autocommit) into a scratch table of the same
     database for a few seconds — the physical limit of single-row writes here;
  2. the real thing: `zhizhi serve` with ZHIZHI_ENV=production (gunicorn, the keys set, DEBUG off) on a free
     port; N clients log in through the login form (session cookie + CSRF token, as the H5 page does) and
     POST /api/cases/ as fast as the server answers, each report a new case at a random point of the street
     with its own idempotency key. Every request runs the full intake path: category, grid lookup,
     idempotency, the day's case number, the case row, its first transition, the audit row, the reporter's
     notification (and its task row), the duplicate check, and the case detail in the answer.

Reports cases/s, p50 and p99 latency, next to the raw INSERT rate. --quick runs each phase for a few seconds.
Drops the database unless --keep. Ends with one line of JSON:
    {"cases_per_s": …, "p50_ms": …, "p99_ms": …, "raw_insert_per_s": …, …}
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))

from worklist import bench_url, drop_database, pct, require_postgres, say, setup_django  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BENCH_DB = "zhizhi_bench_intake"
PASSWORD = "bench-pass-2026"
COMMUNITIES, GRIDS, SIZE = 10, 5, 0.002
WEST, SOUTH = 120.160, 30.262
CATEGORIES = (
    "暴露垃圾",
    "垃圾站（箱）满溢",
    "机动车乱停放",
    "占道经营",
    "邻里纠纷",
    "噪音扰民",
    "物业服务",
    "道路不洁",
)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a few seconds per phase; well within a minute")
    parser.add_argument("--seconds", type=float, help="seconds of load (default 30; 8 with --quick)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (default 8)")
    parser.add_argument("--workers", type=int, help="gunicorn workers (default 2 × cores + 1)")
    parser.add_argument("--keep", action="store_true", help=f"keep the {BENCH_DB} database afterwards")
    return parser.parse_args()


# --- the street ---------------------------------------------------------------------------------------------


def square(lon: float, lat: float) -> dict:
    ring = [[lon, lat], [lon + SIZE, lat], [lon + SIZE, lat + SIZE], [lon, lat + SIZE], [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


def build_street(clients: int) -> list[str]:
    """A street of 10 × 5 square grids, its units, and a resident account per client; returns usernames."""
    from django.contrib.auth.hashers import make_password

    from zhizhi.accounts.models import User
    from zhizhi.areas import services as areas
    from zhizhi.cases.services import install_default_units
    from zhizhi.core.roles import AreaLevel, Role

    city = areas.ensure_area(AreaLevel.CITY, "3301", "杭州市")
    district = areas.ensure_area(AreaLevel.DISTRICT, "330105", "拱墅区", city)
    street = areas.ensure_area(AreaLevel.STREET, "330105013", "武林街道", district)
    first_grid = None
    for c in range(COMMUNITIES):
        community = areas.ensure_area(
            AreaLevel.COMMUNITY, f"{street.code}{c + 1:03d}", f"社区{c + 1}", street
        )
        for g in range(GRIDS):
            boundary = square(WEST + g * SIZE, SOUTH + c * SIZE)
            grid = areas.ensure_area(
                AreaLevel.GRID,
                f"{community.code}{g + 1:02d}",
                f"社区{c + 1}-{g + 1}网格",
                community,
                boundary,
            )
            first_grid = first_grid or grid
    install_default_units(street)
    hashed = make_password(PASSWORD)
    names = [f"resident{i:03d}" for i in range(clients)]
    User.objects.bulk_create(
        [
            User(username=n, role=Role.RESIDENT, area=first_grid, area_code=first_grid.code, password=hashed)
            for n in names
        ]
    )
    return names


# --- the raw rate -------------------------------------------------------------------------------------------


def raw_insert_rate(url: str, clients: int, seconds: float) -> float:
    """Single-row INSERTs, each its own transaction, from `clients` connections at once."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS bench_raw (id bigserial PRIMARY KEY, n int, t timestamptz, s text)"
        )
    counts = [0] * clients
    stop = time.perf_counter() + seconds

    def run(i: int) -> None:
        with psycopg.connect(url, autocommit=True) as conn:
            while time.perf_counter() < stop:
                conn.execute("INSERT INTO bench_raw (n, t, s) VALUES (%s, now(), %s)", (i, "暴露垃圾"))
                counts[i] += 1

    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(counts) / (time.perf_counter() - started)


# --- the server ---------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(database_url: str, port: int, workers: int) -> subprocess.Popen:
    from cryptography.fernet import Fernet

    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "ZHIZHI_ENV": "production",
        "ZHIZHI_SECRET_KEY": secrets.token_urlsafe(50),
        "ZHIZHI_FIELD_KEY": Fernet.generate_key().decode(),
        "ZHIZHI_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "ZHIZHI_WEB_WORKERS": str(workers),
        "ZHIZHI_LOG_LEVEL": "ERROR",
        "PYTHONPATH": str(ROOT / "src"),
    }
    return subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "zhizhi.cli", "serve", "--port", str(port), "--host", "127.0.0.1"],
        env=env,
        cwd=str(ROOT),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def wait_until_up(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/accounts/login/")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit("the server did not come up")


def stop_server(server: subprocess.Popen) -> None:
    try:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(server.pid, signal.SIGKILL)


# --- the clients --------------------------------------------------------------------------------------------


class Client:
    """A resident's browser session: logs in through the form, then posts reports to the API."""

    def __init__(self, port: int, username: str, rng: random.Random):
        self.port, self.username, self.rng = port, username, rng
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookies: dict[str, str] = {}

    def _request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()  # sync workers close the connection; open a new one
                if attempt == 2:
                    raise
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():  # Secure cookies kept over plain HTTP here
                self.cookies[name] = morsel.value
        if response.getheader("Connection", "").lower() == "close":
            self.conn.close()
        return response.status, data

    def login(self) -> None:
        status, page = self._request("GET", "/accounts/login/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()
        form = urlencode({"username": self.username, "password": PASSWORD, "csrfmiddlewaretoken": token})
        status, _ = self._request(
            "POST", "/accounts/login/", form.encode(), {"Content-Type": "application/x-www-form-urlencoded"}
        )
        if status != 302 or "sessionid" not in self.cookies:
            raise SystemExit(f"login failed for {self.username}: HTTP {status}")

    def read_inbox(self, n: int) -> int:
        """The floor: an authenticated GET that reads one short list (session, user, one query)."""
        status, _ = self._request("GET", "/api/cases/notifications?limit=1")
        return 201 if status == 200 else status

    def report(self, n: int) -> int:
        rng = self.rng
        body = {
            "category": rng.choice(CATEGORIES),
            "description": "路边一堆垃圾，请尽快处理",
            "lat": SOUTH + rng.uniform(0.0001, COMMUNITIES * SIZE - 0.0001),
            "lon": WEST + rng.uniform(0.0001, GRIDS * SIZE - 0.0001),
            "address": f"延安路{rng.randint(1, 400)}号",
            "idempotency_key": f"{self.username}-{n}",
        }
        status, _ = self._request(
            "POST",
            "/api/cases/",
            json.dumps(body, ensure_ascii=False).encode(),
            {"Content-Type": "application/json", "X-CSRFToken": self.cookies.get("csrftoken", "")},
        )
        return status


def load(
    clients: list[Client], seconds: float, warmup: float, what: str = "report"
) -> tuple[list[float], int, int, float]:
    """(latencies of the timed requests in ms, answered, errors, elapsed seconds)."""
    latencies: list[list[float]] = [[] for _ in clients]
    errors = [0] * len(clients)
    created = [0] * len(clients)
    begin = time.perf_counter() + warmup
    end = begin + seconds

    def run(i: int) -> None:
        client, n = clients[i], 0
        while True:
            started = time.perf_counter()
            if started >= end:
                return
            n += 1
            status = getattr(client, what)(n)
            if started >= begin:
                latencies[i].append((time.perf_counter() - started) * 1000)
                if status == 201:
                    created[i] += 1
                else:
                    errors[i] += 1

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(clients))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return [ms for per in latencies for ms in per], sum(created), sum(errors), seconds


def check_rows(created: int) -> dict:
    from zhizhi.cases.models import Case, Notification, Transition
    from zhizhi.core.models import AuditEntry

    return {
        "cases": Case.objects.count(),
        "transitions": Transition.objects.filter(action="open").count(),
        "audit": AuditEntry.objects.filter(object_type="cases.case").count(),
        "notifications": Notification.objects.count(),
    }


def main() -> int:
    args = parse_args()
    url = require_postgres("case_intake")
    seconds = args.seconds or (8.0 if args.quick else 30.0)
    cores = os.cpu_count() or 2
    workers = args.workers or 2 * cores + 1
    say(f"Creating database {BENCH_DB} and migrating …" + (" (quick)" if args.quick else ""))
    setup_django(url, BENCH_DB)
    database_url = bench_url(url, BENCH_DB)
    server = None
    try:
        usernames = build_street(args.clients)
        say(f"Raw single-row INSERT rate, {args.clients} connections, {min(seconds, 5):g} s …")
        raw = raw_insert_rate(database_url, args.clients, min(seconds, 5.0))
        say(f"  {raw:,.0f} rows/s")
        port = free_port()
        say(f"Starting `zhizhi serve` (ZHIZHI_ENV=production, gunicorn, {workers} workers) on port {port} …")
        server = start_server(database_url, port, workers)
        wait_until_up(port)
        clients = [Client(port, name, random.Random(name)) for name in usernames]
        for client in clients:
            client.login()
        floor_s = min(seconds, 5.0)
        say(f"Floor: the same clients GET /api/cases/notifications?limit=1 for {floor_s:g} s …")
        floor_latencies, floor_n, _, _ = load(clients, floor_s, warmup=1.0, what="read_inbox")
        floor = floor_n / floor_s
        say(f"  {floor:,.0f} requests/s, p50 {pct(floor_latencies, 50):.1f} ms")
        say(f"{args.clients} clients POST /api/cases/ for {seconds:g} s (after 2 s of warm-up) …")
        latencies, created, errors, elapsed = load(clients, seconds, warmup=2.0)
        rows = check_rows(created)
        rate = created / elapsed
        say(f"  {created:,} cases in {elapsed:g} s = {rate:,.0f} cases/s; {errors} errors")
        say(f"  latency p50 {pct(latencies, 50):.1f} ms, p99 {pct(latencies, 99):.1f} ms")
        say(f"  rows written: {rows}")
        say(f"  intake runs at {rate / raw:.1%} of the raw single-row INSERT rate ({cores} cores)")
        result = {
            "cases_per_s": round(rate, 1),
            "p50_ms": round(pct(latencies, 50), 1),
            "p99_ms": round(pct(latencies, 99), 1),
            "raw_insert_per_s": round(raw, 1),
            "floor_get_per_s": round(floor, 1),
            "clients": args.clients,
            "workers": workers,
            "cores": cores,
            "errors": errors,
            "seconds": seconds,
            "quick": args.quick,
        }
    finally:
        if server is not None:
            stop_server(server)
        from django.db import connections

        connections.close_all()
        if not args.keep:
            drop_database(url, BENCH_DB)
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
