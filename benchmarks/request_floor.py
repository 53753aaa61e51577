"""The fixed cost of one request, measured in-process: what every page and API call pays before it does its work.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test python benchmarks/request_floor.py [--quick] [-n 3000]
        [--profile 40] [--keep] [--reuse] [--cases 'bare,intake POST']

Creates a throwaway database (`zhizhi_bench_floor`), migrates it and makes one resident account with a
logged-in session. Then, with the production settings (ZHIZHI_ENV=production, DEBUG off, the keys set), it
calls the WSGI application directly — no sockets, no web server, one thread — N times for each of:

  bare           a django-ninja endpoint in a URLconf of this script, no middleware, no auth, the same
                 one-row read as the inbox (the "bare Django + django-ninja" reference);
  bare+session   the same endpoint with only SessionMiddleware + AuthenticationMiddleware and ninja's
                 django_auth (session row + user row);
  bare+ours      the same endpoint behind the product's whole MIDDLEWARE list, still django_auth;
  floor GET      the product: GET /api/cases/notifications?limit=1 with the session cookie — the floor
                 that benchmarks/case_intake.py measures over HTTP;
  floor POST     the product: POST /api/cases/notifications/0/read with session cookie and CSRF token
                 (a 404 after auth and the CSRF check: the floor of a state-changing call);
  page GET       the product: GET / (the home page: templates and context processors);
  intake POST    the product: POST /api/cases/ as benchmarks/case_intake.py sends it, on its street.

For each: CPU ms per request (this thread's CPU time: Python, Django, the database driver — not
PostgreSQL's own backend), wall ms per request, SQL statements per request and the wall ms spent in them.
Then the floor GET again with probes between the middleware, which gives each middleware's own CPU time
(the call into the next one excluded; "view" is URL resolution, process_view hooks and the ninja operation),
and with --profile K the cProfile of the floor GET, top K functions by own time.

Ends with one line of JSON: {"cpu_ms": {...}, "wall_ms": {...}, "queries": {...}, "middleware_cpu_ms": {...}}.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import json
import os
import pstats
import secrets
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
sys.modules.setdefault("request_floor", sys.modules[__name__])

from worklist import drop_database, require_postgres, say, setup_django  # noqa: E402

BENCH_DB = "zhizhi_bench_floor"
FLOOR_GET = "/api/cases/notifications?limit=1"
FLOOR_POST = "/api/cases/notifications/0/read"
PAGE = "/"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer requests (1,000 per case)")
    parser.add_argument("-n", type=int, help="requests per case (default 3,000; 1,000 with --quick)")
    parser.add_argument("--profile", type=int, default=0, metavar="K", help="print the top K functions")
    parser.add_argument("--profile-case", default="floor GET", help="which case --profile profiles")
    parser.add_argument(
        "--cases", help="comma-separated names of the cases to run (default: all), e.g. 'bare,intake POST'"
    )
    parser.add_argument("--keep", action="store_true", help=f"keep the {BENCH_DB} database afterwards")
    parser.add_argument("--reuse", action="store_true", help=f"reuse a kept {BENCH_DB} (no migrate)")
    return parser.parse_args()


def production_env() -> None:
    from cryptography.fernet import Fernet

    os.environ["ZHIZHI_ENV"] = "production"
    os.environ["ZHIZHI_SECRET_KEY"] = secrets.token_urlsafe(50)
    os.environ["ZHIZHI_FIELD_KEY"] = Fernet.generate_key().decode()
    os.environ["ZHIZHI_ALLOWED_HOSTS"] = "127.0.0.1,localhost"
    os.environ["ZHIZHI_LOG_LEVEL"] = "ERROR"


# --- the bare reference: a URLconf of this module ----------------------------------------------------------

urlpatterns: list = []


def build_bare_urls() -> None:
    """/bare/ (no auth) and /bare-auth/ (django_auth): the inbox's one-row read, shaped by a ninja schema."""
    from django.urls import path
    from ninja import NinjaAPI, Schema
    from ninja.security import django_auth

    from zhizhi.cases.models import Notification

    class Row(Schema):
        id: int
        text: str
        created_at: dt.datetime

    def rows(user_id):
        return [
            {"id": n.pk, "text": n.text, "created_at": n.created_at}
            for n in Notification.objects.filter(recipient_id=user_id).order_by("-created_at", "-id")[:1]
        ]

    bare = NinjaAPI(urls_namespace="bare_floor")
    authed = NinjaAPI(urls_namespace="bare_floor_auth", auth=django_auth)

    @bare.get("/rows", response=list[Row])
    def bare_rows(request):
        return rows(1)

    @authed.get("/rows", response=list[Row])
    def authed_rows(request):
        return rows(request.user.pk)

    urlpatterns[:] = [path("bare/", bare.urls), path("bare-auth/", authed.urls)]


