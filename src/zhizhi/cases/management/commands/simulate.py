"""`zhizhi simulate --hours N [--step 15] [--per-hour 2] [--pace 0]`: play the last N hours of the demo
street again in accelerated time — new reports arrive, staff act (now and then too late), and the deadline
scan runs every step, so a newcomer watches warnings come, deadlines pass and cases escalate level by level.

The clock is frozen at N hours ago and moved forward one step at a time up to now (nothing is written with a
time in the future); `--pace` seconds of real time per simulated step let you watch it scroll."""

from __future__ import annotations

import datetime as dt
import random
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.test.utils import override_settings

from zhizhi.cases import demo
from zhizhi.cases.management.commands.seed_demo_cases import DEMO_STREET, IMMEDIATE_TASKS, demo_password
from zhizhi.core import clock


class Command(BaseCommand):
    help = "Play reports forward in accelerated time and print what happens (warnings, escalations)."

    def add_arguments(self, parser):
        parser.add_argument("--hours", type=float, required=True, help="simulated hours (ending now)")
        parser.add_argument("--step", type=float, default=15, help="simulated minutes per scan (default 15)")
        parser.add_argument("--per-hour", type=float, default=2.0, help="reports per hour (default 2)")
        parser.add_argument("--late", type=float, default=0.25, help="share of late actions (default 0.25)")
        parser.add_argument("--pace", type=float, default=0.0, help="real seconds per simulated step")
        parser.add_argument("--seed", default="", help="random seed (default: a new one each run)")
        parser.add_argument("--street", default=DEMO_STREET)

    def handle(self, *args, hours, step, per_hour, late, pace, seed, street, **options):
        if settings.PRODUCTION:
            raise CommandError("simulate writes synthetic cases and is not for production")
        if not 0 < hours <= 24 * 14 or not 1 <= step <= 240 or not 0 <= late <= 1:
            raise CommandError("--hours 0–336, --step 1–240 minutes, --late 0–1")
        try:
            cast = demo.prepare_cast(street, demo_password())
        except demo.DemoError as exc:
            raise CommandError(str(exc)) from exc
        end = clock.now()
        start = end - dt.timedelta(hours=hours)
        rng = random.Random(seed or time.time_ns())
        tag = f"sim-{end:%Y%m%d%H%M%S}-"
        times = demo.arrivals(start, end, per_hour * 24, rng)
        reports = [(t, f"{tag}{i:05d}") for i, t in enumerate(times)]
        self.stdout.write(
            f"Simulating {hours:g} h on {cast.street.name}: {len(reports)} reports, a deadline scan every "
            f"{step:g} min, {late:.0%} of actions late. Times are Asia/Shanghai."
        )
        last_step = [start]

        def say(when: dt.datetime, text: str) -> None:
            if pace and when - last_step[0] >= dt.timedelta(minutes=step):
                time.sleep(pace)
                last_step[0] = when
            self.stdout.write(f"{when.astimezone(clock.SHANGHAI):%m-%d %H:%M}  {text}")

        walker = demo.Walker(cast, rng, late_share=late)
        with override_settings(TASKS=IMMEDIATE_TASKS):
            stats = demo.play(
                cast,
                walker,
                start=start,
                end=end,
                reports=reports,
                scan_every=dt.timedelta(minutes=step),
                say=say,
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Done: {stats.reported} reported, {sum(stats.actions.values())} actions, {stats.warned} "
                f"warnings, {stats.escalated} automatic escalations, {stats.overdue} overdue flags."
            )
        )
