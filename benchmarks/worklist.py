"""Worklist and case search with 1,000,000 cases on PostgreSQL: p99 of what the pages do.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test python benchmarks/worklist.py [--quick] [--keep] [--reuse]

Creates a throwaway database (`zhizhi_bench_worklist`, next to the one DATABASE_URL names), builds the schema
with the project's migrations, a district of 10 streets × 10 communities × 5 grids with the standard
handling units of each street (cases.services.install_default_units), and loads synthetic cases with COPY
(1,000,000 over a year; 100,000 with --quick): ~93 % closed, the rest open at every step, held by community
committees and street departments, some overdue. Then it times, as the staff who use them:

  * worklist — `cases.boards.worklist_page(member, unit)`: the unit's open cases, overdue first, then to sign
    for, then in handling, one page of 30, and the three counts (to sign / in handling / overdue);
  * search — `cases.boards.search_page(actor, filters, 1)` as a street dispatcher and as community staff:
    a case number, words of the title or address, status, category, channel, overdue, area, combinations.

The floor is a primary-key fetch of one case in the same run. Drops the database unless --keep; --reuse times
a kept database again (migrated to the current schema, analysed) instead of loading a new one. Ends with
one line of JSON: {"worklist_p99_ms": …, "search_p99_ms": …, "cases": …, …}

The loader (build_world, load_cases) is shared with benchmarks/indicators.py.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import re
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

STREETS, COMMUNITIES, GRIDS = 10, 10, 5
WORDS = ("翠苑", "和平", "青枝", "南苑", "东新", "朝晖", "文晖", "湖墅", "德胜", "大关", "米市", "长庆",
         "潮鸣", "小河", "祥符", "康桥", "半山", "石桥", "上塘", "拱宸")  # fmt: skip
ROADS = ("延安路", "武林路", "凤起路", "庆春路", "中山北路", "体育场路", "环城西路", "孩儿巷", "岳王路")
CATEGORY_NAMES = (
    "暴露垃圾", "垃圾站（箱）满溢", "道路不洁", "机动车乱停放", "非机动车乱停放", "占道经营", "店外经营",
    "非法小广告", "油烟污染", "绿地脏乱", "路灯", "污水井盖", "邻里纠纷", "物业服务", "噪音扰民",
    "无障碍设施损坏", "独居老人告警",
)  # fmt: skip
CHANNELS = ("resident", "hotline", "patrol", "camera", "staff", "onecall", "open311", "sensor")
CHANNEL_WEIGHTS = (30, 28, 20, 12, 4, 3, 2, 1)
OPEN_MIX = (("received", 2), ("registered", 2), ("dispatched", 6), ("accepted", 4), ("in_handling", 10),
            ("handled", 3), ("verified", 1), ("backlogged", 1))  # fmt: skip
HELD = {"dispatched", "accepted", "in_handling", "handled", "verified", "backlogged", "closed"}
STEP = {"received": "register", "registered": "dispatch", "dispatched": "sign", "accepted": "handle",
        "in_handling": "handle", "handled": "verify", "verified": "close"}  # fmt: skip


def say(message: str) -> None:
    print(message, flush=True)


def parse_args(description: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="100,000 cases; about a minute")
    parser.add_argument("--cases", type=int, help="number of cases (default 1,000,000; 100,000 with --quick)")
    parser.add_argument("--queries", type=int, help="timed calls per kind (default 40; 15 with --quick)")
    parser.add_argument("--keep", action="store_true", help="keep the throwaway database afterwards")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="reuse the database a --keep run left (same number of cases): migrate it, analyse it, time it",
    )
    parser.add_argument("--seed", type=int, default=20261127)
    return parser.parse_args()


# --- the throwaway database ---------------------------------------------------------------------------------


def bench_url(url: str, name: str) -> str:
    return urlunparse(urlparse(url)._replace(path=f"/{name}"))


def database_exists(url: str, name: str) -> bool:
    import psycopg

    with psycopg.connect(bench_url(url, "postgres"), autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None


def recreate_database(url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(bench_url(url, "postgres"), autocommit=True) as conn:  # the maintenance database
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8'")


def drop_database(url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(bench_url(url, "postgres"), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def setup_django(url: str, name: str, *, reuse: bool = False) -> None:
    """Point Django at the throwaway database (a new one unless `reuse`) and migrate it."""
    if not reuse:
        recreate_database(url, name)
    os.environ["DATABASE_URL"] = bench_url(url, name)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhizhi.settings")
    os.environ.setdefault("ZHIZHI_LOG_LEVEL", "ERROR")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def require_postgres(script: str) -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        print(
            f"{script} needs PostgreSQL: set DATABASE_URL, e.g.\n"
            f"  DATABASE_URL=postgres://postgres@127.0.0.1:5432/test python benchmarks/{script}.py --quick",
            file=sys.stderr,
        )
        raise SystemExit(2)
    return url


# --- the world ----------------------------------------------------------------------------------------------


class World:
    """The district, its areas and units, and a staff account for each unit and street."""

    def __init__(self):
        self.district = None
        self.streets: list = []
        self.communities: dict[str, list] = {}  # street code → communities
        self.grids: dict[str, list[str]] = {}  # community code → grid codes
        self.units: dict[str, dict] = {}  # street code → install_default_units result
        self.handlers: dict[str, list] = {}  # community code → units that may hold its cases
        self.members: dict[int, object] = {}  # unit id → member account
        self.dispatchers: dict[str, object] = {}  # street code → dispatcher
        self.community_staff: dict[str, object] = {}  # community code → community staff


def build_world() -> World:
    from zhizhi.accounts.models import User
    from zhizhi.areas import services as areas
    from zhizhi.cases.models import UnitType
    from zhizhi.cases.services import install_default_units
    from zhizhi.core.roles import AreaLevel, Role

    w = World()
    city = areas.ensure_area(AreaLevel.CITY, "3301", "杭州市")
    w.district = areas.ensure_area(AreaLevel.DISTRICT, "330105", "拱墅区", city)
    users = []
    for s in range(STREETS):
        street = areas.ensure_area(AreaLevel.STREET, f"330105{s + 1:03d}", f"{WORDS[s]}街道", w.district)
        w.streets.append(street)
        w.communities[street.code] = []
        for c in range(COMMUNITIES):
            name = f"{WORDS[(s + c) % len(WORDS)]}{WORDS[(s * 3 + c) % len(WORDS)]}社区{s + 1}-{c + 1}"
            community = areas.ensure_area(AreaLevel.COMMUNITY, f"{street.code}{c + 1:03d}", name, street)
            w.communities[street.code].append(community)
            w.grids[community.code] = [
                areas.ensure_area(
                    AreaLevel.GRID, f"{community.code}{g + 1:02d}", f"{name}{g + 1}网格", community
                ).code
                for g in range(GRIDS)
            ]
        made = install_default_units(street)
        w.units[street.code] = made
        depts = [
            made["street"][t] for t in (UnitType.SANITATION, UnitType.ENFORCEMENT, UnitType.URBAN_MANAGEMENT)
        ]
        for community in w.communities[street.code]:
            w.handlers[community.code] = [made["communities"][community.code], *depts]
        users.append(User(username=f"disp-{street.code}", role=Role.STREET_DISPATCHER, area=street))
        for community in w.communities[street.code]:
            users.append(User(username=f"cs-{community.code}", role=Role.COMMUNITY_STAFF, area=community))
    for user in users:
        user.area_code = user.area.code
    User.objects.bulk_create(users, ignore_conflicts=True)  # already there when a kept database is reused
    by_name = {u.username: u for u in User.objects.filter(username__in=[u.username for u in users])}
    for street in w.streets:
        w.dispatchers[street.code] = by_name[f"disp-{street.code}"]
        for community in w.communities[street.code]:
            w.community_staff[community.code] = by_name[f"cs-{community.code}"]
    member_rows = []
    through = w.units[w.streets[0].code]["street"][UnitType.SANITATION].members.through
    for street in w.streets:
        made = w.units[street.code]
        for unit in [*made["street"].values(), *made["communities"].values()]:
            if unit.level == "community":
                member = w.community_staff[unit.area_code]
            else:
                member, _ = User.objects.get_or_create(
                    username=f"staff-{unit.code}",
                    defaults={"role": Role.STREET_DEPT_STAFF, "area": street, "area_code": street.code},
                )
            w.members[unit.pk] = member
            member_rows.append(through(handlingunit_id=unit.pk, user_id=member.pk))
    through.objects.bulk_create(member_rows, ignore_conflicts=True)
    return w


CASE_COLUMNS = (
    "id", "number", "channel", "reporter_name", "anonymous", "contact_phone", "contact_phone_masked", "lat",
    "lon", "address", "area_code", "street_code", "title", "description", "answers", "urgency", "status",
    "current_level", "step", "step_started_at", "deadline", "warn_at", "deadline_working", "warned",
    "overdue", "supervised", "escalations", "idempotency_key", "source_ref", "created_at", "updated_at",
    "closed_at", "area_id", "category_id", "current_unit_id", "merged_into_id", "reporter_id",
)  # fmt: skip


def load_cases(
    w: World, n: int, now: dt.datetime, rng: random.Random, *, streets: list | None = None, first_id: int = 1
) -> list[tuple[str, str, str, str]]:
    """COPY n cases created over the year before `now` in `streets` (default all), ids from `first_id`
    (secondary indexes dropped meanwhile and rebuilt); returns samples (street, community, number, estate)."""
    from django.db import connection

    from zhizhi.areas.models import Area
    from zhizhi.cases.models import Case, Category
    from zhizhi.cases.services.numbering import street_prefix

    actual = {f.column for f in Case._meta.concrete_fields}
    if actual != set(CASE_COLUMNS):
        raise SystemExit(f"cases_case columns changed: {sorted(actual ^ set(CASE_COLUMNS))}")
    categories = list(Category.objects.filter(name__in=CATEGORY_NAMES))
    area_ids = dict(Area.objects.filter(level="grid").values_list("code", "id"))
    street_of = {c.code: s for s in w.streets for c in w.communities[s.code]}
    communities = [c for s in streets or w.streets for c in w.communities[s.code]]
    serials: dict[tuple[str, dt.date], int] = {}
    samples = []
    definitions = drop_plain_indexes(("cases_case",))
    year = dt.timedelta(days=365)
    started = time.perf_counter()
    times = sorted(now - year * rng.random() for _ in range(n))
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY cases_case ({', '.join(CASE_COLUMNS)}) FROM STDIN") as cp,
    ):
        for i, created in enumerate(times, start=first_id):
            community = communities[rng.randrange(len(communities))]
            street = street_of[community.code]
            grid = rng.choice(w.grids[community.code])
            category = rng.choice(categories)
            age = now - created
            if age < dt.timedelta(days=10) and rng.random() < 0.6:
                status = rng.choices([s for s, _ in OPEN_MIX], weights=[k for _, k in OPEN_MIX])[0]
            else:
                status = rng.choices(("closed", "rejected", "in_handling", "backlogged"), (93, 3, 3, 1))[0]
            unit = rng.choice(w.handlers[community.code]) if status in HELD else None
            day = (created + dt.timedelta(hours=8)).date()
            serials[(street.code, day)] = serial = serials.get((street.code, day), 0) + 1
            number = f"{street_prefix(street.code, street.name)}{day:%Y%m%d}-{serial:05d}"
            estate = f"{rng.choice(WORDS)}{rng.choice(('新村', '小区', '花园', '公寓'))}"
            address = f"{rng.choice(ROADS)}{rng.randint(1, 400)}号{estate}{rng.randint(1, 30)}幢"
            step = STEP.get(status, "")
            deadline = created + dt.timedelta(hours=rng.uniform(2, 120)) if step else None
            overdue = deadline is not None and deadline < now and rng.random() < 0.7
            closed = created + dt.timedelta(days=rng.uniform(0.2, 6)) if status == "closed" else None
            channel = rng.choices(CHANNELS, CHANNEL_WEIGHTS)[0]
            cp.write_row((
                i, number, channel, "", False, "", "", 30.27 + rng.random() / 20, 120.16 + rng.random() / 20,
                address, grid, street.code, category.name, f"{category.name}：{address}附近，请尽快处理",
                "{}", "normal", status, unit.level if unit else "", step, created if step else None, deadline,
                deadline, True, overdue, overdue, False, 0, None, "", created, closed or created, closed,
                area_ids[grid], category.pk, unit.pk if unit else None, None, None,
            ))  # fmt: skip
            if i % 997 == 0:
                samples.append((street.code, community.code, number, estate))
            if i % 200_000 == 0:
                say(f"  {i:,} cases ({time.perf_counter() - started:.0f} s)")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('cases_case', 'id'), (SELECT MAX(id) FROM cases_case))"
        )
        counters = [(street, day, last) for (street, day), last in serials.items()]
        cursor.executemany(
            "INSERT INTO cases_casecounter (street_code, day, last) VALUES (%s, %s, %s)", counters
        )
    say(f"Rebuilding {len(definitions)} indexes of cases_case (trigram GIN included) …")
    recreate_indexes(definitions)
    return samples


def stored_samples(n: int) -> list[tuple[str, str, str, str]]:
    """The samples `load_cases` returned, read back from a reused database."""
    from zhizhi.cases.models import Case

    rows = Case.objects.filter(id__in=range(997, n + 1, 997)).order_by("id")
    rows = rows.values_list("street_code", "area_code", "number", "address")
    return [
        (street, grid[:12], number, re.sub(r"^.*号|\d+幢$", "", address))
        for street, grid, number, address in rows
    ]


def drop_plain_indexes(tables: tuple[str, ...]) -> list[str]:
    """Drop the secondary indexes (not primary keys or constraints) so bulk loading is fast; return their
    definitions for `recreate_indexes`."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT i.indexname, i.indexdef FROM pg_indexes i
               WHERE i.tablename = ANY(%s) AND NOT EXISTS (
                 SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)""",
            [list(tables)],
        )
        found = cursor.fetchall()
        for name, _definition in found:
            cursor.execute(f'DROP INDEX "{name}"')
    return [definition for _name, definition in found]


def recreate_indexes(definitions: list[str]) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '512MB'")
        for definition in definitions:
            cursor.execute(definition)


def analyse() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000


# --- the runs -----------------------------------------------------------------------------------------------


def time_worklists(w: World, per_kind: int, rng: random.Random) -> list[float]:
    from zhizhi.cases import boards

    units = [u for s in w.streets for u in w.handlers[w.communities[s.code][0].code]]
    units += [w.units[s.code]["communities"][c.code] for s in w.streets for c in w.communities[s.code]]
    out = []
    for _ in range(per_kind * 5):
        unit = rng.choice(units)
        member = w.members[unit.pk]
        bucket = rng.choice(("", "", "", "overdue", "to_sign", "in_handling"))
        out.append(timed(lambda m=member, u=unit.pk, b=bucket: boards.worklist_page(m, u, bucket=b, page=1)))
    return out


def search_mix(w: World, samples, per_kind: int, rng: random.Random) -> list[tuple[str, object, dict]]:
    mix = []
    for _ in range(per_kind):
        street_code, community_code, number, estate = rng.choice(samples)
        street_actor = w.dispatchers[street_code]
        community_actor = w.community_staff[community_code]
        for actor in (street_actor, community_actor):
            mix += [
                ("number", actor, {"q": number}),
                ("words", actor, {"q": rng.choice(CATEGORY_NAMES)}),
                ("estate", actor, {"q": estate}),
                ("status", actor, {"status": rng.choice(("in_handling", "dispatched", "backlogged"))}),
                ("category", actor, {"category": rng.choice(CATEGORY_NAMES)}),
                ("overdue", actor, {"overdue": True, "open_only": True}),
                ("channel", actor, {"channel": rng.choice(CHANNELS)}),
                ("open", actor, {"open_only": True}),
                ("all", actor, {}),
                ("words_status", actor, {"q": rng.choice(ROADS), "status": "closed"}),
            ]
    rng.shuffle(mix)
    return mix


def time_searches(mix) -> list[tuple[str, float]]:
    from zhizhi.cases import boards

    return [
        (kind, timed(lambda a=actor, f=filters: boards.search_page(a, f, 1))) for kind, actor, filters in mix
    ]


def floor_ms(n: int) -> float:
    from zhizhi.cases.models import Case

    top = Case.objects.order_by("-id").values_list("id", flat=True).first()
    return statistics.median(
        timed(lambda k=k: Case.objects.only("id").get(pk=1 + k * 7919 % top)) for k in range(n)
    )


def main() -> int:
    args = parse_args(__doc__.split("\n")[0])
    url = require_postgres("worklist")
    name = "zhizhi_bench_worklist"
    n = args.cases or (100_000 if args.quick else 1_000_000)
    per_kind = args.queries or (15 if args.quick else 40)
    rng = random.Random(args.seed)
    t0 = time.perf_counter()
    reuse = args.reuse and database_exists(url, name)
    if reuse:
        say(f"Reusing database {name} and migrating it …")
    else:
        say(f"Creating database {name} and migrating …" + (f" (quick: {n:,} cases)" if args.quick else ""))
    setup_django(url, name, reuse=reuse)
    try:
        say("Building the district: 10 streets × 10 communities × 5 grids, units and staff …")
        w = build_world()
        if reuse:
            from zhizhi.cases.models import Case

            if Case.objects.count() != n:
                raise SystemExit(f"{name} does not hold {n:,} cases: run without --reuse")
            samples = stored_samples(n)
            rng.random()  # the loader's draws are not repeated; the timed mix is drawn the same way
        else:
            now = dt.datetime.now(dt.UTC)
            say(f"Loading {n:,} cases with COPY …")
            samples = load_cases(w, n, now, rng)
        t_load = time.perf_counter()
        say("Analysing …")
        analyse()
        say(f"Timing {per_kind * 5} worklists and {per_kind * 20} searches …")
        time_worklists(w, 3, rng)  # warm-up
        worklists = time_worklists(w, per_kind, rng)
        searches = time_searches(search_mix(w, samples, per_kind, rng))
        floor = floor_ms(50)
        by_kind: dict[str, list[float]] = {}
        for kind, ms in searches:
            by_kind.setdefault(kind, []).append(ms)
        for kind, values in sorted(by_kind.items()):
            say(f"  search {kind:<13} p50 {pct(values, 50):7.1f} ms  p99 {pct(values, 99):7.1f} ms")
        say(f"  worklist             p50 {pct(worklists, 50):7.1f} ms  p99 {pct(worklists, 99):7.1f} ms")
        say(f"  floor (pk fetch)     p50 {floor:7.2f} ms")
        search_ms = [ms for _, ms in searches]
        result = {
            "worklist_p99_ms": round(pct(worklists, 99), 1),
            "search_p99_ms": round(pct(search_ms, 99), 1),
            "cases": n,
            "worklist_p50_ms": round(pct(worklists, 50), 1),
            "search_p50_ms": round(pct(search_ms, 50), 1),
            "floor_ms": round(floor, 2),
            "load_s": round(t_load - t0, 1),
            "quick": args.quick,
            "reused": reuse,
        }
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            drop_database(url, name)
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
