"""Use cases of the sensors app — the only code that changes its state.

ingest.ingest            a batch of messages → events, dead letters, unknown devices (one transaction)
devices.*                gateways, devices, installation history, binding residents
watch.watch_resident     start watching an elder;  watch.check_due  raise the alarms whose moment came
profiles.learn_all       relearn every person's baseline (nightly)
alarms.*                 raise, ladder (advance_ladders), acknowledge, resolve; then contacts and cases
health.check_health      maintenance tickets (never elder alarms)
tick                     everything periodic, in one call (every few seconds)
"""

from __future__ import annotations

import datetime as dt

from zhizhi.core import clock


def tick(now: dt.datetime | None = None, *, health_check: bool = False) -> dict[str, int]:
    """The periodic work: due alarms, ladder steps, retries of contacts and cases, optionally health."""
    from zhizhi.sensors.services import alarms, health, watch

    now = now or clock.now()
    report = {
        "alarms": len(watch.check_due(now)),
        "escalated": alarms.advance_ladders(now),
        "contacts": alarms.send_contacts(),
        "cases": alarms.open_missing_cases(),
    }
    if health_check:
        report.update(health.check_health(now))
    return report
