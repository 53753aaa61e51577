"""Closing the loop with a partner: push a built batch to its HTTP endpoint (retried from the durable batch
row when it fails), and import the partner's receipt — accepted rows are settled and the household is told,
rejected rows keep the partner's reason. Every receipt row is checked first; one bad row writes nothing."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from zhizhi.core import audit, clock
from zhizhi.core.errors import RowErrors
from zhizhi.core.models import AuditAction
from zhizhi.welfare import permissions
from zhizhi.welfare.exchange import formats
from zhizhi.welfare.exchange.adapters import adapter_for
from zhizhi.welfare.models import (
    BatchLine,
    BatchStatus,
    Disbursement,
    DisbursementStatus,
    ExchangeBatch,
    LineResult,
    Receipt,
)
from zhizhi.welfare.services import notices
from zhizhi.welfare.services._audit import record_many

DISBURSEMENT = "welfare.disbursement"
MAX_PUSH_ATTEMPTS = 10


def push_batch(batch_id: int) -> str:
    """Push a built (or failed) batch to its partner's endpoint; the worker calls this. Returns the status."""
    batch = ExchangeBatch.objects.select_related("partner", "programme").get(pk=batch_id)
    if batch.status not in (BatchStatus.BUILT, BatchStatus.PUSH_FAILED):
        return batch.status
    document = {
        "batch": batch.reference,
        "programme": batch.programme.code,
        "period": batch.period,
        "fields": batch.partner.fields,
        "rows": [line.payload for line in batch.lines.order_by("line_no")],
    }
    result = adapter_for(batch.partner.delivery).push(batch.partner.endpoint_url, document)
    with transaction.atomic():
        claimed = ExchangeBatch.objects.filter(
            pk=batch.pk, status__in=[BatchStatus.BUILT, BatchStatus.PUSH_FAILED]
        )
        if not result.ok:
            claimed.update(
                status=BatchStatus.PUSH_FAILED,
                push_attempts=batch.push_attempts + 1,
                push_error=result.error[:2000],
            )
            return BatchStatus.PUSH_FAILED
        claimed.update(
            status=BatchStatus.SENT, sent_at=clock.now(), push_attempts=batch.push_attempts + 1, push_error=""
        )
        if result.results:
            rows = [
                formats.ReceiptRow(
                    i,
                    str(r.get("reference", "")),
                    str(r.get("result", "")).lower(),
                    str(r.get("reason", ""))[:255],
                )
                for i, r in enumerate(result.results, start=1)
            ]
            _apply_receipt(None, ExchangeBatch.objects.get(pk=batch.pk), rows, "push response")
    return BatchStatus.SENT


def retry_failed_pushes() -> int:
    failed = ExchangeBatch.objects.filter(status=BatchStatus.PUSH_FAILED, push_attempts__lt=MAX_PUSH_ATTEMPTS)
    return sum(1 for pk in failed.values_list("pk", flat=True) if push_batch(pk) == BatchStatus.SENT)


@transaction.atomic
def import_receipt(actor: Any, batch: ExchangeBatch, data: bytes, filename: str = "") -> dict:
    """Close the loop: accepted rows are settled (and the household told), rejected rows keep the partner's
    reason. Every row is checked first; one bad row writes nothing (RowErrors lists them all)."""
    permissions.require(actor, "deliver")
    try:
        rows = formats.parse_receipt(data, filename)
    except formats.ReceiptFormatError as exc:
        raise RowErrors(exc.errors) from exc
    return _apply_receipt(actor, batch, rows, filename)


def _apply_receipt(actor: Any, batch: ExchangeBatch, rows: list[formats.ReceiptRow], filename: str) -> dict:
    lines = {
        line.reference: line for line in batch.lines.select_related("disbursement", "disbursement__programme")
    }
    errors, answered = [], []
    for row in rows:
        line = lines.get(row.reference)
        if line is None:
            errors.append(
                {
                    "row": row.row,
                    "column": "流水号",
                    "reason": f"{row.reference} is not a row of {batch.reference}",
                }
            )
        elif row.result not in LineResult.values or row.result == LineResult.PENDING:
            errors.append({"row": row.row, "column": "结果", "reason": f"unknown result {row.result!r}"})
        elif line.result != LineResult.PENDING:
            if line.result != row.result:
                errors.append(
                    {"row": row.row, "column": "结果", "reason": f"already answered {line.result} before"}
                )
        else:
            answered.append((line, row))
    if errors:
        raise RowErrors(errors)
    now = clock.now()
    audit_rows = []
    for line, row in answered:
        line.result, line.reason = row.result, row.reason
        d = line.disbursement
        before = d.status
        d.status = (
            DisbursementStatus.ACCEPTED if row.result == LineResult.ACCEPTED else DisbursementStatus.REJECTED
        )
        d.reason = row.reason
        d.settled_at = now if d.status == DisbursementStatus.ACCEPTED else None
        audit_rows.append(
            (DISBURSEMENT, d.pk, f"{batch.reference}: {row.result}", {"status": [before, d.status]})
        )
    BatchLine.objects.bulk_update([line for line, _ in answered], ["result", "reason"], batch_size=2000)
    Disbursement.objects.bulk_update(
        [line.disbursement for line, _ in answered], ["status", "reason", "settled_at"], batch_size=2000
    )
    accepted = sum(1 for _, r in answered if r.result == LineResult.ACCEPTED)
    rejected = len(answered) - accepted
    Receipt.objects.create(
        batch=batch,
        imported_at=now,
        imported_by=actor if getattr(actor, "pk", None) else None,
        filename=filename[:128],
        accepted=accepted,
        rejected=rejected,
    )
    counts = {r: batch.lines.filter(result=r).count() for r in LineResult.values}
    batch.accepted, batch.rejected = counts[LineResult.ACCEPTED], counts[LineResult.REJECTED]
    batch.status = BatchStatus.RECEIPTED if counts[LineResult.PENDING] == 0 else batch.status
    batch.receipted_at = now
    batch.save(update_fields=["accepted", "rejected", "status", "receipted_at"])
    record_many(actor, AuditAction.UPDATE, audit_rows)
    audit.record(
        actor,
        AuditAction.IMPORT,
        obj=batch,
        summary=f"receipt {filename}: {accepted} accepted, {rejected} rejected",
    )
    notices.queue_for([line.disbursement for line, row in answered if row.result == LineResult.ACCEPTED])
    return {"accepted": accepted, "rejected": rejected, "unchanged": len(rows) - len(answered)}
