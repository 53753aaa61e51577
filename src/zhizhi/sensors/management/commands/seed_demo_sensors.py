"""`zhizhi seed_demo_sensors [--days 21] [--elders 8] [--seed 2026]`: door sensors for the elders living alone
on the demo street, weeks of their synthetic days fed through the real ingestion, their baselines learned, and
today's board set up (see sensors.demo). Runs once: when the demo bridge exists it says so and adds nothing.
Needs the demo street (`zhizhi seed_demo`)."""

from __future__ import annotations

import datetime as dt
import random
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q
from django.test.utils import override_settings

from zhizhi.accounts.models import User
from zhizhi.cases.management.commands.seed_demo_cases import DEMO_STREET, IMMEDIATE_TASKS
from zhizhi.core import clock
from zhizhi.people.models import Resident
from zhizhi.sensors import demo, zigbee
from zhizhi.sensors.models import Gateway, Watch
from zhizhi.sensors.services import devices, notices, profiles, tick, watch
from zhizhi.sensors.services.ingest import Inbound, ingest

BRIDGE = "zigbee2mqtt"  # the demo's Zigbee2MQTT base topic: a real bridge on a local broker would feed it too
HEARTBEAT = dt.timedelta(hours=4)  # contacts report battery and link quality this often, door used or not
SILENT, OFFLINE, AWAY = 1, 2, 3  # which elders (in the order chosen) set up today's board


