"""Full re-evaluation of every welfare programme over the registry, on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test python benchmarks/eligibility.py [--quick] [--keep]

Creates a throwaway database (`zhizhi_bench_welfare`, next to the one DATABASE_URL names), builds the schema
with the project's migrations (which seed the ten programmes: 低保, 低边, 特困, 残疾人两项补贴, 高龄津贴,
独居老人关爱, 居家养老服务补贴, 电费减免, 水费减免, 临时救助), and loads synthetic people with COPY:
1,000,000 residents (100,000 with --quick) in households of one to five in a street of 10 communities × 5
grids, with tags (高龄, 老年人, 独居, 低保, 低边, 特困, 残疾, 失能) and welfare profiles (whole households
income-assessed, disability grades, chronic illness).

Then it times `welfare.services.enrolment.reevaluate_all` — every programme's rule compiled to SQL and run in
one scan of the registry, new matches written as drafts (enrolment + history row + audit entry each, by
INSERT … SELECT) and lapsed enrolments flagged — twice: the first run on an empty enrolment table (the heavy
one: every match is new) and a second, steady-state run (nothing changed, nothing written). As the floor,
the same run times one scan of the residents with the household window the rules need.
Drops the database at the end unless --keep. Ends with one line of JSON:
    {"seconds": <first full run>, "residents": …, "programmes": 10, "quick": …, "rerun_seconds": …, …}
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import sys
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

BENCH_DB = "zhizhi_bench_welfare"
COMMUNITIES, GRIDS = 10, 5
STREET = "330105013"
AS_OF = dt.date(2026, 11, 27)
HOUSEHOLD_SIZES = [(1, 0.25), (2, 0.30), (3, 0.25), (4, 0.15), (5, 0.05)]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="100,000 residents; within a minute")
    parser.add_argument(
        "--rows", type=int, help="number of residents (default 1,000,000; 100,000 with --quick)"
    )
    parser.add_argument("--keep", action="store_true", help=f"keep the {BENCH_DB} database afterwards")
    parser.add_argument("--seed", type=int, default=20261127)
    return parser.parse_args()


def say(message: str) -> None:
    print(message, flush=True)


# --- the throwaway database ---------------------------------------------------------------------------------


def bench_url(url: str) -> str:
    return urlunparse(urlparse(url)._replace(path=f"/{BENCH_DB}"))


def admin_execute(url: str, *statements: str) -> None:
    """On the server's maintenance database (the one DATABASE_URL names need not exist)."""
    import psycopg

    with psycopg.connect(urlunparse(urlparse(url)._replace(path="/postgres")), autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


# --- synthetic registry -------------------------------------------------------------------------------------


def grid_codes() -> list[str]:
    return [f"{STREET}{c:03d}{g:02d}" for c in range(1, COMMUNITIES + 1) for g in range(1, GRIDS + 1)]


def make_areas() -> None:
    from zhizhi.areas.models import Area
    from zhizhi.core.roles import AreaLevel

    city = Area.objects.create(level=AreaLevel.CITY, code="3301", name="杭州市")
    district = Area.objects.create(level=AreaLevel.DISTRICT, code="330105", name="拱墅区", parent=city)
    street = Area.objects.create(level=AreaLevel.STREET, code=STREET, name="武林街道", parent=district)
    for c in range(1, COMMUNITIES + 1):
        community = Area.objects.create(
            level=AreaLevel.COMMUNITY, code=f"{STREET}{c:03d}", name=f"社区{c}", parent=street
        )
        for g in range(1, GRIDS + 1):
            Area.objects.create(
                level=AreaLevel.GRID, code=f"{community.code}{g:02d}", name=f"网格{c}-{g}", parent=community
            )


def birth_date(rng: random.Random, role: int) -> dt.date:
    """role 0: head or spouse (adult, often old), 1: others (any age)."""
    age = min(100, int(rng.triangular(25, 100, 55))) if role == 0 else rng.randint(0, 95)
    return AS_OF - dt.timedelta(days=age * 365 + rng.randint(0, 364))


def generate(rows: int, rng: random.Random, tag_ids: dict[str, int]):
    """Yields (households, residents, resident_tags, profiles) as lists of tuples ready for COPY."""
    grids = grid_codes()
    sizes, weights = zip(*HOUSEHOLD_SIZES, strict=True)
    households, residents, tags, profiles, heads = [], [], [], [], []
    now = dt.datetime(2026, 11, 1, tzinfo=dt.UTC).isoformat()
    rid = hid = 0
    while rid < rows:
        grid = rng.choice(grids)
        in_household = rng.random() < 0.95
        size = rng.choices(sizes, weights)[0] if in_household else 1
        size = min(size, rows - rid)
        if in_household:
            hid += 1
            households.append((hid, f"H{hid:08d}", "family", grid))
        kind = rng.random()  # the household's welfare situation
        poor = kind < 0.03  # 低保
        near = 0.03 <= kind < 0.05  # 低边
        assessed = poor or near or kind < 0.20
        members = []
        for m in range(size):
            rid += 1
            born = birth_date(rng, 0 if m < 2 else 1)
            age = (AS_OF - born).days // 365
            sex = "M" if rng.random() < 0.5 else "F"
            residents.append(
                (rid, f"居民{rid}", "", "x", f"{rid:064x}", "330105********0000", born.isoformat(), sex,
                 "", "", "", "active" if rng.random() < 0.97 else "moved_out", hid if in_household else None,
                 "", None, grid, now, now)
            )  # fmt: skip
            members.append(rid)
            own = []
            if age >= 60:
                own.append("elderly")
            if age >= 80:
                own.append("aged")
            if age >= 60 and (size == 1 or rng.random() < 0.03):
                own.append("alone")
            if poor:
                own.append("dibao")
            if near:
                own.append("dibian")
            if size == 1 and age >= 60 and rng.random() < 0.01:
                own.append("tekun")
            grade = 0
            if rng.random() < 0.03:
                own.append("disabled")
                grade = rng.randint(1, 4)
            if age >= 70 and rng.random() < 0.05:
                own.append("incapacitated")
            tags.extend((rid, tag_ids[code]) for code in own)
            ill = rng.random() < 0.08
            if assessed or grade or ill:
                if assessed:
                    low, high = (0, 900) if poor else (900, 1800) if near else (1200, 9000)
                    income = str(rng.randint(low, high))
                else:
                    income = None
                profiles.append((rid, grade, "", ill, income, now))
        if in_household:
            heads.append((hid, members[0]))
    return households, residents, tags, profiles, heads


def _field(value) -> str:
    if value is None:
        return "\\N"
    if value is True or value is False:
        return "t" if value else "f"
    return str(value)


def copy_rows(cursor, table: str, columns: str, rows: list[tuple], chunk: int = 50_000) -> None:
    """COPY in text format, written in large chunks (much faster than a row at a time)."""
    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for i in range(0, len(rows), chunk):
            lines = ["\t".join(_field(v) for v in row) for row in rows[i : i + chunk]]
            copy.write(("\n".join(lines) + "\n").encode())


def load(rows: int, seed: int) -> dict:
    from django.db import connection

    from zhizhi.people.models import Tag

    make_areas()
    tag_ids = dict(Tag.objects.values_list("code", "id"))
    started = time.perf_counter()
    households, residents, tags, profiles, heads = generate(rows, random.Random(seed), tag_ids)
    generated = time.perf_counter() - started
    started = time.perf_counter()
    with connection.cursor() as django_cursor:
        cursor = django_cursor.connection.cursor()
        copy_rows(cursor, "people_household", "id, number, kind, area_code", households)
        copy_rows(
            cursor,
            "people_resident",
            "id, name, name_pinyin, id_number, id_number_hash, id_number_masked, birth_date, sex, phone,"
            " phone_hash, phone_masked, status, household_id, relation_to_head, home_id, area_code,"
            " created_at, updated_at",
            residents,
        )
        copy_rows(cursor, "people_resident_tags", "resident_id, tag_id", tags)
        copy_rows(
            cursor,
            "welfare_welfareprofile",
            "resident_id, disability_grade, disability_kind, chronic_illness, monthly_income, updated_at",
            profiles,
        )
        cursor.execute("CREATE TEMP TABLE heads (household_id bigint, resident_id bigint)")
        copy_rows(cursor, "heads", "household_id, resident_id", heads)
        cursor.execute(
            "UPDATE people_household h SET head_id = heads.resident_id "
            "FROM heads WHERE h.id = heads.household_id"
        )
        for table in (
            "people_household",
            "people_resident",
            "people_resident_tags",
            "welfare_welfareprofile",
        ):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
            )
        cursor.execute("ANALYZE")
    copied = time.perf_counter() - started
    return {
        "households": len(households),
        "tags": len(tags),
        "profiles": len(profiles),
        "generate_seconds": round(generated, 2),
        "copy_seconds": round(copied, 2),
        "copy_rows_per_s": round((len(households) + len(residents) + len(tags) + len(profiles)) / copied),
    }


