"""`zhizhi seed_demo_cases [--days 90] [--per-day 4] [--seed 2026]`: months of synthetic cases on the demo
street, walked through the real services under a frozen clock (see cases.demo). Runs once: when demo cases
exist it says so and adds nothing. Needs the demo street (`zhizhi seed_demo`)."""

from __future__ import annotations

import datetime as dt
import os
import random
import time
from collections import Counter

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.test.utils import override_settings

from zhizhi.cases import demo
from zhizhi.cases.models import Case
from zhizhi.core import clock

DEMO_STREET = "330105013"
IMMEDIATE_TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def demo_password() -> str:
    return os.environ.get("ZHIZHI_DEMO_PASSWORD") or "zhizhi2026"


class Command(BaseCommand):
    help = (
        "Seed a few months of synthetic cases across categories, channels and units on the demo street, "
        "walked through the real workflow with the clock moved to each event. Idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=90, help="how many days of history (default 90)")
        parser.add_argument("--per-day", type=float, default=4.0, help="reports per working day (default 4)")
        parser.add_argument("--seed", default="2026", help="random seed (the same seed gives the same cases)")
        parser.add_argument("--street", default=DEMO_STREET, help=f"street code (default {DEMO_STREET})")

    def handle(self, *args, days: int, per_day: float, seed: str, street: str, **options):
        if settings.PRODUCTION:
            raise CommandError("seed_demo_cases writes synthetic cases and is not for production")
        if not 1 <= days <= 730 or not 0 < per_day <= 500:
            raise CommandError("--days lies between 1 and 730 and --per-day between 0 and 500")
        existing = Case.objects.filter(idempotency_key__startswith=demo.DEMO_KEY).count()
        if existing:
            self.stdout.write(f"The demo street already has {existing} demo cases; nothing to seed.")
            return
        try:
            cast = demo.prepare_cast(street, demo_password())
        except demo.DemoError as exc:
            raise CommandError(str(exc)) from exc
        started = time.perf_counter()
        end = clock.now()
        begin = end - dt.timedelta(days=days)
        rng = random.Random(f"{seed}-cases")
        times = demo.arrivals(begin, end, per_day, rng)
        reports = [(t, f"{demo.DEMO_KEY}{seed}-{i:05d}") for i, t in enumerate(times)]
        self.stdout.write(
            f"Seeding {len(reports)} cases over {days} days on {cast.street.name} "
            f"({len(cast.categories)} categories, {len(cast.staff)} units) …"
        )
        with override_settings(TASKS=IMMEDIATE_TASKS):  # notifications delivered at their moment
            stats = demo.play(cast, demo.Walker(cast, rng), start=begin, end=end, reports=reports)
            staged = demo.stage_verification_task(cast, f"{demo.DEMO_KEY}{seed}-today", end)
        if staged is not None:
            self.stdout.write(
                f"  today: {staged.number} handled in 小王's grid, waiting for her check on site"
            )
        self._summary(stats, cast, started)

    def _summary(self, stats: demo.PlayStats, cast: demo.Cast, started: float) -> None:
        by_status = Counter(
            Case.objects.filter(idempotency_key__startswith=demo.DEMO_KEY).values_list("status", flat=True)
        )
        self.stdout.write(f"  reported   {stats.reported:>6}")
        for action, n in sorted(stats.actions.items()):
            self.stdout.write(f"  {action:<10} {n:>6}")
        self.stdout.write(
            f"  warnings {stats.warned}, automatic escalations {stats.escalated}, "
            f"overdue flags {stats.overdue}"
        )
        self.stdout.write("  now: " + ", ".join(f"{s} {n}" for s, n in sorted(by_status.items())))
        if cast.created_accounts:
            self.stdout.write(
                f"  duty accounts created (password as the demo's): {', '.join(cast.created_accounts[:6])}"
                + (" …" if len(cast.created_accounts) > 6 else "")
            )
        self.stdout.write(self.style.SUCCESS(f"Seeded in {time.perf_counter() - started:.1f}s."))
