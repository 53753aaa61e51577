"""Indicators at scale on PostgreSQL: one street-year and one district-month, computed from the transitions.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test python benchmarks/indicators.py [--quick] [--keep] [--reuse]

Creates a throwaway database (`zhizhi_bench_indicators`) with the district of benchmarks/worklist.py (10
streets × 10 communities × 5 grids with their handling units). Cases are COPYed in (a year of them) and each
case's history is derived in the database (INSERT … SELECT): reported, registered or rejected, dispatched,
signed, started, handled, verified, closed and rated, as far as its status goes, with per-case times so
that some steps are late; a few reworks, approved extensions and overdue flags; a Revisit row for most
closed cases, and the facts close_case stamps on each CLOSE row (about 9 transitions a case). Then
`cases.indicators.compute` is timed (median of 3 runs after a warm-up) in two stages:

  1. street_year_s — a street's own database, as a street deployment runs: 60,000 cases of one street over
     the last 365 days (5,000 with --quick), its 10 communities and 19 units;
  2. district_month_s — 1,000,000 cases in all (60,000 with --quick): the whole district over the last
     30 days, its 10 streets and ~200 units; and the same street-year again inside this district database
     (street_year_in_district_db_s, under 1 s too: a district or city deployment answers a street's year),
     where the street's rows are a tenth of the table and spread through it.

Drops the database unless --keep; --keep also keeps a copy of the street's database as it was in stage 1
(`zhizhi_bench_indicators_street`), and --reuse times both kept databases again (migrated to the current
schema, analysed, the same `now`) instead of loading new ones. Ends with one line of JSON:
    {"street_year_s": …, "district_month_s": …, "cases": …, "transitions": …, …}
"""

from __future__ import annotations

import datetime as dt
import json
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from worklist import (  # noqa: E402 — the shared loader
    analyse,
    bench_url,
    build_world,
    database_exists,
    drop_database,
    drop_plain_indexes,
    load_cases,
    parse_args,
    recreate_indexes,
    require_postgres,
    say,
    setup_django,
)

BENCH_DB = "zhizhi_bench_indicators"
STREET_DB = f"{BENCH_DB}_street"  # the street's database of stage 1, kept (--keep) for --reuse

