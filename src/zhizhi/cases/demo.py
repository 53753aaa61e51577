"""Synthetic cases for the demo street, walked through the real services under the injectable clock.

`prepare_cast` installs the street's handling units and one duty account per unit (idempotent); `Walker`
knows, for a case in any status, the next thing a diligent-but-human street would do and who does it (the
dispatcher registers and dispatches, a member of the unit holding the case signs and handles, the grid worker
or the community verifies, the reporter or the dispatcher rates); `play` runs a time-ordered queue of
reports, actions and deadline scans with `core.clock.frozen` moved to each event, so every Transition row,
deadline, warning and automatic escalation is what the real system would have written at that moment.

Delays are drawn in working time from the category's limits: most actions come in time, a few come late —
and then the scan warns, flags or escalates them before the late action arrives, exactly as in production.
Used by `zhizhi seed_demo_cases` (months of history) and `zhizhi simulate --hours N` (watch it happen).
"""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.hashers import make_password

from zhizhi.accounts.models import User
from zhizhi.areas.models import Area, Building
from zhizhi.cases import routing, services
from zhizhi.cases.access import SYSTEM
from zhizhi.cases.models import Case, CaseStatus, Category, HandlingUnit, UnitLevel, UnitType
from zhizhi.core import clock
from zhizhi.core.calendar import work_calendar
from zhizhi.core.errors import DomainError
from zhizhi.core.roles import AreaLevel, Role

DEMO_KEY = "demo-"
# (category name, weight, share reported by camera or sensor)
CATEGORY_MIX = (
    ("暴露垃圾", 14, 0.3),
    ("垃圾站（箱）满溢", 10, 0.4),
    ("道路不洁", 6, 0.2),
    ("机动车乱停放", 10, 0.4),
    ("非机动车乱停放", 6, 0.2),
    ("占道经营", 6, 0.3),
    ("店外经营", 4, 0.3),
    ("非法小广告", 5, 0.0),
    ("油烟污染", 3, 0.0),
    ("绿地脏乱", 3, 0.0),
    ("路灯", 3, 0.0),
    ("污水井盖", 2, 0.0),
    ("邻里纠纷", 6, 0.0),
    ("物业服务", 7, 0.0),
    ("噪音扰民", 6, 0.0),
    ("无障碍设施损坏", 2, 0.0),
    ("独居老人告警", 2, 1.0),
)
PEOPLE_CHANNELS = (
    ("resident", 30),
    ("hotline", 30),
    ("patrol", 25),
    ("staff", 5),
    ("onecall", 6),
    ("open311", 4),
)
DESCRIPTIONS = {
    "暴露垃圾": "路边一堆生活垃圾，没人清理",
    "垃圾站（箱）满溢": "垃圾桶满了溢出来，味道很大",
    "道路不洁": "路面有大片污渍和落叶",
    "机动车乱停放": "小区门口车辆乱停，堵住消防通道",
    "非机动车乱停放": "电瓶车堆在人行道上",
    "占道经营": "水果摊摆到人行道上",
    "店外经营": "饭店把桌子摆到店门外",
    "非法小广告": "楼道里贴满了小广告",
    "油烟污染": "餐馆油烟直排到居民楼",
    "绿地脏乱": "绿化带里有很多塑料袋",
    "路灯": "路灯不亮，晚上很黑",
    "污水井盖": "井盖松动，踩上去会响",
    "邻里纠纷": "楼上漏水到我家，协商不成",
    "物业服务": "物业不修电梯，反映多次",
    "噪音扰民": "楼下棋牌室半夜很吵",
    "无障碍设施损坏": "无障碍坡道破损，轮椅上不去",
    "独居老人告警": "门磁超过 24 小时未开启",
}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ("阿姨", "师傅", "大爷", "女士", "先生")
LEVEL_ROLES: dict[str, Role] = {
    UnitLevel.COMMUNITY: Role.COMMUNITY_STAFF,
    UnitLevel.STREET: Role.STREET_DEPT_STAFF,
    UnitLevel.DISTRICT: Role.DISTRICT_DEPT_STAFF,
    UnitLevel.CITY: Role.CITY_STAFF,
}
NAMED_STAFF: dict[str, tuple[str, str]] = {
    UnitType.SANITATION: ("laozhou", "老周"),
    UnitType.ENFORCEMENT: ("xiaoliu", "执法员小刘"),
}
OFFICE_DAY_MIN = 450  # minutes of office time in a working day (08:30–12:00, 13:30–17:30)