def floor_scan() -> float:
    """One pass over the residents with the household window every household rule needs."""
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM (SELECT count(*) OVER (PARTITION BY coalesce(household_id, -id)) AS n "
            "FROM people_resident WHERE status = 'active') s WHERE n = 1"
        )
        cursor.fetchone()
    return time.perf_counter() - started


# --- the run ------------------------------------------------------------------------------------------------


def run(args: argparse.Namespace, rows: int) -> dict:
    from django.core.management import call_command

    from zhizhi.core import clock
    from zhizhi.core.models import AuditEntry
    from zhizhi.welfare.models import Enrolment, Programme
    from zhizhi.welfare.services.enrolment import reevaluate_all

    say("building the schema with the project's migrations …")
    call_command("migrate", verbosity=0)
    say(f"loading {rows:,} synthetic residents with COPY …")
    loaded = load(rows, args.seed)
    say(
        f"  {loaded['households']:,} households, {loaded['tags']:,} tags, "
        f"{loaded['profiles']:,} welfare profiles"
        f" (COPY {loaded['copy_seconds']} s, {loaded['copy_rows_per_s']:,} rows/s)"
    )
    programmes = Programme.objects.filter(active=True).count()
    floor = floor_scan()
    say(f"floor: one scan with the household window: {floor:.2f} s")
    with clock.frozen(dt.datetime.combine(AS_OF, dt.time(2), tzinfo=dt.UTC)):
        say(f"full re-evaluation of {programmes} programmes (first run: every match is a new draft) …")
        started = time.perf_counter()
        first = reevaluate_all(AS_OF)
        seconds = time.perf_counter() - started
        for r in first:
            say(f"  {r.programme:<11} matched {r.matched:>7,}  drafted {r.drafted:>7,}")
        say(f"  {seconds:.2f} s")
        say("second run (steady state: nothing changed) …")
        started = time.perf_counter()
        second = reevaluate_all(AS_OF)
        rerun = time.perf_counter() - started
        say(
            f"  {rerun:.2f} s, drafted {sum(r.drafted for r in second)}, "
            f"flagged {sum(r.flagged for r in second)}"
        )
    return {
        "seconds": round(seconds, 2),
        "residents": rows,
        "programmes": programmes,
        "quick": args.quick,
        "rerun_seconds": round(rerun, 2),
        "matched": sum(r.matched for r in first),
        "drafted": sum(r.drafted for r in first),
        "enrolments": Enrolment.objects.count(),
        "audit_entries": AuditEntry.objects.count(),
        "floor_scan_seconds": round(floor, 2),
        "copy_rows_per_s": loaded["copy_rows_per_s"],
        "target_seconds": 30,
    }


def main() -> int:
    args = parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        say(
            "eligibility needs PostgreSQL: set DATABASE_URL, e.g.\n"
            "  DATABASE_URL=postgres://postgres@127.0.0.1:5432/test python benchmarks/eligibility.py --quick"
        )
        return 2
    rows = args.rows or (100_000 if args.quick else 1_000_000)
    say(f"creating the throwaway database {BENCH_DB} …")
    admin_execute(
        url,
        f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)",
        f"CREATE DATABASE {BENCH_DB} TEMPLATE template0 ENCODING 'UTF8'",
    )
    os.environ["DATABASE_URL"] = bench_url(url)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhizhi.settings")
    os.environ.setdefault("ZHIZHI_LOG_LEVEL", "ERROR")
    import django

    django.setup()
    from django.db import connections

    try:
        figures = run(args, rows)
    finally:
        connections.close_all()
        if not args.keep:
            say(f"dropping {BENCH_DB} …")
            admin_execute(url, f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
    print(json.dumps(figures), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