# Per-case pseudo-random numbers in [0, 1) from the id, so the history is the same on every run.
TIMES = """
DROP TABLE IF EXISTS bench_times;
CREATE TEMP TABLE bench_times AS
SELECT c.id, c.status, c.created_at AS t0, c.current_unit_id AS unit, c.current_level AS level, r.*,
       c.created_at + make_interval(mins => (r.r1 * 80)::int) AS reg_at
FROM cases_case c,
LATERAL (SELECT ((c.id * 2654435761) %% 1000) / 1000.0 AS r1, ((c.id * 40503) %% 997) / 997.0 AS r2,
                ((c.id * 69069) %% 991) / 991.0 AS r3, ((c.id * 1103515245) %% 983) / 983.0 AS r4,
                ((c.id * 22695477) %% 977) / 977.0 AS r5, ((c.id * 134775813) %% 971) / 971.0 AS r6) r
WHERE c.id >= %(first_id)s;
ALTER TABLE bench_times ADD COLUMN dis_at timestamptz, ADD COLUMN acc_at timestamptz,
    ADD COLUMN sub_at timestamptz, ADD COLUMN ver_at timestamptz, ADD COLUMN clo_at timestamptz;
UPDATE bench_times SET dis_at = reg_at + make_interval(mins => (r2 * 75)::int);
UPDATE bench_times SET acc_at = dis_at + make_interval(mins => (r3 * 90)::int);
UPDATE bench_times SET sub_at = acc_at + make_interval(mins => (r4 * 4000)::int);
UPDATE bench_times SET ver_at = sub_at + make_interval(mins => (r5 * 300)::int);
UPDATE bench_times SET clo_at = ver_at + make_interval(mins => 20 + (r6 * 100)::int);
CREATE INDEX ON bench_times (status);
ANALYZE bench_times;
"""
INSERT = """
INSERT INTO cases_transition (case_id, action, from_status, to_status, actor_name, at, reason, level_to,
    step_deadline, step_started_at, on_time, deadline, data, unit_from_id, unit_to_id)
SELECT id, %(action)s, %(src)s, %(dst)s, 'bench', {at}, '', {level}, {deadline}, {started},
    {on_time}, {next}, {data}, {unit_from}, {unit_to}
FROM bench_times WHERE status = ANY(%(statuses)s) {extra}
"""
AFTER_REGISTER = [
    "registered",
    "dispatched",
    "accepted",
    "in_handling",
    "handled",
    "verified",
    "closed",
    "backlogged",
]
AFTER_DISPATCH = AFTER_REGISTER[1:]
AFTER_ACCEPT = ["accepted", "in_handling", "handled", "verified", "closed", "backlogged"]
AFTER_SUBMIT = ["handled", "verified", "closed"]
EVERY = [*AFTER_REGISTER, "received", "rejected"]
HOUR = "interval '1 hour'"
STEPS = [
    # action, from, to, statuses, at, deadline in force, step start, on_time, next deadline, units, extra
    ("open", "", "received", EVERY, "t0", "NULL", "NULL", "NULL", f"t0 + {HOUR}", (None, None), ""),
    ("register", "received", "registered", AFTER_REGISTER, "reg_at", f"t0 + {HOUR}", "t0",
     f"reg_at <= t0 + {HOUR}", f"reg_at + {HOUR}", (None, None), ""),
    ("reject", "received", "rejected", ["rejected"], "reg_at", f"t0 + {HOUR}", "t0", f"reg_at <= t0 + {HOUR}",
     "NULL", (None, None), ""),
    ("dispatch", "registered", "dispatched", AFTER_DISPATCH, "dis_at", f"reg_at + {HOUR}", "reg_at",
     f"dis_at <= reg_at + {HOUR}", f"dis_at + {HOUR}", (None, "unit"), ""),
    ("accept", "dispatched", "accepted", AFTER_ACCEPT, "acc_at", f"dis_at + {HOUR}", "dis_at",
     f"acc_at <= dis_at + {HOUR}", "acc_at + interval '2 days'", ("unit", "unit"), ""),
    ("start", "accepted", "in_handling", AFTER_ACCEPT[1:], "acc_at + interval '10 minutes'",
     "acc_at + interval '2 days'", "acc_at", "NULL", "acc_at + interval '2 days'", ("unit", "unit"), ""),
    ("approve_extension", "in_handling", "in_handling", AFTER_ACCEPT[1:], "acc_at + interval '1 day'",
     "acc_at + interval '2 days'", "acc_at", "NULL", "acc_at + interval '3 days'", ("unit", "unit"),
     "AND r3 < 0.04"),
    ("warn", "in_handling", "in_handling", AFTER_ACCEPT[1:], "acc_at + interval '2 days'",
     "acc_at + interval '2 days'", "acc_at", "NULL", "acc_at + interval '2 days'", ("unit", "unit"),
     "AND r4 > 0.72"),
    ("submit", "in_handling", "handled", AFTER_SUBMIT, "sub_at", "acc_at + interval '2 days'", "acc_at",
     "sub_at <= acc_at + interval '2 days'", "sub_at + interval '4 hours'", ("unit", "unit"), ""),
    ("rework", "handled", "in_handling", ["verified", "closed"], "sub_at + interval '1 hour'",
     "sub_at + interval '4 hours'", "sub_at", "NULL", "sub_at + interval '2 days'", ("unit", "unit"),
     "AND r5 < 0.08"),
    ("verify", "handled", "verified", ["verified", "closed"], "ver_at", "sub_at + interval '4 hours'",
     "sub_at", "ver_at <= sub_at + interval '4 hours'", "ver_at + interval '2 hours'", ("unit", "unit"), ""),
    ("close", "verified", "closed", ["closed"], "clo_at", "ver_at + interval '2 hours'", "ver_at",
     "clo_at <= ver_at + interval '2 hours'", "NULL", ("unit", "unit"), ""),
    ("revisit", "closed", "closed", ["closed"], "clo_at + interval '1 day'", "NULL", "NULL", "NULL", "NULL",
     ("unit", "unit"), "AND r6 < 0.85"),
]  # fmt: skip
# What close_case stamps on the CLOSE row (cases.indicators.stamps), from the same per-case draws as the rows.
DATA = {
    "warn": """'{"overdue": true}'::jsonb""",
    "close": """jsonb_build_object('first', true, 'registered_at', extract(epoch from reg_at)::bigint,
        'assigned_at', extract(epoch from dis_at)::bigint,
        'late', r1 * 80 > 60 OR r2 * 75 > 60 OR r3 * 90 > 60 OR r4 > 0.72 OR r5 * 300 > 240,
        'late_unit', r3 * 90 > 60 OR r4 > 0.72)""",
}
REVISITS = """
INSERT INTO cases_revisit (case_id, transition_id, rating, responded, resolved, valid, comment, by_resident,
    unit_id, at)
SELECT t.case_id, t.id,
       CASE WHEN b.r1 < 0.75 THEN 'satisfied' WHEN b.r1 < 0.93 THEN 'basically' ELSE 'unsatisfied' END,
       b.r2 < 0.97, b.r3 < 0.85, b.r4 < 0.92, '', b.r5 < 0.4, t.unit_from_id, t.at
FROM cases_transition t JOIN bench_times b ON b.id = t.case_id WHERE t.action = 'revisit'
"""


