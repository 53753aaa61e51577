"""Telling a household its benefit arrived: a durable notice row per settled payment, sent by a task.

Sending hands the notice to the platform's notification outbox (cases.services.outbox) as an SMS to the
resident's phone, in the same transaction that marks the notice sent: the SMS adapter (ZHIZHI_SMS_URL; the
development adapter records it) delivers it after commit and retries failures with back-off from that row.
A resident with no phone on file cannot be told by SMS: the notice is marked failed, for staff to follow up.
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
    """Hand queued notices to the SMS outbox; returns how many were handed over (each exactly once)."""
    from zhizhi.cases.services import outbox

    sent = 0
    queued = BenefitNotice.objects.filter(status=NoticeStatus.QUEUED).select_related("resident")
    for notice in queued.order_by("id")[:limit]:
        phone = notice.resident.phone
        with transaction.atomic():
            claimed = BenefitNotice.objects.filter(pk=notice.pk, status=NoticeStatus.QUEUED).update(
                status=NoticeStatus.SENT if phone else NoticeStatus.FAILED,
                sent_at=clock.now() if phone else None,
                attempts=notice.attempts + 1,
            )
            if not claimed:
                continue  # another worker took it
            if not phone:
                log.warning(
                    "benefit notice %s: resident %s has no phone on file", notice.pk, notice.resident_id
                )
                continue
            outbox.sms(phone, "benefit", notice.text)
        sent += 1
    return sent