class DemoError(Exception):
    """The demo street is not there (seed_demo first) or not as expected."""


# ------------------------------------------------------------------------------------------- the cast


@dataclass
class Cast:
    street: Area
    dispatcher: User
    staff: dict[int, User]  # unit id → the account that works its cases
    verifiers: dict[str, User]  # grid or community code → who verifies there
    residents: dict[str, User]  # community code → a resident account
    places: list[tuple[float, float, str, str]]  # (lat, lon, community code, address)
    categories: list[tuple[Category, int, float]]
    created_accounts: list[str] = field(default_factory=list)

    def verifier_for(self, area_code: str) -> User:
        return self.verifiers.get(area_code) or self.verifiers.get(area_code[:12]) or self.dispatcher


def _account(username: str, name: str, role: str, area: Area, password: str, cast_log: list[str]) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(username=username, display_name=name, role=role, area=area, password=password)
        user.save()
        cast_log.append(username)
    return user


def prepare_cast(street_code: str, password: str) -> Cast:
    """The street's units, one duty account per unit and the people who report and verify (idempotent)."""
    street = Area.objects.filter(code=street_code, level=AreaLevel.STREET).first()
    if street is None or not Area.objects.filter(level=AreaLevel.GRID, code__startswith=street_code).exists():
        raise DemoError(f"the demo street {street_code} is not there: run `zhizhi seed_demo` first")
    dispatcher = User.objects.filter(
        role=Role.STREET_DISPATCHER, area_code=street_code, is_active=True
    ).first()
    if dispatcher is None:
        raise DemoError(f"no street dispatcher for {street_code}: run `zhizhi seed_demo` first")
    made: list[str] = []
    hashed = make_password(password)
    units = services.install_default_units(street)
    all_units = [units["city"].get(UnitType.COMMAND_CENTRE)]
    all_units += [*units["district"].values(), *units["street"].values(), *units["communities"].values()]
    staff: dict[int, User] = {}
    for unit in filter(None, all_units):
        member = unit.head or unit.members.filter(is_active=True).first()
        if member is None:
            member = _unit_account(unit, hashed, made)
            unit.members.add(member)
            if unit.head_id is None:
                unit.head = member
                unit.save(update_fields=["head"])
        staff[unit.pk] = member
    verifiers, residents = _area_people(street, staff, units, hashed, made)
    return Cast(
        street=street,
        dispatcher=dispatcher,
        staff=staff,
        verifiers=verifiers,
        residents=residents,
        places=_places(street),
        categories=_categories(street),
        created_accounts=made,
    )


def _unit_account(unit: HandlingUnit, hashed: str, made: list[str]) -> User:
    role = Role.ENFORCEMENT_OFFICER if unit.unit_type == UnitType.ENFORCEMENT else LEVEL_ROLES[unit.level]
    username, name = f"duty-{unit.code}", f"{unit.name}值班员"
    if unit.level == UnitLevel.STREET and unit.unit_type in NAMED_STAFF:
        username, name = NAMED_STAFF[unit.unit_type]
    if unit.level == UnitLevel.COMMUNITY:
        chen = User.objects.filter(username="chen", area_code=unit.area_code).first()
        if chen is not None:
            return chen
    if unit.level == UnitLevel.DISTRICT and unit.unit_type in (UnitType.COMMAND_CENTRE, UnitType.SANITATION):
        zhao = User.objects.filter(username="zhao", role=Role.DISTRICT_DEPT_STAFF).first()
        if zhao is not None:
            return zhao
    return _account(username, name, role, unit.area, hashed, made)


