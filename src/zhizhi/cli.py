"""The `zhizhi` command: one front door for every process.

zhizhi demo [--port 8000] [--scale 1]
                             migrate the embedded database, seed the demo street, run web + worker +
                             the periodic deadline scan and door-sensor checks
zhizhi serve [--port 8000]   the web process (granian in production, Django's server otherwise)
zhizhi worker                the background-task worker (django-tasks-db)
zhizhi migrate               apply database migrations
zhizhi genkey                print a new field-encryption key for ZHIZHI_FIELD_KEY
zhizhi <command> ...         any other Django management command (seed_demo, createsuperuser, …)
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Mapping


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhizhi.settings")
    import django

    django.setup()


def _manage(*args: str) -> None:
    from django.core.management import execute_from_command_line

    execute_from_command_line(["zhizhi", *args])


def server_argv(app: str, host: str, port: int) -> list[str]:
    """`python -m granian …` as production runs it (benchmarks/case_intake.py serves its reference the same way).

    Granian (HTTP in Rust, the WSGI application in a few Python threads per process) costs a request less
    than gunicorn's gthread worker did: on the case-intake benchmark, ~15 % more cases per second on the same
    two cores (README, "Benchmarks", has the figures). Its other settings come from its GRANIAN_* environment variables, which
    an operator may set (`granian --help` lists them); server_env gives the defaults.
    """
    return ["-m", "granian", "--interface", "wsgi", "--host", host, "--port", str(port), app]


def server_env(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment of the production web server: `environ` with our defaults where it sets nothing."""
    env = dict(environ)
    # One process per core, each with a couple of threads: a request mostly runs Python (holding the GIL)
    # and waits on the database a little; more threads only contend for the GIL.
    env.setdefault("GRANIAN_WORKERS", environ.get("ZHIZHI_WEB_WORKERS", str(os.cpu_count() or 2)))
    env.setdefault("GRANIAN_BLOCKING_THREADS", environ.get("ZHIZHI_WEB_THREADS", "2"))
    env.setdefault("GRANIAN_BLOCKING_THREADS_IDLE_TIMEOUT", "300")  # a thread keeps its database connection
    env.setdefault("GRANIAN_RUNTIME_MODE", "st")  # one I/O thread per process
    env.setdefault("GRANIAN_HTTP", "1")  # behind the site's reverse proxy, which speaks HTTP/1.1
    env.setdefault("GRANIAN_WEBSOCKETS", "false")
    env.setdefault("GRANIAN_RESPAWN_FAILED_WORKERS", "true")
    env.setdefault("GRANIAN_WORKERS_KILL_TIMEOUT", "30")  # then a worker stuck in a request is killed
    env.setdefault("GRANIAN_LOG_LEVEL", environ.get("ZHIZHI_LOG_LEVEL", "WARNING").lower())
    return env


def _serve(port: int, host: str) -> None:
    from django.conf import settings

    if settings.PRODUCTION:
        argv = [sys.executable, *server_argv("zhizhi.wsgi:application", host, port)]
        os.execvpe(sys.executable, argv, server_env(os.environ))  # noqa: S606
    _manage("runserver", f"{host}:{port}", "--noreload")


def _port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def _stop_on_sigterm() -> None:
    """Turn SIGTERM/SIGHUP into KeyboardInterrupt so the web server unwinds and the worker is stopped too."""

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
    signal.signal(signal.SIGHUP, interrupt)


def _demo(port: int, host: str, scale: float) -> None:
    from django.conf import settings

    if settings.PRODUCTION:
        sys.exit(
            "zhizhi demo seeds synthetic people and is not for production; "
            "run `zhizhi serve` and `zhizhi worker`."
        )
    if not _port_free(host, port):
        sys.exit(f"Port {port} on {host} is in use; choose another, e.g. zhizhi demo --port 8765")
    _manage("migrate", "--noinput", "-v", "0")
    _manage("compile_translations")
    _manage("seed_demo", "--scale", str(scale))
    # A few months of cases walked through the real workflow (≈4 reports a working day on the full street).
    _manage("seed_demo_cases", "--per-day", f"{max(0.2, 4 * scale):g}")
    # Door sensors for the elders living alone: weeks of their days, learned baselines, today's board.
    _manage("seed_demo_sensors")
    print(
        f"\n智治 Zhizhi demo: http://{host}:{port}/   (database: {settings.DATABASES['default']['NAME']})\n",
        flush=True,
    )
    _stop_on_sigterm()
    # Beside the web server: the task worker, the deadline scan (warnings, automatic escalation) every
    # minute, and the door-sensor checks (due alarms, the alarm ladder, device health) every 2 s.
    helpers = [
        subprocess.Popen([sys.executable, "-m", "zhizhi.cli", *command])  # noqa: S603
        for command in (["worker"], ["scan_deadlines", "--loop", "60"], ["sensors", "tick", "--loop"])
    ]
    try:
        _serve(port, host)
    except KeyboardInterrupt:
        pass
    finally:
        for process in helpers:
            process.terminate()
        for process in helpers:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = argv[0] if argv else "help"
    if command in ("help", "-h", "--help"):
        print(__doc__)
        return
    if command == "genkey":
        from cryptography.fernet import Fernet

        print(Fernet.generate_key().decode())
        return
    _setup()
    if command in ("demo", "serve"):
        parser = argparse.ArgumentParser(prog=f"zhizhi {command}")
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--host", default="127.0.0.1")
        if command == "demo":
            parser.add_argument(
                "--scale",
                type=float,
                default=float(os.environ.get("ZHIZHI_DEMO_SCALE", "1")),
                help="size of the demo street (1 = ~20,000 residents)",
            )
        opts = parser.parse_args(argv[1:])
        if command == "demo":
            _demo(opts.port, opts.host, opts.scale)
        else:
            _serve(opts.port, opts.host)
    elif command == "worker":
        _manage("db_worker", *argv[1:])
    else:
        _manage(*argv)


if __name__ == "__main__":
    main()
