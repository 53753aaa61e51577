"""Background work of the cases app, through the django-tasks API (worker: `zhizhi worker`)."""

from __future__ import annotations

from django_tasks import task


@task()
def drain_outbox() -> dict:
    """Send every notification waiting for its first attempt (see services.outbox); returns the outcomes."""
    from zhizhi.cases.services.outbox import drain

    return drain()


@task()
def deliver_notification(notification_id: int) -> str:
    """Send one notification from the outbox; returns sent, failed, dead or skipped. (Tasks enqueued before
    the outbox was drained in bursts still run.)"""
    from zhizhi.cases.services.outbox import deliver

    return deliver(notification_id)


@task()
def scan_deadlines_task() -> dict:
    """The deadline scan (warnings, automatic escalation, retries), for schedulers that enqueue tasks."""
    from zhizhi.cases.services.scan import scan_deadlines

    return scan_deadlines().as_dict()
