"""The notification outbox: rows written in the use case's transaction, sent after commit through a task,
retried from the row with back-off. A failing adapter never undoes, blocks or loses the change that caused
the message.

After a commit that wrote rows, the process asks for one `drain` task (cases.tasks.drain_outbox), which sends
every row still waiting for its first attempt. With a queue that can defer (the database queue), that task
is enqueued to start `DRAIN_WINDOW_S` later and every commit in this process until then relies on it: the
rows it wrote are committed before the task may start, so the task sees them. One task row per burst instead
of one per notification — at 500 intakes a second that was a sixth of the intake's CPU and as many rows for
the worker. With a queue that cannot defer (the immediate one of the tests), each commit drains at once.
Rows whose enqueue was lost (a crash, a broken queue) are sent by the minute scan (`retry_due`).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import F, Q

from zhizhi.cases import notify
from zhizhi.cases.models import Case, HandlingUnit, Notification, NotificationChannel, NotificationStatus
from zhizhi.core import clock, pii

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
LEASE = dt.timedelta(minutes=5)  # a claimed row not finished by then is taken up again
FALLBACK_DELAY = dt.timedelta(minutes=1)  # when the after-commit enqueue is lost, the scan sends it
BATCH = 200
# How long a deferred drain waits, gathering the commits of a burst. The worker polls an idle queue once a
# second anyway, so a notice waits about a second more at most, and a busy process writes one task row a
# second instead of five.
DRAIN_WINDOW_S = 1.0

_drain_lock = threading.Lock()
_drain_due = 0.0  # time.monotonic() at which this process's last deferred drain may start


def backoff(attempts: int) -> dt.timedelta:
    """1, 2, 4 … minutes after each failure, at most an hour."""
    return dt.timedelta(minutes=min(60, 2 ** max(0, attempts - 1)))


def _row(
    case: Case | None, event: str, text: str, *, channel: str, user: Any = None, address: str = ""
) -> Notification:
    now = clock.now()
    masked = (
        pii.mask_phone(address) if address and address.isdigit() else address[:3] + "***" if address else ""
    )
    return Notification(
        channel=channel,
        recipient=user if getattr(user, "pk", None) else None,
        address=address,
        address_masked=masked,
        case=case,
        event=event,
        text=text,
        created_at=now,
        next_attempt_at=now + FALLBACK_DELAY,
    )


def queue(rows: Iterable[Notification]) -> list[Notification]:
    """Save the rows and have them sent after the surrounding transaction commits."""
    rows = [r for r in rows if r.recipient_id or r.address]
    if not rows:
        return []
    saved = Notification.objects.bulk_create(rows)  # ids come back on PostgreSQL and SQLite ≥ 3.35
    send_after_commit([r.pk for r in saved])
    return saved


def send_after_commit(ids: list[int]) -> None:
    """Have saved rows sent once the transaction that wrote them commits (at once in autocommit mode)."""
    if ids:
        transaction.on_commit(request_drain)


def request_drain() -> None:
    """Ask the task queue for a drain of the outbox, unless one this process asked for has yet to start; if
    the queue refuses, the minute scan sends the rows anyway."""
    global _drain_due
    from django.utils import timezone

    from zhizhi.cases.tasks import drain_outbox

    now = time.monotonic()
    with _drain_lock:
        if now < _drain_due:
            return  # that drain starts after this commit: it will see these rows
    try:
        if drain_outbox.get_backend().supports_defer:
            with _drain_lock:
                _drain_due = now + DRAIN_WINDOW_S
            drain_outbox.using(run_after=timezone.now() + dt.timedelta(seconds=DRAIN_WINDOW_S)).enqueue()
        else:
            drain_outbox.enqueue()
    except Exception:  # the durable row is the guarantee, not the queue
        forget_drain()
        log.warning("could not enqueue the outbox drain; the scan will send the rows", exc_info=True)


def forget_drain() -> None:
    """Forget the drain this process asked for (the next commit asks again)."""
    global _drain_due
    with _drain_lock:
        _drain_due = 0.0


def drain(limit: int = BATCH) -> dict[str, int]:
    """Send every row waiting for its first attempt, oldest first, in batches until none is left. Another
    drain or the scan running at the same time is harmless: `deliver` claims each row before sending it."""
    counts: dict[str, int] = {}
    while True:
        waiting = list(
            Notification.objects.filter(status=NotificationStatus.PENDING)
            .order_by("next_attempt_at", "id")
            .values_list("pk", flat=True)[:limit]
        )
        for pk in waiting:
            outcome = deliver(pk)
            counts[outcome] = counts.get(outcome, 0) + 1
        if len(waiting) < limit:
            return counts


def to_users(users: Iterable[Any], case: Case | None, event: str, text: str) -> list[Notification]:
    channel = notify.staff_channel()
    seen: set[int] = set()
    rows = []
    for user in users:
        if user is None or user.pk in seen or not user.is_active:
            continue
        seen.add(user.pk)
        rows.append(_row(case, event, text, channel=channel, user=user))
    return queue(rows)


def to_unit(unit: HandlingUnit | None, case: Case, event: str, text: str, *, head_only: bool = False) -> list:
    if unit is None:
        return []
    users = [unit.head] if head_only and unit.head_id else [unit.head, *unit.members.all()]
    return to_users([u for u in users if u is not None], case, event, text)


def to_reporter(case: Case, event: str, text: str) -> list[Notification]:
    """The resident who reported: in their account's inbox, and by SMS to the contact phone given."""
    return queue(reporter_rows(case, event, text))


