"""The `zhizhi` command: one front door for every process.

    zhizhi demo [--port 8000]    migrate the embedded database, seed the demo street, run web + worker
    zhizhi serve [--port 8000]   the web process (gunicorn in production, Django's server otherwise)
    zhizhi worker                the background-task worker (django-tasks-db)
    zhizhi migrate               apply database migrations
    zhizhi genkey                print a new field-encryption key for ZHIZHI_FIELD_KEY
    zhizhi <command> ...         any other Django management command (seed_demo, createsuperuser, …)
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhizhi.settings")
    import django

    django.setup()


def _manage(*args: str) -> None:
    from django.core.management import execute_from_command_line

    execute_from_command_line(["zhizhi", *args])


def _serve(port: int, host: str) -> None:
    from django.conf import settings

    if settings.PRODUCTION:
        os.execvp(  # noqa: S606
            sys.executable,
            [sys.executable, "-m", "gunicorn", "zhizhi.wsgi:application", "--bind", f"{host}:{port}",
             "--workers", os.environ.get("ZHIZHI_WEB_WORKERS", "4")],
        )
    _manage("runserver", f"{host}:{port}", "--noreload")


def _demo(port: int, host: str) -> None:
    from django.conf import settings

    _manage("migrate", "--noinput", "-v", "0")
    _manage("compile_translations")
    _manage("seed_demo")
    print(f"\n智治 Zhizhi demo: http://{host}:{port}/   (database: {settings.DATABASES['default']['NAME']})\n")
    worker = subprocess.Popen([sys.executable, "-m", "zhizhi.cli", "worker"])  # noqa: S603
    try:
        _serve(port, host)
    finally:
        worker.terminate()
        worker.wait(timeout=10)


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
        opts = parser.parse_args(argv[1:])
        (_demo if command == "demo" else _serve)(opts.port, opts.host)
    elif command == "worker":
        _manage("db_worker", *argv[1:])
    else:
        _manage(*argv)


if __name__ == "__main__":
    main()
