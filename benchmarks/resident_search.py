"""Resident search at city scale: p50/p99 of `people.queries.search_residents` on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test \
        python benchmarks/resident_search.py [--quick] [--keep]

Creates a throwaway database (`zhizhi_bench`, next to the one DATABASE_URL names), builds the schema with the
project's migrations, loads synthetic residents with COPY (1,000,000; 100,000 with --quick) in a district of
10 streets × 10 communities × 5 grids, then runs a realistic mix of searches — name fragments, pinyin initials
and full-pinyin prefixes, whole ID numbers, whole phones and their last four digits, address fragments —
as a street dispatcher (a street of ~1/10 of the rows) and as community staff (~1/100), timing what a list
page does: `queries.page_of(search_residents(actor, q), 1)` (first 50 rows with tags, and a count capped at
1000 when there is more than one page). The floor is a primary-key fetch of one resident in the same run.
Drops the database at the end unless --keep. Ends with one line of JSON:
    {"p50_ms": …, "p99_ms": …, "residents": …, "quick": …, …}
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

BENCH_DB = "zhizhi_bench"
STREETS, COMMUNITIES, GRIDS = 10, 10, 5
RESIDENTS_PER_DWELLING = 2.5
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆"
    "汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红玉梅海燕凤春雪梅晓东文辉斌鹏飞宇浩然子涵欣怡"
    "佳琪梓萱一诺雨桐思远俊杰宏伟淑珍金凤德明永康振华晨阳嘉豪婷婷丹丹玲玲"
)
ESTATE_WORDS = (
    "翠苑 和平 青枝 南苑 东新 朝晖 文晖 湖墅 德胜 大关 米市 长庆 潮鸣 小河 祥符 康桥 半山 石桥 上塘 拱宸"
)
TAGS_SHARE = 0.3
# Surname k (0-based) weighs 1/(k+3): the most common about 9% of people, as 王/李/张 are about 7% each.
SURNAME_WEIGHTS = list(itertools.accumulate(1 / (k + 3) for k in range(len(SURNAMES))))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="100,000 residents; about a minute")
    parser.add_argument(
        "--rows", type=int, help="number of residents (default 1,000,000; 100,000 with --quick)"
    )
    parser.add_argument(
        "--queries", type=int, help="searches per kind and actor (default 30; 12 with --quick)"
    )
    parser.add_argument("--keep", action="store_true", help=f"keep the {BENCH_DB} database afterwards")
    parser.add_argument("--seed", type=int, default=20261127)
    return parser.parse_args()


def say(message: str) -> None:
    print(message, flush=True)


# --- the throwaway database ---------------------------------------------------------------------------------


def bench_url(url: str) -> str:
    parts = urlparse(url)
    return urlunparse(parts._replace(path=f"/{BENCH_DB}"))


def recreate_database(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB}")
        conn.execute(f"CREATE DATABASE {BENCH_DB} TEMPLATE template0 ENCODING 'UTF8'")


def drop_database(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")


# --- synthetic data -----------------------------------------------------------------------------------------


def pinyin_tables():
    from pypinyin import Style, lazy_pinyin

    chars = set(SURNAMES) | set(GIVEN)
    full = {c: lazy_pinyin(c)[0].lower() for c in chars}
    first = {c: lazy_pinyin(c, style=Style.FIRST_LETTER)[0].lower() for c in chars}
    return full, first


def build_areas():
    """District → 10 streets → 10 communities each → 5 grids each, through the areas service."""
    from zhizhi.areas import services as areas
    from zhizhi.core.roles import AreaLevel

    city = areas.ensure_area(AreaLevel.CITY, "3301", "杭州市")
    district = areas.ensure_area(AreaLevel.DISTRICT, "330105", "拱墅区", city)
    words = ESTATE_WORDS.split()
    streets, communities = [], []
    for s in range(STREETS):
        street = areas.ensure_area(AreaLevel.STREET, f"330105{s + 1:03d}", f"{words[s]}街道", district)
        streets.append(street)
        for c in range(COMMUNITIES):
            name = f"{words[(s + c) % len(words)]}{words[(s * 3 + c) % len(words)]}社区{s + 1}-{c + 1}"
            community = areas.ensure_area(AreaLevel.COMMUNITY, f"{street.code}{c + 1:03d}", name, street)
            grids = [
                areas.ensure_area(
                    AreaLevel.GRID, f"{community.code}{g + 1:02d}", f"{name}{g + 1}网格", community
                )
                for g in range(GRIDS)
            ]
            communities.append((community, grids))
    return streets, communities


def build_dwellings(communities, residents_per_community: int):
    """Estates, buildings (6 floors × 2 rooms × 2 units) and dwellings per community; dwellings by COPY."""
    from zhizhi.areas.models import Building, Dwelling, Estate, Unit

    per_community = max(24, int(residents_per_community / RESIDENTS_PER_DWELLING))
    buildings_per_community = max(1, per_community // 24)
    words = ESTATE_WORDS.split()
    estates, buildings, units, dwellings = [], [], [], []
    ids = {"estate": 0, "building": 0, "unit": 0, "dwelling": 0}
    by_community: list[list[tuple[int, str, str]]] = []
    for ci, (community, grids) in enumerate(communities):
        mine = []
        estate_count = max(1, buildings_per_community // 12)
        local_estates = []
        for e in range(estate_count):
            ids["estate"] += 1
            estate = Estate(
                id=ids["estate"], code=f"{community.code}{e + 1:03d}", community=community,
                name=words[(ci + e) % len(words)] + "一二三四五六七八九十"[e % 10] + "区苑园里"[e // 10 % 4],
            )  # fmt: skip
            estates.append(estate)
            local_estates.append(estate)
        for b in range(buildings_per_community):
            estate = local_estates[b % estate_count]
            grid = grids[b % len(grids)]
            ids["building"] += 1
            number = str(b // estate_count + 1)
            building = Building(
                id=ids["building"], code=f"{estate.code}{int(number):03d}", estate=estate, number=number,
                grid=grid, area_code=grid.code, lat=30.27 + ci * 0.001, lon=120.16 + b * 0.0001,
            )  # fmt: skip
            buildings.append(building)
            for u in (1, 2):
                ids["unit"] += 1
                unit = Unit(id=ids["unit"], code=f"{building.code}{u:02d}", building=building, number=str(u))
                units.append(unit)
                for floor in range(1, 7):
                    for room in (1, 2):
                        ids["dwelling"] += 1
                        number = f"{floor}{room:02d}"
                        address = f"{community.name}{estate.name}{building.number}幢{u}单元{number}室"
                        dwellings.append(
                            Dwelling(
                                id=ids["dwelling"],
                                code=f"{unit.code}{int(number):04d}",
                                unit=unit,
                                number=number,
                                floor=floor,
                                area_code=grid.code,
                                address=address,
                            )  # fmt: skip
                        )
                        mine.append((ids["dwelling"], grid.code, address, len(community.name)))
        by_community.append(mine)
    Estate.objects.bulk_create(estates, batch_size=2000)
    Building.objects.bulk_create(buildings, batch_size=2000)
    Unit.objects.bulk_create(units, batch_size=5000)
    copy_model_rows(Dwelling, dwellings)
    return by_community


def copy_model_rows(model, objs) -> None:
    """COPY model instances into their table, every concrete column prepared the way Django would save it."""
    from django.db import connection

    fields = model._meta.concrete_fields
    cols = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {model._meta.db_table} ({cols}) FROM STDIN") as cp,
    ):
        for obj in objs:
            cp.write_row([f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields])
    reset_sequence(model)


def reset_sequence(model) -> None:
    from django.db import connection

    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"
        )


RESIDENT_COLUMNS = (
    "id", "name", "name_pinyin", "id_number", "id_number_hash", "id_number_masked", "birth_date", "sex",
    "phone", "phone_hash", "phone_masked", "status", "relation_to_head", "area_code", "created_at",
    "updated_at", "home_id", "household_id",
)  # fmt: skip


def load_residents(rows: int, by_community, rng: random.Random, sample_every: int):
    """COPY `rows` residents, community by community (as registries are imported), random within each."""
    from django.db import connection

    from zhizhi.core import pii
    from zhizhi.people.idnumber import make_id_number
    from zhizhi.people.models import Resident, Tag

    actual = {f.column for f in Resident._meta.concrete_fields}
    if actual != set(RESIDENT_COLUMNS):
        raise SystemExit(f"people_resident columns changed: {sorted(actual ^ set(RESIDENT_COLUMNS))}")
    full, first = pinyin_tables()
    tag_ids = list(Tag.objects.values_list("id", flat=True))
    now = dt.datetime.now(dt.UTC)
    base = dt.date(1930, 1, 1)
    samples: list[dict] = []
    per_community = rows // len(by_community)
    encrypt = pii.encrypt  # Fernet ciphertext, as EncryptedTextField stores it
    started = time.perf_counter()
    rid = 0
    with connection.cursor() as cursor:
        copy_sql = f"COPY people_resident ({', '.join(RESIDENT_COLUMNS)}) FROM STDIN"
        tag_rows = []
        with cursor.cursor.copy(copy_sql) as cp:
            for ci, dwellings in enumerate(by_community):
                for _ in range(per_community if ci < len(by_community) - 1 else rows - rid):
                    rid += 1
                    sex = "M" if rng.random() < 0.49 else "F"
                    birth = base + dt.timedelta(days=(rid * 7919) % 32000)
                    number = make_id_number(
                        "330105", birth, 2 * (rid // 32000) + (1 if sex == "M" else 0), sex
                    )
                    surname = rng.choices(SURNAMES, cum_weights=SURNAME_WEIGHTS)[0]
                    given = "".join(rng.choice(GIVEN) for _ in range(1 if rng.random() < 0.3 else 2))
                    name = surname + given
                    pinyin = "".join(first[c] for c in name) + " " + "".join(full[c] for c in name)
                    phone = f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"
                    dwelling_id, area_code, address, cut = dwellings[rng.randrange(len(dwellings))]
                    cp.write_row((
                        rid, name, pinyin, encrypt(number), pii.blind_index(number),
                        pii.mask_id_number(number), birth, sex, encrypt(phone), pii.blind_index(phone),
                        pii.mask_phone(phone), "active", "", area_code, now, now, dwelling_id, None,
                    ))  # fmt: skip
                    if rng.random() < TAGS_SHARE:
                        tag_rows.append((rid, rng.choice(tag_ids)))
                    if rid % sample_every == 0:
                        samples.append({
                            "community": ci, "name": name, "pinyin": pinyin, "id_number": number,
                            "phone": phone, "address": address[cut:],
                        })  # fmt: skip
                    if rid % 100_000 == 0:
                        say(f"  {rid:,} residents ({time.perf_counter() - started:.0f} s)")
        with cursor.cursor.copy("COPY people_resident_tags (resident_id, tag_id) FROM STDIN") as cp:
            for row in tag_rows:
                cp.write_row(row)
    reset_sequence(Resident)
    return samples


def drop_secondary_indexes(tables: tuple[str, ...]) -> list[str]:
    """Drop plain indexes (not primary keys or unique constraints) so COPY is fast; return how to rebuild."""
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
    with connection.cursor() as cursor:  # outside a transaction: VACUUM cannot run inside one
        cursor.execute("VACUUM ANALYZE people_resident")
        cursor.execute("VACUUM ANALYZE areas_dwelling")
        cursor.execute("ANALYZE")


# --- the searches -------------------------------------------------------------------------------------------


def query_mix(samples: list[dict], communities: set[int], per_kind: int, rng: random.Random) -> list[tuple]:
    """(kind, q) pairs drawn from the residents an actor may see, plus a few misses."""
    pool = [s for s in samples if s["community"] in communities]
    rng.shuffle(pool)
    picks = [pool[i % len(pool)] for i in range(per_kind)]
    mix: list[tuple[str, str]] = []
    for s in picks:
        name, (initials, full) = s["name"], s["pinyin"].split(" ")
        address = s["address"]  # from the estate on: 翠苑一区3幢1单元502室
        mix += [
            ("name_surname", name[0]),
            ("name_given", name[1:]),
            ("name_full", name),
            ("pinyin_initials", initials),
            ("pinyin_full_prefix", full[: max(4, len(full) - 2)]),
            ("id_number", s["id_number"]),
            ("phone", s["phone"]),
            ("phone_last4", s["phone"][-4:]),
            ("address_building", address[: address.index("单元") + 2]),
            ("address_room", address),
        ]
    mix += [("miss_name", "欧阳修远"), ("miss_id", "11010519491231002X")] * max(1, per_kind // 10)
    rng.shuffle(mix)
    return mix


def time_searches(actor, mix) -> list[tuple[str, float, int]]:
    from zhizhi.people import queries

    out = []
    for kind, q in mix:
        started = time.perf_counter()
        page = queries.page_of(queries.search_residents(actor, q), 1)
        out.append((kind, (time.perf_counter() - started) * 1000, page.total))
    return out


def floor_ms(ids: list[int]) -> float:
    from zhizhi.people.models import Resident

    times = []
    for pk in ids:
        started = time.perf_counter()
        Resident.objects.only("id", "name").get(pk=pk)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def main() -> int:
    args = parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        print(
            "resident_search needs PostgreSQL: set DATABASE_URL, e.g.\n"
            "  DATABASE_URL=postgres://postgres@127.0.0.1:5432/test "
            "python benchmarks/resident_search.py --quick",
            file=sys.stderr,
        )
        return 2
    rows = args.rows or (100_000 if args.quick else 1_000_000)
    per_kind = args.queries or (12 if args.quick else 30)
    rng = random.Random(args.seed)
    t0 = time.perf_counter()

    say(f"Creating database {BENCH_DB} …")
    recreate_database(url)
    os.environ["DATABASE_URL"] = bench_url(url)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhizhi.settings")
    os.environ.setdefault("ZHIZHI_LOG_LEVEL", "ERROR")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    try:
        say("Migrating …")
        call_command("migrate", verbosity=0)
        t_migrate = time.perf_counter()
        definitions = drop_secondary_indexes(("people_resident", "areas_dwelling", "people_resident_tags"))
        say("Building the district: 10 streets × 10 communities × 5 grids …")
        streets, communities = build_areas()
        by_community = build_dwellings(communities, rows // len(communities))
        dwellings = sum(len(d) for d in by_community)
        say(f"Loading {rows:,} residents into {dwellings:,} dwellings with COPY …")
        samples = load_residents(rows, by_community, rng, sample_every=max(1, rows // 20_000))
        t_load = time.perf_counter()
        say(f"Rebuilding {len(definitions)} indexes (trigram GIN included) and analysing …")
        recreate_indexes(definitions)
        t_index = time.perf_counter()

        from zhizhi.accounts.models import User
        from zhizhi.core.roles import Role

        street_actor = User.objects.create(
            username="bench-street", role=Role.STREET_DISPATCHER, area=streets[0]
        )
        community_actor = User.objects.create(
            username="bench-community", role=Role.COMMUNITY_STAFF, area=communities[0][0]
        )
        actors = {
            "street": (street_actor, set(range(COMMUNITIES))),
            "community": (community_actor, {0}),
        }
        for actor, scope in actors.values():  # warm the caches the way a working day would
            time_searches(actor, query_mix(samples, scope, 3, rng))
        results: dict[str, list[tuple[str, float, int]]] = {}
        load_before = os.getloadavg()[
            0
        ]  # other work on the machine shows in every figure; reported with them
        for label, (actor, scope) in actors.items():
            mix = query_mix(samples, scope, per_kind, rng)
            say(f"Searching as {label} actor ({actor.area_code}): {len(mix)} searches …")
            results[label] = time_searches(actor, mix)
        floor = floor_ms(rng.sample(range(1, rows + 1), 200))
    finally:
        connection.close()
        if not args.keep:
            drop_database(url)
            say(f"Dropped {BENCH_DB}.")

    all_ms = [ms for res in results.values() for _k, ms, _n in res]
    figures: dict = {
        "p50_ms": round(pct(all_ms, 50), 2),
        "p99_ms": round(pct(all_ms, 99), 2),
        "residents": rows,
        "quick": bool(args.quick),
        "searches": len(all_ms),
        "max_ms": round(max(all_ms), 2),
        "floor_pk_fetch_ms": round(floor, 3),
        "dwellings": dwellings,
        "load_s": round(t_load - t_migrate, 1),
        "index_s": round(t_index - t_load, 1),
        "total_s": round(time.perf_counter() - t0, 1),
        "loadavg_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "cpus": os.cpu_count(),
    }
    say(
        f"\n{'actor':<10} {'kind':<20} {'n':>4} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'matches p50':>12}"
    )
    for label, res in results.items():
        ms = [m for _k, m, _n in res]
        figures[f"{label}_p50_ms"] = round(pct(ms, 50), 2)
        figures[f"{label}_p99_ms"] = round(pct(ms, 99), 2)
        for kind in sorted({k for k, _m, _n in res}):
            sel = [(m, n) for k, m, n in res if k == kind]
            kms = [m for m, _n in sel]
            say(
                f"{label:<10} {kind:<20} {len(sel):>4} {pct(kms, 50):>8.2f} {pct(kms, 99):>8.2f} "
                f"{max(kms):>8.2f} "
                f"{statistics.median(n for _m, n in sel):>12.0f}"
            )
            figures.setdefault("by_kind_p99_ms", {})[f"{label}:{kind}"] = round(pct(kms, 99), 2)
    say(
        f"\nall searches: p50 {figures['p50_ms']} ms, p99 {figures['p99_ms']} ms "
        f"(floor: primary-key fetch {floor:.3f} ms)"
    )
    print(json.dumps(figures, ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