def sms(address: str, event: str, text: str, case: Case | None = None) -> list[Notification]:
    """Queue one SMS to a phone number (a resident who has no account, e.g. a household told its benefit
    arrived); sent after commit through the SMS adapter and retried from the row like every notification."""
    return queue([_row(case, event, text, channel=NotificationChannel.SMS, address=address)])


def reporter_rows(case: Case, event: str, text: str) -> list[Notification]:
    """The rows `to_reporter` queues, unsaved (for a caller that writes them with the case itself and then
    calls `send_after_commit` with their ids)."""
    rows = []
    if case.reporter_id:
        rows.append(_row(case, event, text, channel=NotificationChannel.DEV, user=case.reporter))
    if case.contact_phone:
        rows.append(_row(case, event, text, channel=NotificationChannel.SMS, address=case.contact_phone))
    return [r for r in rows if r.recipient_id or r.address]


def deliver(notification_id: int) -> str:
    """Send one notification; returns sent, failed, dead or skipped (already sent or claimed elsewhere)."""
    now = clock.now()
    claimed = Notification.objects.filter(
        Q(status__in=[NotificationStatus.PENDING, NotificationStatus.FAILED])
        | Q(status=NotificationStatus.SENDING, next_attempt_at__lte=now),
        pk=notification_id,
    ).update(status=NotificationStatus.SENDING, attempts=F("attempts") + 1, next_attempt_at=now + LEASE)
    if not claimed:
        return "skipped"
    row = Notification.objects.get(pk=notification_id)
    try:
        notify.adapter_for(row.channel).send(row)
    except Exception as exc:  # every adapter failure is recorded on the row and retried
        dead = row.attempts >= MAX_ATTEMPTS
        Notification.objects.filter(pk=row.pk).update(
            status=NotificationStatus.DEAD if dead else NotificationStatus.FAILED,
            last_error=f"{type(exc).__name__}: {exc}"[:2000],
            next_attempt_at=None if dead else clock.now() + backoff(row.attempts),
        )
        log.warning("notification %s failed (attempt %s): %s", row.pk, row.attempts, exc)
        return "dead" if dead else "failed"
    Notification.objects.filter(pk=row.pk).update(
        status=NotificationStatus.SENT, sent_at=clock.now(), last_error="", next_attempt_at=None
    )
    return "sent"


def retry_due(now: dt.datetime | None = None, limit: int = BATCH) -> dict[str, int]:
    """Send every row whose next attempt is due (failed, never enqueued, or abandoned by a crashed worker)."""
    now = now or clock.now()
    due = Notification.objects.filter(
        status__in=[NotificationStatus.PENDING, NotificationStatus.FAILED, NotificationStatus.SENDING],
        next_attempt_at__lte=now,
    ).order_by("next_attempt_at", "id")
    counts: dict[str, int] = {}
    for pk in due.values_list("pk", flat=True)[:limit]:
        outcome = deliver(pk)
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts


def mark_read(actor: Any, notification_id: Any) -> Notification:
    """Mark one of the actor's own notifications as read."""
    from zhizhi.core.errors import NotFound

    try:
        row = Notification.objects.get(pk=int(notification_id), recipient_id=getattr(actor, "pk", None) or -1)
    except (Notification.DoesNotExist, TypeError, ValueError) as exc:
        raise NotFound(f"notification {notification_id} not found", field="id") from exc
    if row.read_at is None:
        row.read_at = clock.now()
        row.save(update_fields=["read_at"])
    return row