def _area_people(street: Area, staff: dict[int, User], units: dict, hashed: str, made: list[str]):
    verifiers: dict[str, User] = {}
    residents: dict[str, User] = {}
    for code, unit in units["communities"].items():
        verifiers[code] = staff[unit.pk]
    for worker in User.objects.filter(role=Role.GRID_WORKER, area_code__startswith=street.code):
        verifiers[worker.area_code] = worker
    zhang = User.objects.filter(username="zhangayi", role=Role.RESIDENT).first()
    for community in Area.objects.filter(parent=street, level=AreaLevel.COMMUNITY).order_by("code"):
        if zhang is not None and zhang.area_code.startswith(community.code):
            residents[community.code] = zhang
            continue
        grid = Area.objects.filter(parent=community, level=AreaLevel.GRID).order_by("code").first()
        name = f"{community.name.removesuffix('社区')}居民"
        residents[community.code] = _account(
            f"jumin-{community.code}", name, Role.RESIDENT, grid or community, hashed, made
        )
    return verifiers, residents


def _places(street: Area) -> list[tuple[float, float, str, str]]:
    rows = Building.objects.filter(area_code__startswith=street.code).select_related("estate")
    places = [
        (b.lat, b.lon, b.area_code[:12], f"{b.estate.name}{b.number}幢")
        for b in rows.only("lat", "lon", "area_code", "number", "estate__name").order_by("id")[:5000]
    ]
    if not places:
        raise DemoError(f"the demo street {street.code} has no buildings: run `zhizhi seed_demo` first")
    return places


def _categories(street: Area) -> list[tuple[Category, int, float]]:
    """The mix, keeping the categories the street's units can take (a routed unit exists)."""
    found = {
        c.name: c for c in Category.objects.filter(name__in=[n for n, _, _ in CATEGORY_MIX], active=True)
    }
    grid = Area.objects.filter(level=AreaLevel.GRID, code__startswith=street.code).order_by("code").first()
    mix = []
    for name, weight, machine in CATEGORY_MIX:
        category = found.get(name)
        if category is not None and grid is not None and routing.route(category, grid.code).unit is not None:
            mix.append((category, weight, machine))
    return mix


# ------------------------------------------------------------------------------------------- reports


def plan_report(cast: Cast, rng: random.Random, key: str) -> tuple[Any, services.CaseInput]:
    """(actor, report) of one synthetic case at a random building of the street."""
    category, _, machine = rng.choices(cast.categories, weights=[w for _, w, _ in cast.categories])[0]
    lat, lon, community, address = rng.choice(cast.places)
    lat, lon = lat + rng.uniform(-0.00012, 0.00012), lon + rng.uniform(-0.00012, 0.00012)
    description = DESCRIPTIONS.get(category.name, category.name)
    answers = _answers(category, rng)
    if rng.random() < machine:
        channel = "sensor" if category.name == "独居老人告警" else "camera"
        data = services.CaseInput(
            category=category.code, description=description, channel=channel, lat=lat, lon=lon,
            address=address, answers=answers, idempotency_key=key, source_ref=f"{channel}-{key}",
        )  # fmt: skip
        return SYSTEM, data
    channel = rng.choices([c for c, _ in PEOPLE_CHANNELS], weights=[w for _, w in PEOPLE_CHANNELS])[0]
    actor: Any = {
        "resident": cast.residents.get(community),
        "onecall": cast.residents.get(community),
        "patrol": cast.verifier_for(community),
        "open311": SYSTEM,
    }.get(channel) or cast.dispatcher
    caller = rng.choice(SURNAMES) + rng.choice(GIVEN)
    data = services.CaseInput(
        category=category.code, description=description, channel=channel, lat=lat, lon=lon,
        address=address, answers=answers, idempotency_key=key,
        reporter_name=caller if channel in ("hotline", "staff", "open311") else "",
        contact_phone=f"139{rng.randint(0, 99_999_999):08d}" if channel == "hotline" else "",
    )  # fmt: skip
    return actor, data


def _answers(category: Category, rng: random.Random) -> dict:
    answers = {}
    for question in category.questions or []:
        if question.get("required"):
            options = question.get("options") or ["—"]
            answers[question["key"]] = rng.choice(options)
    return answers


# ------------------------------------------------------------------------------------------- the walker


