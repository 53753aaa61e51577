"""`zhizhi scan_deadlines` — the every-minute deadline job.

Warns at 80 % of a step's time, escalates cases whose deadline passed one level up (community → street →
district → city), flags the rest overdue and retries due notifications. Safe to run twice or from two
machines at once.

Run it every minute, e.g. with cron:
    * * * * *  cd /srv/zhizhi && ZHIZHI_ENV=production .venv/bin/zhizhi scan_deadlines
or a systemd timer (OnCalendar=*-*-* *:*:00), or `--loop` in a supervised process:
    zhizhi scan_deadlines --loop 60
"""

from __future__ import annotations

import json
import time

from django.core.management.base import BaseCommand

from zhizhi.cases.services.scan import scan_deadlines


class Command(BaseCommand):
    help = "Warn at 80% of case deadlines, escalate overdue cases and retry due notifications."

    def add_arguments(self, parser):
        parser.add_argument(
            "--loop", type=int, default=0, metavar="SECONDS", help="repeat every SECONDS (0: once)"
        )

    def handle(self, *args, loop: int = 0, **options):
        while True:
            report = scan_deadlines()
            self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False))
            if loop <= 0:
                return
            time.sleep(loop)