def derive_history(first_id: int = 1) -> int:
    """The transitions and revisits of the cases from `first_id` on, computed in the database from the
    cases; returns the number of transitions in the table."""
    from django.db import connection

    definitions = drop_plain_indexes(("cases_transition", "cases_revisit"))
    with connection.cursor() as cursor:
        cursor.execute(TIMES, {"first_id": first_id})
        for action, src, dst, statuses, at, deadline, started, on_time, nxt, units, extra in STEPS:
            unit_from, unit_to = (u or "NULL" for u in units)
            sql = INSERT.format(
                at=at, deadline=deadline, started=started, on_time=on_time, next=nxt, extra=extra,
                data=DATA.get(action, "'{}'::jsonb"),
                level="COALESCE(level, '')" if units[1] else "''", unit_from=unit_from, unit_to=unit_to,
            )  # fmt: skip
            data = '{"overdue": true}' if action == "warn" else "{}"
            started_at = time.perf_counter()
            cursor.execute(
                sql, {"action": action, "src": src, "dst": dst, "statuses": statuses, "data": data}
            )
            say(f"  {action:<18} {cursor.rowcount:>9,} rows ({time.perf_counter() - started_at:.1f} s)")
        cursor.execute(REVISITS)
        say(f"  {'revisit rows':<18} {cursor.rowcount:>9,}")
        cursor.execute("SELECT count(*) FROM cases_transition")
        (count,) = cursor.fetchone()
    say(f"Rebuilding {len(definitions)} indexes …")
    recreate_indexes(definitions)
    return count


def timed_runs(fn, runs: int = 3) -> tuple[float, list[float]]:
    fn()  # warm-up
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), times


def time_report(area, period, now) -> tuple[float, list[float], object]:
    from zhizhi.cases import indicators

    holder = {}
    median, runs = timed_runs(lambda: holder.update(r=indicators.compute(area, period, as_of=now)))
    return median, runs, holder["r"]


def describe(label: str, median: float, runs: list[float], report) -> None:
    total = report.areas[0].values
    say(f"  {label:<26} {median:6.3f} s  (runs {', '.join(f'{t:.3f}' for t in runs)}); "
        f"{total['reports']:,} reports, 立案率 {total['register_rate']:.1%}, 按期处置率 "
        f"{total['handle_on_time_rate']:.1%}, 结案率 {total['close_rate']:.1%}, 满意率 "
        f"{total['satisfaction_rate']:.1%}, {len(report.areas) - 1} areas, {len(report.units)} units")  # fmt: skip


def use_database(name: str) -> None:
    """Point Django's connection at another database of the same server (the next query reconnects)."""
    from django.db import connection

    connection.close()
    connection.settings_dict["NAME"] = name


