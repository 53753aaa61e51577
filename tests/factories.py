"""Builders for test data: a small street, personas and bulk residents."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass

from zhizhi.accounts.models import User
from zhizhi.areas import services as areas
from zhizhi.areas.models import Area, Dwelling
from zhizhi.core.roles import AreaLevel, Role
from zhizhi.people import services as people
from zhizhi.people.idnumber import make_id_number

PASSWORD = "test-pass-123"
_seq = itertools.count(1)


def square(lon: float, lat: float, size: float = 0.002) -> dict:
    return {
        "type": "Polygon",
        "coordinates": [
            [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
        ],
    }


@dataclass
class Street:
    district: Area
    street: Area
    community_a: Area
    community_b: Area
    grid_a1: Area
    grid_a2: Area
    grid_b1: Area
    dwelling_a1: Dwelling
    dwelling_a2: Dwelling
    dwelling_b1: Dwelling


def make_street() -> Street:
    city = areas.ensure_area(AreaLevel.CITY, "3301", "杭州市")
    district = areas.ensure_area(AreaLevel.DISTRICT, "330105", "拱墅区", city)
    street = areas.ensure_area(AreaLevel.STREET, "330105013", "武林街道", district)
    ca = areas.ensure_area(AreaLevel.COMMUNITY, "330105013001", "竹竿巷社区", street)
    cb = areas.ensure_area(AreaLevel.COMMUNITY, "330105013002", "龙游社区", street)
    a1 = areas.ensure_area(AreaLevel.GRID, "33010501300101", "竹竿巷1网格", ca, square(120.160, 30.270))
    a2 = areas.ensure_area(AreaLevel.GRID, "33010501300102", "竹竿巷2网格", ca, square(120.162, 30.270))
    b1 = areas.ensure_area(AreaLevel.GRID, "33010501300201", "龙游1网格", cb, square(120.164, 30.270))
    dwellings = []
    for community, grid, lon in ((ca, a1, 120.161), (ca, a2, 120.163), (cb, b1, 120.165)):
        estate = areas.create_estate(community, f"{grid.name}小区")
        building = areas.create_building(estate, "1", grid, lat=30.271, lon=lon)
        unit = areas.create_unit(building, "1")
        dwellings.append(areas.create_dwelling(unit, "101"))
    return Street(district, street, ca, cb, a1, a2, b1, *dwellings)


def make_user(username: str, role: str, area: Area | None, display_name: str = "", **extra) -> User:
    user = User(username=username, role=role, area=area, display_name=display_name or username, **extra)
    user.set_password(PASSWORD)
    user.save()
    return user


def make_resident(
    dwelling: Dwelling,
    name: str = "",
    *,
    born: dt.date = dt.date(1950, 3, 1),
    sex: str = "F",
    phone: str = "13812345678",
    tags: tuple[str, ...] = (),
):
    n = next(_seq)
    admin = User(role=Role.ADMIN, is_active=True)  # an unsaved system actor for fixtures
    return people.register_resident(
        admin,
        people.ResidentInput(
            name=name or f"居民{n}",
            id_number=make_id_number("330105", born, 2 * n, sex),  # 2n: never collides after the sex digit
            phone=phone,
            tags=list(tags),
            home_code=dwelling.code,
        ),
    )


def make_personas(s: Street) -> dict:
    zhang = make_resident(s.dwelling_a1, "张阿姨", tags=("独居", "高龄"), born=dt.date(1941, 5, 3))
    return {
        "zhang": make_user("zhangayi", Role.RESIDENT, s.grid_a1, "张阿姨", resident=zhang),
        "zhang_record": zhang,
        "xiaowang": make_user("xiaowang", Role.GRID_WORKER, s.grid_a1, "小王"),
        "chen": make_user("chen", Role.COMMUNITY_STAFF, s.community_a, "陈社工"),
        "outsider": make_user("outsider", Role.COMMUNITY_STAFF, s.community_b, "外社区"),
        "li": make_user("lizhuren", Role.STREET_DISPATCHER, s.street, "李主任"),
        "zhao": make_user("zhao", Role.DISTRICT_DEPT_STAFF, s.district, "赵科长"),
        "qian": make_user("qian", Role.LEADER, s.street, "钱书记"),
        "admin": make_user("admin", Role.ADMIN, None, "管理员", is_superuser=True),
    }