class Command(BaseCommand):
    help = (
        "Give the demo street's elders living alone door sensors with weeks of synthetic history, learned "
        "baselines and today's board (an alarm, a sensor problem, an away notice). Idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=21, help="days of history (default 21)")
        parser.add_argument("--elders", type=int, default=8, help="how many elders to watch (default 8)")
        parser.add_argument("--seed", default="2026", help="random seed (the same seed gives the same days)")
        parser.add_argument("--street", default=DEMO_STREET, help=f"street code (default {DEMO_STREET})")

    def handle(self, *args, days: int, elders: int, seed: str, street: str, **options):
        if settings.PRODUCTION:
            raise CommandError("seed_demo_sensors writes synthetic sensor data and is not for production")
        if not 8 <= days <= 60 or not 1 <= elders <= 50:
            raise CommandError("--days lies between 8 and 60 and --elders between 1 and 50")
        if Gateway.objects.filter(name=BRIDGE, devices__isnull=False).exists():
            self.stdout.write(f"The demo bridge {BRIDGE} already has its devices; nothing to seed.")
            return
        chosen = choose_elders(street, elders)
        if not chosen:
            raise CommandError(f"no elder living alone on street {street}: run `zhizhi seed_demo` first")
        started = time.perf_counter()
        with override_settings(TASKS=IMMEDIATE_TASKS):  # the alarm's case and contacts at their moment
            counts = seed_street(chosen, days, random.Random(f"{seed}-sensors"), self.stdout)
        self.stdout.write(
            f"Watched {len(chosen)} elders on {street}: {counts['messages']:,} sensor messages over {days} days, "
            f"{counts['alarms']} alarm(s), {counts['tickets']} maintenance ticket(s), "
            f"{counts['notices']} away notice(s) ({time.perf_counter() - started:.1f}s)."
        )


def choose_elders(street: str, n: int) -> list[Resident]:
    """Residents of the street tagged 独居 with a home, aged 70 or more: those with an account of their own
    first (the demo's 张阿姨), then their grid's, then the rest by area."""
    today = clock.now().astimezone(clock.SHANGHAI).date()
    born_by = dt.date(today.year - 70, today.month, min(today.day, 28))  # 29 February: near enough
    rows = list(
        Resident.objects.filter(
            Q(tags__name="独居") | Q(tags__code="alone"),
            area_code__startswith=street,
            home__isnull=False,
            status="active",
            birth_date__lte=born_by,
        )
        .select_related("home")
        .distinct()
        .order_by("area_code", "id")
    )
    with_account = set(User.objects.filter(resident__in=rows).values_list("resident_id", flat=True))
    grids = {r.area_code for r in rows if r.pk in with_account}
    rows.sort(key=lambda r: (r.pk not in with_account, r.area_code not in grids, r.area_code, r.pk))
    return rows[:n]


def _messages(name: str, moment: dt.datetime, rng: random.Random, battery: int) -> list[Inbound]:
    """A contact opened at `moment` and closed a few seconds later, as the bridge publishes it."""
    shut = moment + dt.timedelta(seconds=rng.uniform(4, 40))
    quality = rng.randint(60, 180)
    return [
        Inbound(
            f"{BRIDGE}/{name}",
            zigbee.state_payload(opened, last_seen=at, battery=battery, linkquality=quality),
            at,
        )
        for opened, at in ((False, moment), (True, shut))
    ]


def _heartbeat(name: str, moment: dt.datetime, battery: int) -> Inbound:
    """A periodic report: battery and link quality, no contact change (a heartbeat, not activity)."""
    return Inbound(
        f"{BRIDGE}/{name}", zigbee.state_payload(last_seen=moment, battery=battery, linkquality=120), moment
    )


def seed_street(elders: list[Resident], days: int, rng: random.Random, out) -> dict[str, int]:
    now = clock.now()
    tz = clock.SHANGHAI
    gateway, _ = Gateway.objects.get_or_create(name=BRIDGE, defaults={"area_code": elders[0].area_code[:9]})
    counts = {"messages": 0, "alarms": 0, "tickets": 0, "notices": 0}
    away_at: dict[int, dt.datetime] = {}
    for index, resident in enumerate(elders):
        names = {sensor: f"{sensor}-{resident.pk}" for sensor in demo.SENSORS}
        for position, (sensor, name) in enumerate(names.items()):
            devices.register_device(
                None,
                vendor_id=f"0x00158d00{resident.pk:06x}{position:02x}",
                friendly_name=name,
                gateway=gateway,
                dwelling=resident.home,
                residents=[resident],
                is_entrance=sensor == demo.DOOR,
            )
        watched = watch.watch_resident(None, resident)
        habits = demo.habits(rng)
        battery = rng.randint(55, 100)
        cutoff = now - dt.timedelta(minutes=rng.uniform(8, 40))
        if index == SILENT:
            cutoff = now - dt.timedelta(hours=26)  # nothing since yesterday morning: the board's alarm
        departure = now - dt.timedelta(hours=5)
        today = now.astimezone(tz).date()
        for back in range(days, -1, -1):
            firings = demo.routine_day(today - dt.timedelta(days=back), habits, rng, tz)
            limit = departure if index == AWAY else cutoff
            firings = [(at, sensor) for at, sensor in firings if at < limit]
            if index == AWAY and back == 0:  # a last look round the kitchen, then off to her daughter's
                firings += [(departure - dt.timedelta(minutes=12), demo.KITCHEN), (departure, demo.DOOR)]
            batch = [m for at, sensor in firings for m in _messages(names[sensor], at, rng, battery)]
            start = dt.datetime.combine(today - dt.timedelta(days=back), dt.time(), tz)
            beats = [start + HEARTBEAT * k for k in range(int(dt.timedelta(days=1) / HEARTBEAT))]
            for name in names.values():
                gone = now - dt.timedelta(hours=3) if index == OFFLINE and name == names[demo.DOOR] else now
                batch += [_heartbeat(name, at, battery) for at in beats if at < gone]
            if batch:
                ingest(sorted(batch, key=lambda m: m.received_at))
                counts["messages"] += len(batch)
        if index == AWAY:
            away_at[watched.pk] = departure
        if index == OFFLINE:  # the bridge lost the front-door contact three hours ago
            ingest(
                [Inbound(f"{BRIDGE}/{names[demo.DOOR]}/availability", "offline", now - dt.timedelta(hours=3))]
            )
            counts["messages"] += 1
        out.write(f"  {resident.name:<6} {resident.area_code}  {', '.join(names.values())}")
    profiles.learn_all(now)
    for watch_id, departure in away_at.items():
        watched = Watch.objects.select_related("resident").get(pk=watch_id)
        filer = _filer(watched)
        if filer is not None:
            local = now.astimezone(tz)
            notices.file_notice(
                filer,
                watched,
                leaves_at=departure - dt.timedelta(minutes=30),
                back_by=(local + dt.timedelta(days=1)).replace(hour=18, minute=0, second=0, microsecond=0),
                reason="去女儿家住两天",
            )
            counts["notices"] += 1
    report = tick(now, health_check=True)
    counts["alarms"] = report["alarms"]
    counts["tickets"] = report.get("opened", 0)
    return counts


def _filer(watched: Watch) -> User | None:
    """Who files the demo's away notice: the elder's grid worker, else community staff, else an admin."""
    for role in ("grid_worker", "community_staff", "eldercare_advisor", "admin"):
        for user in User.objects.filter(role=role, is_active=True).order_by("pk"):
            if notices.may_file(user, watched):
                return user
    return None
