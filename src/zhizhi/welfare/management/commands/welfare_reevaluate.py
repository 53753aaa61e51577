"""Re-evaluate every active programme over its whole frame (what the nightly job runs): drafts for new matches,
flags for people who no longer qualify — never a drop. Then re-assess the risk of every open case file (ageing,
door-sensor alarms of the last 30 days, missed visits)."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from zhizhi.welfare.services.casefiles import reassess_risks
from zhizhi.welfare.services.enrolment import reevaluate_all


class Command(BaseCommand):
    help = (
        "Re-evaluate every active welfare programme over the registry (drafts and flags; nothing dropped), "
        "then re-assess case-file risks."
    )

    def add_arguments(self, parser):
        parser.add_argument("--as-of", help="evaluation date, YYYY-MM-DD (default: today in Asia/Shanghai)")
        parser.add_argument("--no-risks", action="store_true", help="skip the case files' risk re-assessment")

    def handle(self, *args, **options):
        as_of = None
        if options.get("as_of"):
            try:
                as_of = dt.date.fromisoformat(options["as_of"])
            except ValueError as exc:
                raise CommandError("--as-of must be a date like 2026-11-27") from exc
        for result in reevaluate_all(as_of):
            self.stdout.write(
                f"{result.programme}: {result.matched} qualify, {result.drafted} new drafts, "
                f"{result.flagged} flagged"
            )
        if not options["no_risks"]:
            changed = reassess_risks(as_of)
            self.stdout.write(f"case files: {changed} risk scores changed")