def _limit_minutes(category: Category, step: str) -> float:
    amount, unit = category.limit(step)
    return amount * {"work_hours": 60, "work_days": OFFICE_DAY_MIN, "clock_hours": 60}[unit]


@dataclass
class Walker:
    """Does the next natural action of a case and says when the one after it comes."""

    cast: Cast
    rng: random.Random
    late_share: float = 0.06
    rework_share: float = 0.08
    reject_share: float = 0.04
    revisit_share: float = 0.85

    def delay(self, case: Case) -> dt.timedelta:
        """Working time until the next action: a share of the step's limit, now and then more than it."""
        steps: dict[str, str] = {
            CaseStatus.RECEIVED: "register",
            CaseStatus.REGISTERED: "dispatch",
            CaseStatus.DISPATCHED: "sign",
            CaseStatus.ACCEPTED: "handle",
            CaseStatus.IN_HANDLING: "handle",
            CaseStatus.HANDLED: "verify",
            CaseStatus.VERIFIED: "close",
        }
        step = steps.get(case.status)
        if step is None:  # closed: the revisit comes a day or two later
            return dt.timedelta(minutes=self.rng.uniform(60, 2 * OFFICE_DAY_MIN))
        limit = _limit_minutes(case.category, step)
        share = (
            self.rng.uniform(1.1, 2.0) if self.rng.random() < self.late_share else self.rng.uniform(0.05, 0.8)
        )
        if case.status == CaseStatus.ACCEPTED:
            share *= 0.3  # starting comes soon after signing
        return dt.timedelta(minutes=max(3.0, limit * share))

    def act(self, case_id: int) -> str | None:
        """The next action on the case, or None when there is nothing more to do."""
        case = Case.objects.select_related("category", "current_unit").get(pk=case_id)
        li, rng = self.cast.dispatcher, self.rng
        status = case.status
        if status == CaseStatus.RECEIVED:
            if rng.random() < self.reject_share:
                services.reject_case(li, case.pk, reason="经核实不属于受理范围，已告知诉求人")
                return "reject"
            services.register_case(li, case.pk)
            return "register"
        if status == CaseStatus.REGISTERED:
            services.dispatch_case(li, case.pk)
            return "dispatch"
        if status in (CaseStatus.DISPATCHED, CaseStatus.ACCEPTED, CaseStatus.IN_HANDLING):
            return self._handle(case)
        if status == CaseStatus.HANDLED:
            verifier = self.cast.verifier_for(case.area_code)
            first = not case.verifications.exists()
            if first and rng.random() < self.rework_share:
                services.verify_case(verifier, case.pk, passed=False, note="现场复核未整改到位，请返工")
                return "rework"
            services.verify_case(verifier, case.pk, passed=True, note="现场已整改")
            return "verify"
        if status == CaseStatus.VERIFIED:
            services.close_case(li, case.pk)
            return "close"
        if status == CaseStatus.CLOSED and not case.revisits.exists():
            return self._revisit(case)
        if status == CaseStatus.BACKLOGGED:
            services.resume_case(li, case.pk)
            return "resume"
        return None

    def _handle(self, case: Case) -> str:
        # a case with no unit (None) gets the dispatcher
        member = self.cast.staff.get(case.current_unit_id) or self.cast.dispatcher  # type: ignore[arg-type]
        if case.status == CaseStatus.DISPATCHED:
            services.accept_case(member, case.pk)
            return "accept"
        if case.status == CaseStatus.ACCEPTED:
            if case.current_level == UnitLevel.COMMUNITY and self.rng.random() < 0.03:
                services.escalate_case(member, case.pk, reason="社区无执法权，需街道协调")
                return "escalate"
            if self.rng.random() < 0.04 and not case.extensions.exists():
                services.request_extension(
                    member, case.pk, amount=1, amount_unit="work_days", reason="需协调产权单位"
                )
                services.decide_extension(self.cast.dispatcher, case.pk, approve=True, note="同意")
                return "extension"
            services.start_handling(member, case.pk)
            return "start"
        enforcement = None
        if case.category.enforcement:
            enforcement = services.EnforcementInput(
                subject=f"{case.address or '沿街'}商户",
                facts=f"{case.category.name}：{case.description}",
                legal_basis="《浙江省城市市容和环境卫生管理条例》",
                outcome=self.rng.choice(["责令改正，当场整改", "警告并责令限期改正", "罚款200元"]),
                penalty_amount=200 if self.rng.random() < 0.3 else None,
            )
        services.submit_handling(
            member, case.pk, note="已到现场处置完毕", evidence=["现场处置照片已存档"], enforcement=enforcement
        )
        return "submit"

    def _revisit(self, case: Case) -> str:
        rng = self.rng
        rating = rng.choices(["satisfied", "basically", "unsatisfied"], weights=[75, 18, 7])[0]
        valid = rng.random() < self.revisit_share
        by = (
            case.reporter
            if case.channel in ("resident", "onecall") and case.reporter
            else self.cast.dispatcher
        )
        services.record_revisit(
            by if valid else self.cast.dispatcher,
            case.pk,
            rating=rating,
            responded=rng.random() < 0.97,
            resolved=rating != "unsatisfied" and rng.random() < 0.95,
            valid=valid,
            comment="" if rating == "satisfied" else "处理得有点慢",
        )
        return "revisit"


