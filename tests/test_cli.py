"""The `zhizhi` front door: demo, serve, worker, pass-through commands, genkey, and production settings.

Server tests start real processes on free ports (never 8000) with their own data directory, in their own
process group, and always stop that group.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest
from cryptography.fernet import Fernet

from zhizhi import cli

ROOT = Path(__file__).resolve().parent.parent
ZHIZHI = [sys.executable, "-m", "zhizhi.cli"]
DEMO_SCALE = "0.02"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def clean_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a fresh machine: embedded SQLite in `data_dir`, development settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZHIZHI_", "DATABASE_URL", "PORT"))}
    env.update(ZHIZHI_DATA_DIR=str(data_dir), PYTHONUNBUFFERED="1", **extra)
    return env


KEY = "Ly1MpO6dOgtn8v5HTbyXpCJm7gOvhVUo4S9kRzUkGUM="  # a field key for production runs


def production_env(data_dir: Path, hosts: str, **extra: str) -> dict[str, str]:
    """A fresh machine set up for production: both keys and the allowed hosts."""
    return clean_env(
        data_dir,
        ZHIZHI_ENV="production",
        ZHIZHI_SECRET_KEY="s" * 50,
        ZHIZHI_FIELD_KEY=KEY,
        ZHIZHI_ALLOWED_HOSTS=hosts,
        **extra,
    )


def run(args: list[str], env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*ZHIZHI, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )


@contextlib.contextmanager
def server(args: list[str], env: dict[str, str], log: Path):
    """Start `zhizhi <args>` in its own process group; always stop the whole group afterwards."""
    with log.open("w") as out:
        proc = subprocess.Popen(  # noqa: S603
            [*ZHIZHI, *args], env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        yield proc
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def wait_for_page(url: str, proc: subprocess.Popen, log: Path, timeout: float = 120) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"server exited with {proc.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - local test server
                return response.read().decode()
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    pytest.fail(f"{url} did not answer within {timeout}s:\n{log.read_text()}")


def group_gone(pgid: int, timeout: float = 15) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.2)
    return False


# --- in-process ---------------------------------------------------------------------------------------------


def test_help_lists_every_process(capsys):
    cli.main(["help"])
    out = capsys.readouterr().out
    for command in ("demo", "serve", "worker", "migrate", "genkey"):
        assert f"zhizhi {command}" in out


def test_genkey_prints_a_valid_fernet_key(capsys):
    cli.main(["genkey"])
    key = capsys.readouterr().out.strip()
    token = Fernet(key.encode()).encrypt(b"330105194901011234")
    assert Fernet(key.encode()).decrypt(token) == b"330105194901011234"


# Transactional: the pass-through closes every connection when its command ends (as `manage.py` does), which
# would end a test wrapped in a transaction on PostgreSQL.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_running_the_seed_twice_creates_no_duplicates(capsys):
    from zhizhi.accounts.models import User
    from zhizhi.areas.models import Area, Building, Dwelling
    from zhizhi.people.models import Contact, Household, Residence, Resident

    def counts():
        return [
            m.objects.count()
            for m in (Area, Building, Dwelling, Household, Resident, Residence, Contact, User)
        ]

    cli.main(["seed_demo", "--scale", DEMO_SCALE])
    first = counts()
    assert "Seeded in" in capsys.readouterr().out
    cli.main(["seed_demo", "--scale", DEMO_SCALE])
    assert counts() == first
    assert "already seeded" in capsys.readouterr().out
    assert first[4] >= 400
    assert Resident.objects.filter(tags__code="elderly").exists()


def test_makefile_passes_the_port_through():
    out = subprocess.run(
        ["make", "-n", "demo", "PORT=8765"], cwd=ROOT, capture_output=True, text=True, timeout=30
    ).stdout
    assert "zhizhi demo --port 8765" in out


# --- processes ----------------------------------------------------------------------------------------------


def test_demo_serves_the_login_page_and_comes_up_again_without_reseeding(tmp_path):
    env = clean_env(tmp_path)
    for attempt in (1, 2):
        port = free_port()
        log = tmp_path / f"demo-{attempt}.log"
        with server(["demo", "--port", str(port), "--scale", DEMO_SCALE], env, log) as proc:
            page = wait_for_page(f"http://127.0.0.1:{port}/accounts/login/", proc, log)
            assert 'name="username"' in page and 'name="password"' in page
            proc.send_signal(signal.SIGTERM)  # the demo stops its worker when asked to stop
            proc.wait(timeout=20)
            assert group_gone(proc.pid), "the demo left its worker or its periodic checks running"
        output = log.read_text()
        assert "lizhuren" in output
        if attempt == 1:
            assert "Seeded in" in output
            assert "Watched" in output  # the door sensors of the elders living alone
        else:
            assert "already seeded" in output and "Seeded in" not in output
            assert "demo bridge zigbee2mqtt already has its devices" in output


def test_demo_refuses_a_busy_port_without_leaving_processes(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run(["demo", "--port", str(port)], clean_env(tmp_path), timeout=60)
    assert result.returncode != 0
    assert f"Port {port}" in result.stderr
    assert "Seeding" not in result.stdout


@pytest.fixture(scope="module")
def migrated(tmp_path_factory) -> Path:
    """A data directory migrated once by `zhizhi migrate`; tests copy its database."""
    data_dir = tmp_path_factory.mktemp("migrated")
    result = run(["migrate", "--noinput", "-v", "0"], clean_env(data_dir))
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(data_dir / "zhizhi.sqlite3") as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        applied = {app for (app,) in db.execute("SELECT DISTINCT app FROM django_migrations")}
    assert {"areas", "people", "accounts", "core", "auth", "sessions"} <= applied
    return data_dir


def copy_of(migrated: Path, tmp_path: Path) -> Path:
    shutil.copy(migrated / "zhizhi.sqlite3", tmp_path / "zhizhi.sqlite3")
    return tmp_path


def test_serve_answers_on_the_given_port(migrated, tmp_path):
    env = clean_env(copy_of(migrated, tmp_path))
    port = free_port()
    log = tmp_path / "serve.log"
    with server(["serve", "--port", str(port)], env, log) as proc:
        page = wait_for_page(f"http://127.0.0.1:{port}/accounts/login/", proc, log)
        assert 'name="username"' in page


def _http(port: int, method: str, path: str, cookies: dict, body: bytes | None = None, headers=None):
    """One request with the cookies gathered so far (Secure ones too: this is plain HTTP on loopback)."""
    headers = dict(headers or {})
    if cookies:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
    finally:
        conn.close()
    for header in response.headers.get_all("Set-Cookie") or []:
        cookies.update({name: morsel.value for name, morsel in SimpleCookie(header).items()})
    return response.status, data


def test_production_serve_logs_in_answers_the_api_and_stops_on_sigterm(migrated, tmp_path):
    """`zhizhi serve` as production runs it (granian, DEBUG off): a login through the form, an API read with
    the session, a state-changing call without the CSRF token refused, and a clean stop on SIGTERM."""
    data_dir = copy_of(migrated, tmp_path)
    make_user = (
        "from zhizhi.accounts.models import User; "
        "User.objects.create_user('serve-check', password='serve-check-2026', role='resident')"
    )
    made = run(["shell", "-c", make_user], clean_env(data_dir), timeout=60)
    assert made.returncode == 0, made.stderr
    env = production_env(data_dir, "127.0.0.1", ZHIZHI_WEB_WORKERS="1")
    port = free_port()
    log = tmp_path / "serve.log"
    with server(["serve", "--port", str(port)], env, log) as proc:
        page = wait_for_page(f"http://127.0.0.1:{port}/accounts/login/", proc, log)
        assert 'name="username"' in page
        assert any("granian" in part for part in Path(f"/proc/{proc.pid}/cmdline").read_text().split("\0"))
        cookies: dict = {}
        status, page_bytes = _http(port, "GET", "/accounts/login/", cookies)
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page_bytes).group(1).decode()
        form = urlencode(
            {"username": "serve-check", "password": "serve-check-2026", "csrfmiddlewaretoken": token}
        )
        status, _ = _http(
            port,
            "POST",
            "/accounts/login/",
            cookies,
            form.encode(),
            {"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert status == 302 and "sessionid" in cookies, log.read_text()
        status, body = _http(port, "GET", "/api/cases/notifications?limit=1", cookies)
        assert status == 200, body
        assert json.loads(body) == []  # a new resident has no notices yet
        status, body = _http(
            port,
            "POST",
            "/api/cases/notifications/1/read",
            cookies,
            b"",
            {"Content-Type": "application/json"},
        )
        assert status == 403, body  # no X-CSRFToken
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=40) == 0, log.read_text()


def test_server_env_defaults_yield_to_the_operator():
    env = cli.server_env({"ZHIZHI_WEB_THREADS": "6", "GRANIAN_WORKERS": "3", "ZHIZHI_WEB_WORKERS": "5"})
    assert env["GRANIAN_BLOCKING_THREADS"] == "6"
    assert env["GRANIAN_WORKERS"] == "3"  # granian's own variable wins over ours
    assert env["GRANIAN_HTTP"] == "1"
    assert cli.server_env({})["GRANIAN_WORKERS"] == str(os.cpu_count() or 2)


def test_the_worker_starts_and_stops_on_sigterm(migrated, tmp_path):
    env = clean_env(copy_of(migrated, tmp_path), ZHIZHI_LOG_LEVEL="INFO")
    log = tmp_path / "worker.log"
    with server(["worker", "--interval", "0.2"], env, log) as proc:
        deadline = time.monotonic() + 60
        while "Starting worker" not in log.read_text() and time.monotonic() < deadline:
            assert proc.poll() is None, log.read_text()
            time.sleep(0.2)
        assert "Starting worker" in log.read_text()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0


# --- production settings ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("present", "missing"),
    [({}, "ZHIZHI_SECRET_KEY"), ({"ZHIZHI_SECRET_KEY": "s" * 50}, "ZHIZHI_FIELD_KEY")],
)
def test_production_refuses_to_start_without_its_keys(tmp_path, present, missing):
    result = run(["check"], clean_env(tmp_path, ZHIZHI_ENV="production", **present), timeout=60)
    assert result.returncode != 0
    assert missing in result.stderr


def test_production_starts_with_both_keys_but_refuses_the_demo(tmp_path):
    env = production_env(tmp_path, "zhizhi.example")
    assert run(["check"], env, timeout=60).returncode == 0
    demo = run(["demo", "--port", str(free_port())], env, timeout=60)
    assert demo.returncode != 0 and "not for production" in demo.stderr