def copy_database(url: str, source: str, target: str) -> None:
    """`target` becomes a copy of `source` (no connection to `source` may be open meanwhile)."""
    import psycopg
    from django.db import connections

    connections.close_all()
    with psycopg.connect(bench_url(url, "postgres"), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {target} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {target} TEMPLATE {source}")


def remember_now(now: dt.datetime) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_meta (now timestamptz NOT NULL)")
        cursor.execute("DELETE FROM bench_meta")
        cursor.execute("INSERT INTO bench_meta VALUES (%s)", [now])


def recalled_now() -> dt.datetime:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT now FROM bench_meta")
        (now,) = cursor.fetchone()
    return now


def main() -> int:
    args = parse_args(__doc__.split("\n")[0])
    url = require_postgres("indicators")
    n = args.cases or (60_000 if args.quick else 1_000_000)
    n_street = max(5_000, n * 6 // 100)
    rng = random.Random(args.seed)
    t0 = time.perf_counter()
    reuse = args.reuse and database_exists(url, BENCH_DB) and database_exists(url, STREET_DB)
    if reuse:
        say(f"Reusing databases {BENCH_DB} and {STREET_DB} and migrating them …")
    else:
        say(
            f"Creating database {BENCH_DB} and migrating …" + (f" (quick: {n:,} cases)" if args.quick else "")
        )
    setup_django(url, BENCH_DB, reuse=reuse)
    try:
        from django.core.management import call_command
        from django.db import connection

        from zhizhi.cases.indicators import Period
        from zhizhi.cases.models import Case, Transition

        say("Building the district: 10 streets × 10 communities × 5 grids, units and staff …")
        w = build_world()
        street = w.streets[0]
        if reuse:
            if Case.objects.count() != n:
                raise SystemExit(f"{BENCH_DB} does not hold {n:,} cases: run without --reuse")
            now = recalled_now()
        else:
            now = dt.datetime.now(dt.UTC)
        year = Period(now - dt.timedelta(days=365), now, "365 days")
        month = Period(now - dt.timedelta(days=30), now, "30 days")

        if reuse:
            say(f"1. The street's database ({STREET_DB}) …")
            use_database(STREET_DB)
            call_command("migrate", verbosity=0)
            analyse()
        else:
            say(f"1. A street's database: {n_street:,} cases of {street.name} over a year, with COPY …")
            load_cases(w, n_street, now, rng, streets=[street])
            say("   Deriving their history in the database …")
            derive_history(1)
            analyse()
            remember_now(now)
        street_s, street_runs, street_report = time_report(street, year, now)
        describe("street-year (street db)", street_s, street_runs, street_report)

        rest = n - n_street
        if reuse:
            say(f"2. The district ({BENCH_DB}) …")
            use_database(BENCH_DB)
            transitions = Transition.objects.count()
        else:
            if args.keep:
                say(f"   Keeping a copy of the street's database as {STREET_DB} …")
                copy_database(url, BENCH_DB, STREET_DB)
            say(f"2. The district: {rest:,} more cases in the other 9 streets ({n:,} in all) …")
            load_cases(w, rest, now, rng, streets=w.streets[1:], first_id=n_street + 1)
            say("   Deriving their history in the database …")
            transitions = derive_history(n_street + 1)
        analyse()
        t_load = time.perf_counter()
        month_cases = Case.objects.filter(created_at__gte=month.start).count()
        district_s, district_runs, district_report = time_report(w.district, month, now)
        describe(f"district-month ({month_cases:,})", district_s, district_runs, district_report)
        inside_s, inside_runs, inside_report = time_report(street, year, now)
        describe("street-year (district db)", inside_s, inside_runs, inside_report)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
            (size,) = cursor.fetchone()
        result = {
            "street_year_s": round(street_s, 3),
            "district_month_s": round(district_s, 3),
            "cases": n,
            "transitions": transitions,
            "street_year_cases": n_street,
            "district_month_cases": month_cases,
            "street_year_in_district_db_s": round(inside_s, 3),
            "database_size": size,
            "load_s": round(t_load - t0, 1),
            "quick": args.quick,
            "reused": reuse,
        }
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            drop_database(url, BENCH_DB)
            drop_database(url, STREET_DB)
    print(json.dumps(result, ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