# --- middleware probes --------------------------------------------------------------------------------------

PROBE_LOG: list[list[tuple[int, int, int]]] = []  # per request: (probe index, 0 in / 1 out, thread ns)


def _make_probe(i: int):
    def factory(get_response):
        def probe(request):
            log = PROBE_LOG[-1]
            log.append((i, 0, time.thread_time_ns()))
            try:
                return get_response(request)
            finally:
                log.append((i, 1, time.thread_time_ns()))

        return probe

    factory.__name__ = f"probe_{i}"
    return factory


def probed(middleware: list[str]) -> list[str]:
    """The list with a probe before each middleware and one before the view."""
    out = []
    for i, name in enumerate([*middleware, "view"]):
        setattr(sys.modules[__name__], f"probe_{i}", _make_probe(i))
        out.append(f"request_floor.probe_{i}")
        if name != "view":
            out.append(name)
    return out


def middleware_costs(names: list[str], logs: list[list[tuple[int, int, int]]]) -> dict[str, float]:
    """Own CPU ms of each middleware: between its probe and the next one, on the way in and on the way out."""
    labels = [*names, "view"]
    total = [0] * len(labels)
    for log in logs:
        stamp = {(i, d): t for i, d, t in log}
        for i in range(len(labels)):
            if (i, 0) not in stamp or (i, 1) not in stamp:
                continue
            if i + 1 < len(labels) and (i + 1, 0) in stamp:
                total[i] += (stamp[(i + 1, 0)] - stamp[(i, 0)]) + (stamp[(i, 1)] - stamp[(i + 1, 1)])
            else:
                total[i] += stamp[(i, 1)] - stamp[(i, 0)]
    n = max(len(logs), 1)
    return {label.rsplit(".", 1)[-1]: round(t / n / 1e6, 4) for label, t in zip(labels, total, strict=True)}


# --- calling the application --------------------------------------------------------------------------------


class Caller:
    def __init__(self, cookie: str, csrf_header: str):
        self.cookie, self.csrf_header = cookie, csrf_header

    def environ(self, method: str, path: str, *, auth: bool = True, body: bytes = b"") -> dict:
        path_info, _, query = path.partition("?")
        env = {
            "REQUEST_METHOD": method,
            "SCRIPT_NAME": "",
            "PATH_INFO": path_info,
            "QUERY_STRING": query,
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_HOST": "127.0.0.1:8000",
            "HTTP_USER_AGENT": "request_floor/1",
            "HTTP_ACCEPT": "*/*",
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
        }
        if auth:
            env["HTTP_COOKIE"] = self.cookie
        if method == "POST":
            env["CONTENT_LENGTH"] = str(len(body))
            env["CONTENT_TYPE"] = "application/json"
            env["HTTP_X_CSRFTOKEN"] = self.csrf_header
        return env

    def call(self, app, method: str, path: str, *, auth: bool = True, body: bytes = b"") -> int:
        status = []
        env = self.environ(method, path, auth=auth, body=body)
        result = app(env, lambda s, h, exc_info=None: status.append(s))
        try:
            for _ in result:
                pass
        finally:
            if hasattr(result, "close"):
                result.close()  # request_finished, as a WSGI server does
        return int(status[0][:3])


