"""Indicators at scale on PostgreSQL: one street-year and one district-month, computed from the transitions.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test python benchmarks/indicators.py [--quick] [--keep]

Creates a throwaway database (`zhizhi_bench_indicators`), builds the district of benchmarks/worklist.py (10
streets × 10 communities × 5 grids with their handling units), COPYs 1,000,000 cases over a year (100,000 with
--quick) and derives each case's history in the database (INSERT … SELECT): reported, registered or rejected,
dispatched, signed, started, handled, verified, closed and rated, as far as the case's status goes, with
times drawn per case so that some steps are late; a few reworks, approved extensions and overdue flags; and a
Revisit row for most closed cases (about 8 transitions a case). Then it times `cases.indicators.compute`:

  * street_year_s — one street (~100,000 cases; ~10,000 with --quick) over the last 365 days, all its
    communities and units;
  * district_month_s — the whole district over the last 30 days (~83,000 cases of the 1,000,000; the
    indicators of its 10 streets and ~200 units).

Each is run 3 times after one warm-up; the median is reported. Drops the database unless --keep. Ends with one
line of JSON: {"street_year_s": …, "district_month_s": …, "cases": …, "transitions": …, …}
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
    build_world,
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

# Per-case pseudo-random numbers in [0, 1) from the id, so the history is the same on every run.
TIMES = """
CREATE TEMP TABLE bench_times AS
SELECT c.id, c.status, c.created_at AS t0, c.current_unit_id AS unit, c.current_level AS level, r.*,
       c.created_at + make_interval(mins => (r.r1 * 80)::int) AS reg_at
FROM cases_case c,
LATERAL (SELECT ((c.id * 2654435761) % 1000) / 1000.0 AS r1, ((c.id * 40503) % 997) / 997.0 AS r2,
                ((c.id * 69069) % 991) / 991.0 AS r3, ((c.id * 1103515245) % 983) / 983.0 AS r4,
                ((c.id * 22695477) % 977) / 977.0 AS r5, ((c.id * 134775813) % 971) / 971.0 AS r6) r;
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
    {on_time}, {next}, %(data)s::jsonb, {unit_from}, {unit_to}
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
REVISITS = """
INSERT INTO cases_revisit (case_id, transition_id, rating, responded, resolved, valid, comment, by_resident,
    unit_id, at)
SELECT t.case_id, t.id,
       CASE WHEN b.r1 < 0.75 THEN 'satisfied' WHEN b.r1 < 0.93 THEN 'basically' ELSE 'unsatisfied' END,
       b.r2 < 0.97, b.r3 < 0.85, b.r4 < 0.92, '', b.r5 < 0.4, t.unit_from_id, t.at
FROM cases_transition t JOIN bench_times b ON b.id = t.case_id WHERE t.action = 'revisit'
"""


def derive_history() -> int:
    """Every case's transitions and revisits, computed in the database from the cases; returns the count."""
    from django.db import connection

    definitions = drop_plain_indexes(("cases_transition", "cases_revisit"))
    with connection.cursor() as cursor:
        cursor.execute(TIMES)
        for action, src, dst, statuses, at, deadline, started, on_time, nxt, units, extra in STEPS:
            unit_from, unit_to = (u or "NULL" for u in units)
            sql = INSERT.format(
                at=at, deadline=deadline, started=started, on_time=on_time, next=nxt, extra=extra,
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


def main() -> int:
    args = parse_args(__doc__.split("\n")[0])
    url = require_postgres("indicators")
    n = args.cases or (100_000 if args.quick else 1_000_000)
    rng = random.Random(args.seed)
    t0 = time.perf_counter()
    say(f"Creating database {BENCH_DB} and migrating …" + (f" (quick: {n:,} cases)" if args.quick else ""))
    setup_django(url, BENCH_DB)
    try:
        from django.db import connection

        from zhizhi.cases import indicators
        from zhizhi.cases.indicators import Period
        from zhizhi.cases.models import Case

        say("Building the district: 10 streets × 10 communities × 5 grids, units and staff …")
        w = build_world()
        now = dt.datetime.now(dt.UTC)
        say(f"Loading {n:,} cases with COPY …")
        load_cases(w, n, now, rng)
        say("Deriving the history (transitions and revisits) in the database …")
        transitions = derive_history()
        analyse()
        t_load = time.perf_counter()
        street = w.streets[0]
        year = Period(now - dt.timedelta(days=365), now, "365 days")
        month = Period(now - dt.timedelta(days=30), now, "30 days")
        street_cases = Case.objects.filter(street_code=street.code, created_at__gte=year.start).count()
        month_cases = Case.objects.filter(created_at__gte=month.start).count()
        say(f"Timing the street-year ({street.name}, {street_cases:,} cases) and the district-month "
            f"({month_cases:,} cases reported in it) …")  # fmt: skip
        report = {}
        street_s, street_runs = timed_runs(
            lambda: report.update(s=indicators.compute(street, year, as_of=now))
        )
        district_s, district_runs = timed_runs(
            lambda: report.update(d=indicators.compute(w.district, month, as_of=now))
        )
        s_total, d_total = report["s"].areas[0].values, report["d"].areas[0].values
        say(f"  street-year    {street_s:6.3f} s  (runs {', '.join(f'{t:.3f}' for t in street_runs)}); "
            f"{s_total['reports']:,} reports, 立案率 {s_total['register_rate']:.1%}, "
            f"结案率 {s_total['close_rate']:.1%}, {len(report['s'].units)} units")  # fmt: skip
        say(f"  district-month {district_s:6.3f} s  (runs {', '.join(f'{t:.3f}' for t in district_runs)}); "
            f"{d_total['reports']:,} reports, 按期处置率 {d_total['handle_on_time_rate']:.1%}, "
            f"满意率 {d_total['satisfaction_rate']:.1%}, {len(report['d'].units)} units")  # fmt: skip
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
            (size,) = cursor.fetchone()
        result = {
            "street_year_s": round(street_s, 3),
            "district_month_s": round(district_s, 3),
            "cases": n,
            "transitions": transitions,
            "street_year_cases": street_cases,
            "district_month_cases": month_cases,
            "database_size": size,
            "load_s": round(t_load - t0, 1),
            "quick": args.quick,
        }
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            drop_database(url, BENCH_DB)
    print(json.dumps(result, ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