# ------------------------------------------------------------------------------------------- the event loop


@dataclass
class PlayStats:
    reported: int = 0
    actions: dict[str, int] = field(default_factory=dict)
    warned: int = 0
    escalated: int = 0
    overdue: int = 0
    errors: int = 0


def arrivals(start: dt.datetime, end: dt.datetime, per_day: float, rng: random.Random) -> list[dt.datetime]:
    """Report times: more on working days and in the daytime, a few at night."""
    times = []
    calendar = work_calendar()
    day = start.astimezone(clock.SHANGHAI).date()
    while True:
        midnight = dt.datetime.combine(day, dt.time(), tzinfo=clock.SHANGHAI)
        if midnight >= end:
            break
        expected = per_day * (1.0 if calendar.is_workday(day) else 0.55)
        for _ in range(_poisson(expected, rng)):
            hour = rng.choices(
                range(24),
                weights=[1, 1, 1, 1, 1, 2, 4, 8, 12, 12, 12, 10, 8, 9, 11, 11, 10, 9, 8, 7, 6, 4, 2, 1],
            )[0]
            moment = midnight + dt.timedelta(hours=hour, minutes=rng.uniform(0, 60))
            if start <= moment < end:
                times.append(moment)
        day += dt.timedelta(days=1)
    return sorted(times)