class QueryMeter:
    def __init__(self):
        self.count, self.ns = 0, 0

    def __call__(self, execute, sql, params, many, context):
        t0 = time.perf_counter_ns()
        try:
            return execute(sql, params, many, context)
        finally:
            self.ns += time.perf_counter_ns() - t0
            self.count += 1


def handler(middleware: list[str] | None = None, urlconf: str | None = None):
    """A WSGI handler built with this middleware list (the product's when None), resolving URLs with this
    URLconf (the product's when None) — set on the request, as a middleware may, so nothing else changes."""
    from django.core.handlers.wsgi import WSGIHandler
    from django.test import override_settings

    class Handler(WSGIHandler):
        def get_response(self, request):
            if urlconf is not None:
                request.urlconf = urlconf
            return super().get_response(request)

    if middleware is None:
        return Handler()
    with override_settings(MIDDLEWARE=middleware):
        return Handler()


def measure(
    caller: Caller, app, method: str, path: str, n: int, *, auth=True, expect=(200,), body=None
) -> dict:
    """CPU and wall ms per request; `body(i)` gives the i-th request's body (POSTs that must differ)."""
    from django.db import connection

    warm = max(50, n // 10)
    for i in range(warm):  # warm-up: caches, connection, code paths
        status = caller.call(app, method, path, auth=auth, body=body(i) if body else b"")
    if status not in expect:
        raise SystemExit(f"{method} {path}: HTTP {status}, expected {expect}")
    bodies = [body(warm + i) if body else b"" for i in range(n)]
    meter = QueryMeter()
    with connection.execute_wrapper(meter):
        c0, w0 = time.thread_time_ns(), time.perf_counter_ns()
        for i in range(n):
            caller.call(app, method, path, auth=auth, body=bodies[i])
        c1, w1 = time.thread_time_ns(), time.perf_counter_ns()
    return {
        "cpu_ms": round((c1 - c0) / n / 1e6, 4),
        "wall_ms": round((w1 - w0) / n / 1e6, 4),
        "queries": round(meter.count / n, 2),
        "sql_wall_ms": round(meter.ns / n / 1e6, 4),
    }


def intake_body(i: int) -> bytes:
    """A report as benchmarks/case_intake.py sends it: a point of its street, its own idempotency key."""
    import random

    from case_intake import CATEGORIES, COMMUNITIES, GRIDS, SIZE, SOUTH, WEST

    rng = random.Random(i)
    report = {
        "category": rng.choice(CATEGORIES),
        "description": "路边一堆垃圾，请尽快处理",
        "lat": SOUTH + rng.uniform(0.0001, COMMUNITIES * SIZE - 0.0001),
        "lon": WEST + rng.uniform(0.0001, GRIDS * SIZE - 0.0001),
        "address": f"延安路{rng.randint(1, 400)}号",
        "idempotency_key": f"floor-{RUN}-{i}",
    }
    return json.dumps(report, ensure_ascii=False).encode()


RUN = secrets.token_hex(3)


def login(username: str = "floor-resident") -> Caller:
    """A resident account with a real session (as after the login form) and a CSRF cookie."""
    from django.conf import settings
    from django.middleware.csrf import _get_new_csrf_string, _mask_cipher_secret
    from django.test import Client

    from zhizhi.accounts.models import User
    from zhizhi.core.roles import Role

    user, _ = User.objects.get_or_create(username=username, defaults={"role": Role.RESIDENT})
    user.set_password("floor-pass-2026")
    user.save()
    client = Client()
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    secret = _get_new_csrf_string()
    cookie = f"{settings.SESSION_COOKIE_NAME}={session}; {settings.CSRF_COOKIE_NAME}={secret}"
    return Caller(cookie, _mask_cipher_secret(secret))


def main() -> int:
    args = parse_args()
    url = require_postgres("request_floor")
    n = args.n or (1000 if args.quick else 3000)
    production_env()
    say(f"Database {BENCH_DB} …" + (" (reused)" if args.reuse else " created and migrated"))
    setup_django(url, BENCH_DB, reuse=args.reuse)
    try:
        from django.conf import settings

        assert settings.PRODUCTION and not settings.DEBUG
        build_bare_urls()
        caller = login()
        from zhizhi.accounts.models import User

        if not User.objects.filter(username="resident000").exists():
            from case_intake import build_street

            build_street(1)  # the intake benchmark's street, units and resident
        reporter = login("resident000")
        product = handler()
        mw = list(settings.MIDDLEWARE)
        session_auth = [
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
        ]
        say(f"{n:,} requests per case, one thread, in-process WSGI; load average {os.getloadavg()[0]:.2f}")
        cases = {
            "bare": (handler([], "request_floor"), "GET", "/bare/rows", False, (200,)),
            "bare+session": (handler(session_auth, "request_floor"), "GET", "/bare-auth/rows", True, (200,)),
            "bare+ours": (handler(mw, "request_floor"), "GET", "/bare-auth/rows", True, (200,)),
            "floor GET": (product, "GET", FLOOR_GET, True, (200,)),
            "floor POST": (product, "POST", FLOOR_POST, True, (404,)),
            "page GET": (product, "GET", PAGE, True, (200,)),
            "intake POST": (product, "POST", "/api/cases/", True, (201,)),
        }
        chosen = [c.strip() for c in args.cases.split(",")] if args.cases else list(cases)
        unknown = [c for c in chosen if c not in cases]
        if unknown:
            raise SystemExit(f"unknown case(s) {unknown}; choose from {list(cases)}")
        results = {}
        for name in chosen:
            app, method, path, auth, expect = cases[name]
            try:
                if name == "intake POST":
                    r = measure(reporter, app, method, path, n, expect=expect, body=intake_body)
                else:
                    r = measure(caller, app, method, path, n, auth=auth, expect=expect)
            except SystemExit as exc:
                say(f"  {name:<13} skipped: {exc}")
                continue
            results[name] = r
            say(
                f"  {name:<13} {r['cpu_ms']:7.3f} CPU ms  {r['wall_ms']:7.3f} wall ms  "
                f"{r['queries']:4.1f} queries ({r['sql_wall_ms']:.3f} ms)   {method} {path}"
            )

        per_mw: dict[str, float] = {}
        if "floor GET" in chosen:
            say("Own CPU ms per request of each middleware, floor GET (probes between them):")
            probed_app = handler(probed(mw))
            PROBE_LOG.clear()
            for i in range(n):
                PROBE_LOG.append([])
                caller.call(probed_app, "GET", FLOOR_GET)
                if i == n // 10:
                    PROBE_LOG.clear()
            per_mw = middleware_costs(mw, PROBE_LOG)
            for name, ms in per_mw.items():
                say(f"  {name:<28} {ms:.4f}")
            say(f"  {'sum':<28} {sum(per_mw.values()):.4f}")

        if args.profile:
            app, method, path, auth, _ = cases[args.profile_case]
            who = reporter if args.profile_case == "intake POST" else caller
            say(f"cProfile, {args.profile_case} × {n:,}, top {args.profile} by own time:")
            profiler = cProfile.Profile(time.thread_time)
            profiler.enable()
            for i in range(n):
                body = intake_body(10 * n + i) if args.profile_case == "intake POST" else b""
                who.call(app, method, path, auth=auth, body=body)
            profiler.disable()
            if os.environ.get("ZHIZHI_PROFILE_DUMP"):
                profiler.dump_stats(os.environ["ZHIZHI_PROFILE_DUMP"])
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out).sort_stats("tottime")
            stats.print_stats(args.profile)
            print(out.getvalue())
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(args.profile)
            print(out.getvalue())
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            drop_database(url, BENCH_DB)
    print(
        json.dumps(
            {
                "n": n,
                "cpu_ms": {k: v["cpu_ms"] for k, v in results.items()},
                "wall_ms": {k: v["wall_ms"] for k, v in results.items()},
                "queries": {k: v["queries"] for k, v in results.items()},
                "middleware_cpu_ms": per_mw,
                "loadavg": [round(v, 2) for v in os.getloadavg()],
            }
        ),
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
