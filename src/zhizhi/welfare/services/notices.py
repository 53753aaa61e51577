"""Telling a household its benefit arrived: a durable notice row per settled payment, sent by a task.

No SMS gateway is configured in this codebase yet; sending marks the row sent and logs it, so the outbox is
real and a gateway adapter can be dropped into `send_queued` without touching the use cases.
"""

from __future__ import annotations

import logging

from django.db import transaction

from zhizhi.core import clock
from zhizhi.welfare.exchange.formats import UNIT_NAMES
from zhizhi.welfare.models import BenefitNotice, Disbursement, NoticeStatus

log = logging.getLogger(__name__)


def text_for(d: Disbursement) -> str:
    quantity = format(d.amount.normalize(), "f")
    return (
        f"【智治】{d.programme.name}：{d.period} 期 {quantity} {UNIT_NAMES.get(d.unit, d.unit)} 已发放到账。"
    )


def queue_for(disbursements: list[Disbursement]) -> int:
    now = clock.now()
    rows = [
        BenefitNotice(resident_id=d.resident_id, disbursement=d, text=text_for(d), created_at=now)
        for d in disbursements
    ]
    BenefitNotice.objects.bulk_create(rows, ignore_conflicts=True)
    if rows:
        transaction.on_commit(enqueue_send)
    return len(rows)


def enqueue_send() -> None:
    from zhizhi.welfare.tasks import send_notices_task

    send_notices_task.enqueue()


def send_queued(limit: int = 500) -> int:
    sent = 0
    for notice in BenefitNotice.objects.filter(status=NoticeStatus.QUEUED).order_by("id")[:limit]:
        claimed = BenefitNotice.objects.filter(pk=notice.pk, status=NoticeStatus.QUEUED).update(
            status=NoticeStatus.SENT, sent_at=clock.now(), attempts=notice.attempts + 1
        )
        if claimed:
            log.info("benefit notice %s to resident %s: %s", notice.pk, notice.resident_id, notice.text)
            sent += 1
    return sent