def _poisson(mean: float, rng: random.Random) -> int:
    """Knuth's method (means here are small)."""
    limit, k, p = pow(2.718281828459045, -mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def play(
    cast: Cast,
    walker: Walker,
    *,
    start: dt.datetime,
    end: dt.datetime,
    reports: list[tuple[dt.datetime, str]],
    scan_every: dt.timedelta = dt.timedelta(hours=1),
    say: Callable[[dt.datetime, str], None] | None = None,
) -> PlayStats:
    """Run reports (time, idempotency key), the actions they lead to and deadline scans in time order, with
    the clock frozen at each event; events after `end` are left for the future."""
    stats = PlayStats()
    seq = itertools.count()
    queue: list[tuple[dt.datetime, int, str, Any]] = [(t, next(seq), "report", key) for t, key in reports]
    queue.append((start, next(seq), "scan", None))
    heapq.heapify(queue)
    calendar = work_calendar()
    say = say or (lambda when, text: None)
    with clock.frozen(start) as fake:
        while queue:
            when, _, kind, ref = heapq.heappop(queue)
            if when > end:
                break
            fake.current = when
            if kind == "scan":
                report = services.scan_deadlines(when)
                stats.warned += len(report.warned)
                stats.escalated += len(report.escalated)
                stats.overdue += len(report.overdue)
                if report.escalated:
                    units = dict(
                        Case.objects.filter(
                            number__in=report.escalated, street_code=cast.street.code
                        ).values_list("number", "current_unit__name")
                    )
                    for number in report.escalated:
                        say(when, f"超期自动上报 {number} → {units.get(number, '')}")
                for number in report.overdue:
                    say(when, f"超期 {number}")
                for number in report.warned:
                    say(when, f"预警 {number}")
                heapq.heappush(queue, (when + scan_every, next(seq), "scan", None))
                continue
            try:
                case_id, text = _event(cast, walker, kind, ref, stats)
            except DomainError as exc:  # e.g. the scan moved the case on meanwhile; try again later
                stats.errors += 1
                say(when, f"（跳过：{exc}）")
                case_id, text = (ref if kind == "act" else None), None
            if text:
                say(when, text)
            if case_id is not None:
                case = Case.objects.select_related("category").get(pk=case_id)
                if case.status not in (CaseStatus.REJECTED, CaseStatus.MERGED) and not (
                    case.status == CaseStatus.CLOSED and case.revisits.exists()
                ):
                    nxt = calendar.add_working_time(when, walker.delay(case))
                    heapq.heappush(
                        queue, (max(nxt, when + dt.timedelta(minutes=1)), next(seq), "act", case_id)
                    )
    return stats


def _event(
    cast: Cast, walker: Walker, kind: str, ref: Any, stats: PlayStats
) -> tuple[int | None, str | None]:
    if kind == "report":
        actor, data = plan_report(cast, walker.rng, ref)
        result = services.open_case(actor, data)
        if not result.created:
            return None, None
        stats.reported += 1
        case = result.case
        return (
            case.pk,
            f"新案件 {case.number} {case.category.name}（{case.get_channel_display()}）{case.address}",
        )
    done = walker.act(ref)
    if done is None:
        return None, None
    stats.actions[done] = stats.actions.get(done, 0) + 1
    case = Case.objects.select_related("current_unit").get(pk=ref)
    unit = f" → {case.current_unit.name}" if case.current_unit and done in ("dispatch", "escalate") else ""
    return ref, f"{done:<9} {case.number} {case.get_status_display()}{unit}"


# ------------------------------------------------------------------------------------------- today

GRID_WORKER_PERSONA = "xiaowang"  # 小王 (seed_demo): the demo's grid worker


def stage_verification_task(cast: Cast, key: str, now: dt.datetime) -> Case | None:
    """A report from 小王's grid this morning, handled by its unit two hours later and now waiting for her
    on-site check — so the grid worker's pages (待核查, her inbox) have something on them whatever the walk
    left. None when she or a building of her grid is not there, or a case of her grid already waits."""
    wang = User.objects.filter(username=GRID_WORKER_PERSONA, role=Role.GRID_WORKER).first()
    if wang is None or not wang.area_code.startswith(cast.street.code):
        return None
    if Case.objects.filter(status=CaseStatus.HANDLED, area_code__startswith=wang.area_code).exists():
        return None
    building = (
        Building.objects.filter(area_code=wang.area_code).select_related("estate").order_by("id").first()
    )
    category = Category.objects.filter(name="暴露垃圾", active=True).first()
    if building is None or category is None:
        return None
    reporter = cast.residents.get(building.area_code[:12]) or cast.dispatcher
    data = services.CaseInput(
        category=category.code, description=DESCRIPTIONS.get(category.name, category.name),
        channel="resident", lat=building.lat, lon=building.lon, address=str(building), idempotency_key=key,
    )  # fmt: skip
    start = now - dt.timedelta(hours=3)
    with clock.frozen(start) as fake:
        case = services.open_case(reporter, data).case
        fake.current = start + dt.timedelta(minutes=15)
        services.register_case(cast.dispatcher, case.pk)
        services.dispatch_case(cast.dispatcher, case.pk)
        case.refresh_from_db()
        member = cast.staff.get(case.current_unit_id) or cast.dispatcher  # type: ignore[arg-type]
        fake.current = start + dt.timedelta(minutes=40)
        services.accept_case(member, case.pk)
        services.start_handling(member, case.pk)
        fake.current = start + dt.timedelta(hours=2)
        services.submit_handling(member, case.pk, note="已到现场清运完毕", evidence=["清运前后照片已存档"])
    case.refresh_from_db()
    return case
