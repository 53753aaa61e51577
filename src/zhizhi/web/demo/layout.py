"""The demo street's places (pure: no ORM): communities, grids tiling the street, estates, buildings, rooms.

The street's bounding box is cut into a lattice of 8 x 8 cells whose inner corners are jittered, so
neighbouring cells share their edges exactly and the cells tile the street without gaps or overlaps. A
community is a block of 4 x 2 cells; each cell is a grid, except that in half of the communities two cells
merge into one grid (60 grids). Coordinates are WGS84 (lon, lat), rounded to 6 decimals (about 0.1 m).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from shapely.geometry import Point, Polygon, mapping, shape
from shapely.geometry.polygon import orient
from shapely.ops import unary_union

CITY = ("3301", "杭州市")
DISTRICT = ("330105", "拱墅区")
STREET = ("330105013", "武林街道")
WEST, SOUTH, EAST, NORTH = 120.160, 30.262, 120.180, 30.285
LATTICE_COLS, LATTICE_ROWS = 8, 8
COMMUNITY_COLS, COMMUNITY_ROWS = 2, 4  # communities across and down; each is 4 × 2 cells
COMMUNITY_NAMES = (
    "竹竿巷社区",
    "龙游社区",
    "岳王社区",
    "官巷口社区",
    "百井坊社区",
    "麒麟街社区",
    "延安社区",
    "凤起社区",
)
MERGED_COMMUNITIES = frozenset({1, 2, 5, 6})  # their last two cells form one grid: 4 × 8 + 4 × 7 = 60 grids
JITTER = 0.18  # of a cell's size, for inner lattice corners
BASE_BUILDINGS_PER_GRID = (7, 13)
ESTATE_PLACES = (
    "孩儿巷",
    "百井坊",
    "仁和",
    "岳王",
    "龙游",
    "长寿",
    "华藏寺",
    "皮市",
    "东平",
    "环城",
    "体育场",
    "延安",
    "凤起",
    "中山",
    "庆春",
    "武林",
    "众安",
    "青年",
    "宝善",
    "兴中",
    "马市",
    "戒坛寺",
    "竹竿巷",
    "官巷",
    "麒麟",
    "菩提寺",
    "惠兴",
    "小车桥",
    "流水",
    "西湖",
    "平海",
    "湖滨",
    "学士",
    "浣纱",
    "井亭",
    "林司",
    "狮虎",
    "长庆",
    "潮鸣",
    "红门",
    "东园",
    "珠碧",
    "小营",
    "梅花碑",
    "天水",
    "银枪",
    "武林门",
    "教场",
)
ESTATE_SUFFIXES = ("新村", "小区", "苑", "公寓", "花园", "大厦", "里", "新苑")
ROADS = (
    "延安路",
    "武林路",
    "凤起路",
    "庆春路",
    "中山北路",
    "体育场路",
    "环城西路",
    "孩儿巷",
    "岳王路",
    "龙游路",
)


@dataclass
class DwellingPlan:
    grid_code: str
    building: BuildingPlan
    unit_number: str
    room: str
    floor: int


@dataclass
class BuildingPlan:
    number: str
    lat: float
    lon: float
    floors: int
    units: int
    rooms_per_floor: int
    built_year: int


@dataclass
class EstatePlan:
    name: str
    address: str
    grid_code: str
    buildings: list[BuildingPlan] = field(default_factory=list)


@dataclass
class GridPlan:
    code: str
    name: str
    boundary: dict
    estates: list[EstatePlan] = field(default_factory=list)


@dataclass
class CommunityPlan:
    code: str
    name: str
    boundary: dict
    grids: list[GridPlan] = field(default_factory=list)


@dataclass
class StreetLayout:
    boundary: dict
    communities: list[CommunityPlan]

    @property
    def grids(self) -> list[GridPlan]:
        return [g for c in self.communities for g in c.grids]

    @property
    def buildings(self) -> list[BuildingPlan]:
        return [b for g in self.grids for e in g.estates for b in e.buildings]

    def dwellings(self) -> list[DwellingPlan]:
        """Every room of every building, in a fixed order (the writer creates them in this order)."""
        rooms = []
        for grid in self.grids:
            for estate in grid.estates:
                for b in estate.buildings:
                    for unit in range(1, b.units + 1):
                        for floor in range(1, b.floors + 1):
                            for r in range(1, b.rooms_per_floor + 1):
                                rooms.append(DwellingPlan(grid.code, b, str(unit), f"{floor}{r:02d}", floor))
        return rooms


def _lattice(rng: random.Random) -> list[list[tuple[float, float]]]:
    """(rows+1) × (cols+1) corners, row 0 in the north; inner corners jittered, outer ones on the box."""
    dx, dy = (EAST - WEST) / LATTICE_COLS, (NORTH - SOUTH) / LATTICE_ROWS
    corners = []
    for r in range(LATTICE_ROWS + 1):
        row = []
        for c in range(LATTICE_COLS + 1):
            lon, lat = WEST + c * dx, NORTH - r * dy
            if 0 < r < LATTICE_ROWS and 0 < c < LATTICE_COLS:
                lon += rng.uniform(-JITTER, JITTER) * dx
                lat += rng.uniform(-JITTER, JITTER) * dy
            row.append((round(lon, 6), round(lat, 6)))
        corners.append(row)
    return corners


def _cell(corners: list[list[tuple[float, float]]], r: int, c: int) -> Polygon:
    ring = [corners[r][c], corners[r + 1][c], corners[r + 1][c + 1], corners[r][c + 1]]
    return Polygon(ring)


def _geojson(polygon) -> dict:
    geometry = mapping(orient(polygon, 1.0))  # exterior counter-clockwise (RFC 7946)
    rings = [[[round(x, 6), round(y, 6)] for x, y in ring] for ring in geometry["coordinates"]]
    return {"type": "Polygon", "coordinates": rings}


def short_name(community_name: str) -> str:
    return community_name.removesuffix("社区")


def plan_areas(rng: random.Random) -> StreetLayout:
    corners = _lattice(rng)
    communities = []
    for k, name in enumerate(COMMUNITY_NAMES):
        crow, ccol = divmod(k, COMMUNITY_COLS)
        rows = range(crow * 2, crow * 2 + 2)
        cols = range(ccol * 4, ccol * 4 + 4)
        cells = [_cell(corners, r, c) for r in rows for c in cols]
        groups = [[cell] for cell in cells]
        if k in MERGED_COMMUNITIES:
            groups[-2:] = [cells[-2:]]
        code = f"{STREET[0]}{k + 1:03d}"
        grids = [
            GridPlan(f"{code}{n:02d}", f"{short_name(name)}{n}网格", _geojson(unary_union(group)))
            for n, group in enumerate(groups, start=1)
        ]
        communities.append(CommunityPlan(code, name, _geojson(unary_union(cells)), grids))
    street = Polygon([(WEST, SOUTH), (EAST, SOUTH), (EAST, NORTH), (WEST, NORTH)])
    return StreetLayout(_geojson(street), communities)


def point_inside(boundary: dict, rng: random.Random, taken: list[tuple[float, float]]) -> tuple[float, float]:
    """(lat, lon) of a random point well inside the polygon, kept ~30 m from the points already taken."""
    polygon = shape(boundary)
    inner = polygon.buffer(-0.00025)
    if inner.is_empty:
        inner = polygon
    west, south, east, north = inner.bounds
    best = None
    for _ in range(60):
        lon, lat = rng.uniform(west, east), rng.uniform(south, north)
        if not inner.contains(Point(lon, lat)):
            continue
        best = (round(lat, 6), round(lon, 6))
        if all(abs(lat - t_lat) + abs(lon - t_lon) > 0.0003 for t_lat, t_lon in taken):
            break
    if best is None:
        p = inner.representative_point()
        best = (round(p.y, 6), round(p.x, 6))
    taken.append(best)
    return best


def _building(number: int, lat: float, lon: float, rng: random.Random) -> BuildingPlan:
    kind = rng.random()
    if kind < 0.08:  # old two- or three-storey houses (老墙门)
        floors, units, rooms = rng.randint(2, 3), 1, rng.choice((2, 3))
    elif kind < 0.92:  # the 1980s–90s six-storey walk-ups of the old centre
        floors, units, rooms = rng.choice((5, 6, 6, 6, 7)), rng.choice((1, 2, 2, 3)), 2
    else:  # a few towers
        floors, units, rooms = rng.randint(11, 18), 1, rng.choice((3, 4))
    year = rng.randint(1998, 2012) if floors > 7 else rng.randint(1978, 2000)
    return BuildingPlan(str(number), lat, lon, floors, units, rooms, year)


def plan_street(rng: random.Random, scale: float = 1.0) -> StreetLayout:
    """Areas plus estates and buildings; `scale` shrinks the number of buildings (at least one per grid)."""
    layout = plan_areas(rng)
    used_names: set[str] = set()
    for grid in layout.grids:
        count = max(1, round(rng.randint(*BASE_BUILDINGS_PER_GRID) * scale))
        sizes = _split(count, rng)
        taken: list[tuple[float, float]] = []
        for size in sizes:
            estate = EstatePlan(_estate_name(rng, used_names), _address(rng), grid.code)
            for n in range(1, size + 1):
                lat, lon = point_inside(grid.boundary, rng, taken)
                estate.buildings.append(_building(n, lat, lon, rng))
            grid.estates.append(estate)
    return layout


def _split(count: int, rng: random.Random) -> list[int]:
    """Split a grid's buildings into one to three estates."""
    if count < 4:
        return [count]
    parts = rng.choice((1, 2, 2, 3))
    cuts = sorted(rng.sample(range(1, count), parts - 1))
    bounds = [0, *cuts, count]
    return [b - a for a, b in zip(bounds, bounds[1:], strict=False)]


def _estate_name(rng: random.Random, used: set[str]) -> str:
    for _ in range(200):
        name = rng.choice(ESTATE_PLACES) + rng.choice(ESTATE_SUFFIXES)
        if name not in used:
            used.add(name)
            return name
    name = f"{rng.choice(ESTATE_PLACES)}{len(used) + 1}号院"
    used.add(name)
    return name


def _address(rng: random.Random) -> str:
    return f"{rng.choice(ROADS)}{rng.randint(1, 400)}号"
