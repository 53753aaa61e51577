"""`zhizhi seed_demo [--scale 1.0] [--seed 2026]`: seed the synthetic demo street once, print the logins."""

from __future__ import annotations

import random
import time

from django.core.management.base import BaseCommand, CommandError

from zhizhi.web.demo import layout as demo_layout
from zhizhi.web.demo import population, writer
from zhizhi.web.demo.personas import ensure_personas, login_table

STREET_LABEL = f"{demo_layout.STREET[1]} ({demo_layout.STREET[0]})"


class Command(BaseCommand):
    help = (
        "Seed a synthetic street modelled on 武林街道 (8 communities, 60 grids, ~600 buildings, ~20,000 "
        "residents) and the demo accounts. Does nothing when the street is already seeded."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale",
            type=float,
            default=1.0,
            help="fraction of the full street's buildings and residents (e.g. 0.05 for tests); default 1",
        )
        parser.add_argument("--seed", default="2026", help="random seed; the same seed gives the same street")

    def handle(self, *args, scale: float, seed: str, **options):
        if not 0 < scale <= 4:
            raise CommandError("--scale must be above 0 and at most 4")
        existing = writer.seeded_residents()
        if existing is not None:
            self.stdout.write(
                f"The demo street {STREET_LABEL} is already seeded ({existing} residents); nothing to seed."
            )
        else:
            self._seed(scale, seed)
        logins = ensure_personas()
        from zhizhi.open311.keys import ensure_demo_key

        ensure_demo_key()
        self.stdout.write("\nDemo logins (the same password for every account unless it was changed):\n")
        self.stdout.write(login_table(logins) + "\n")

    def _seed(self, scale: float, seed: str) -> None:
        started = time.perf_counter()
        self.stdout.write(f"Seeding the demo street {STREET_LABEL} at scale {scale:g} …")
        street = demo_layout.plan_street(random.Random(f"{seed}-places"), scale)
        dwellings = street.dwellings()
        target = max(1, round(population.RESIDENTS_AT_FULL_SCALE * scale))
        households = population.plan_population(dwellings, random.Random(f"{seed}-people"), target)
        self.stdout.write(f"  planned in {time.perf_counter() - started:.1f}s")

        def progress(step: str, count: int, seconds: float) -> None:
            self.stdout.write(f"  {step:<11} {count:>7,}  {seconds:5.1f}s")

        writer.write_street(street, households, progress)
        self.stdout.write(self.style.SUCCESS(f"Seeded in {time.perf_counter() - started:.1f}s."))
