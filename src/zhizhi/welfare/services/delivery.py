"""Benefit delivery use cases: run a cycle (payment records + an exchange batch), push or hand over the
batch, import the partner's receipt, resend a rejected row, keep partner account numbers.

Never twice: a payee has one Disbursement per programme and period (a unique constraint), created with
INSERT … ON CONFLICT DO NOTHING, and a batch claims only pending ones with one conditional UPDATE; a re-run
sends only what is still pending (new enrolments, rows released after a rejection) and nothing else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Max, Q

from zhizhi.core import audit, clock
from zhizhi.core.errors import Conflict, InvalidInput, NotFound
from zhizhi.core.models import AuditAction
from zhizhi.core.permissions import area_prefix
from zhizhi.people.models import Resident
from zhizhi.welfare import eligibility, facts, permissions, queries
from zhizhi.welfare.exchange import formats
from zhizhi.welfare.models import (
    BatchLine,
    BatchStatus,
    Cycle,
    Delivery,
    Disbursement,
    DisbursementStatus,
    EnrolmentStatus,
    ExchangeBatch,
    IdMode,
    PartnerAccount,
    Programme,
    Target,
)

PERIOD_PATTERNS = {
    Cycle.MONTHLY: (r"^\d{4}-(0[1-9]|1[0-2])$", "2026-11"),
    Cycle.QUARTERLY: (r"^\d{4}-Q[1-4]$", "2026-Q4"),
    Cycle.YEARLY: (r"^\d{4}$", "2026"),
    Cycle.ONCE: (r"^once$", "once"),
}


@dataclass
class CycleResult:
    batch: ExchangeBatch | None
    created: int  # new payment records this run
    held: int  # payees still waiting for an account number
    already: int  # payees already sent or settled for this period (not sent again)


def current_period(cycle: str, today=None) -> str:
    today = today or clock.today()
    return {
        Cycle.MONTHLY: f"{today:%Y-%m}",
        Cycle.QUARTERLY: f"{today.year}-Q{(today.month - 1) // 3 + 1}",
        Cycle.YEARLY: f"{today.year}",
        Cycle.ONCE: "once",
    }[Cycle(cycle)]


def check_period(programme: Programme, period: Any) -> str:
    period = str(period or "").strip() or current_period(programme.cycle)
    pattern, example = PERIOD_PATTERNS[Cycle(programme.cycle)]
    if not re.match(pattern, period):
        raise InvalidInput(f"a {programme.cycle} period looks like {example}", field="period")
    return period


def _payee(programme: Programme, resident_id: int, household_id: int | None) -> str:
    return (
        f"h:{household_id}" if programme.target == Target.HOUSEHOLD and household_id else f"r:{resident_id}"
    )


def _accounts(programme: Programme) -> dict[str, str]:
    rows = PartnerAccount.objects.filter(partner=programme.partner).values_list(
        "household_id", "resident_id", "account_number"
    )
    return {(f"h:{h}" if h else f"r:{r}"): number for h, r, number in rows}


def _new_disbursements(actor: Any, programme: Programme, period: str) -> tuple[int, int]:
    """Payment records for enrolled payees that have none for this period. Returns (created, already)."""
    enrolled = list(
        queries.enrolments_for(actor)
        .filter(programme=programme, status=EnrolmentStatus.ENROLLED)
        .values_list("id", "resident_id", "household_id", "area_code")
    )
    existing = set(
        Disbursement.objects.filter(programme=programme, period=period).values_list("payee_key", flat=True)
    )
    todo = [
        (e, r, h, a, _payee(programme, r, h))
        for e, r, h, a in enrolled
        if _payee(programme, r, h) not in existing
    ]
    ctx = eligibility.Context.on(clock.today())
    person_facts = (
        facts.load_facts([r for _, r, _, _, _ in todo], ctx.as_of)
        if programme.formula and programme.amount is None
        else {}
    )
    accounts = _accounts(programme)
    partner = programme.partner
    assert partner is not None  # run_cycle checked
    needs_account = "account_number" in partner.fields
    now = clock.now()
    rows = []
    for enrolment_id, resident_id, household_id, area_code, key in todo:
        account = accounts.get(key, "")
        held = needs_account and not account
        rows.append(
            Disbursement(
                programme=programme,
                period=period,
                payee_key=key,
                enrolment_id=enrolment_id,
                resident_id=resident_id,
                household_id=household_id,
                area_code=area_code,
                amount=eligibility.amount_for(programme, person_facts.get(resident_id, {}), ctx),
                unit=programme.unit,
                account_number=account,
                status=DisbursementStatus.HELD if held else DisbursementStatus.PENDING,
                reason=f"no account number with {partner.name}" if held else "",
                created_at=now,
            )
        )
    Disbursement.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)
    _release_held(programme, period, accounts)
    return len(rows), len(existing)


def _release_held(programme: Programme, period: str, accounts: dict[str, str]) -> None:
    held = Disbursement.objects.filter(programme=programme, period=period, status=DisbursementStatus.HELD)
    for d in held.only("id", "payee_key"):
        if accounts.get(d.payee_key):
            Disbursement.objects.filter(pk=d.pk, status=DisbursementStatus.HELD).update(
                status=DisbursementStatus.PENDING, account_number=accounts[d.payee_key], reason=""
            )


def _payload(
    fields: list[str], line_ref: str, d: Disbursement, partner, whole_ids: dict[int, str]
) -> dict[str, str]:
    values = {
        "reference": line_ref,
        "account_number": d.account_number,
        "holder_name": d.resident.name,
        "id_masked": d.resident.id_number_masked,
        "id_hash": formats.id_hash(whole_ids[d.resident_id], partner.hash_salt)
        if d.resident_id in whole_ids
        else "",
        "household_number": d.household.number if d.household is not None else "",
        "amount": f"{d.amount:.2f}",
        "quantity": format(d.amount.normalize(), "f"),
        "unit": formats.UNIT_NAMES.get(d.unit, d.unit),
        "period": d.period,
        "programme": d.programme.name,
    }
    return {f: values[f] for f in fields}


@transaction.atomic
def run_cycle(actor: Any, programme: Programme, period: Any = "") -> CycleResult:
    """Create this period's payment records and send every pending one in a new batch."""
    permissions.require(actor, "deliver")
    partner = programme.partner
    if partner is None:
        raise InvalidInput(
            "this programme has no delivery partner; it is delivered in kind", field="programme"
        )
    period = check_period(programme, period)
    created, already = _new_disbursements(actor, programme, period)
    prefix = area_prefix(actor) or ""
    pending = Disbursement.objects.filter(
        programme=programme, period=period, status=DisbursementStatus.PENDING, area_code__startswith=prefix
    )
    held = Disbursement.objects.filter(
        programme=programme, period=period, status=DisbursementStatus.HELD
    ).count()
    if not pending.exists():
        return CycleResult(None, created, held, already)
    sequence = (
        ExchangeBatch.objects.filter(programme=programme, period=period).aggregate(m=Max("sequence"))["m"]
        or 0
    ) + 1
    now = clock.now()
    batch = ExchangeBatch.objects.create(
        programme=programme,
        partner=partner,
        period=period,
        sequence=sequence,
        reference=f"{programme.code}-{period}-{sequence:02d}".upper(),
        created_at=now,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    pending.update(status=DisbursementStatus.SENT, batch=batch)
    claimed = list(
        Disbursement.objects.filter(batch=batch, status=DisbursementStatus.SENT)
        .select_related("resident", "household", "programme")
        .order_by("area_code", "payee_key")
    )
    whole_ids = _whole_ids(actor, batch, claimed) if "id_hash" in partner.fields else {}
    lines = []
    for number, d in enumerate(claimed, start=1):
        reference = f"{batch.reference}-{number:05d}"
        lines.append(
            BatchLine(
                batch=batch,
                disbursement=d,
                line_no=number,
                reference=reference,
                payload=_payload(partner.fields, reference, d, partner, whole_ids),
            )
        )
    BatchLine.objects.bulk_create(lines, batch_size=2000)
    batch.line_count = len(lines)
    batch.total = sum((d.amount for d in claimed), Decimal(0))
    batch.save(update_fields=["line_count", "total"])
    audit.record(
        actor,
        AuditAction.CREATE,
        obj=batch,
        summary=f"{batch.reference}: {len(lines)} rows to {partner.name}",
    )
    if partner.delivery == Delivery.HTTP:
        transaction.on_commit(lambda: enqueue_push(batch.pk))
    return CycleResult(batch, created, held, already)


def _whole_ids(actor: Any, batch: ExchangeBatch, claimed: list[Disbursement]) -> dict[int, str]:
    """Whole ID numbers, only to hash them for a partner that matches on the digest; audited."""
    if batch.partner.id_mode != IdMode.HASHED:
        return {}
    ids = [d.resident_id for d in claimed]
    whole = dict(Resident.objects.filter(pk__in=ids).values_list("pk", "id_number"))
    audit.record(
        actor,
        AuditAction.REVEAL,
        obj=batch,
        summary=f"used {len(whole)} whole ID numbers to hash them for {batch.partner.name}",
    )
    return {pk: value for pk, value in whole.items() if value}


def enqueue_push(batch_id: int) -> None:
    from zhizhi.welfare.tasks import push_batch_task

    push_batch_task.enqueue(batch_id)


@transaction.atomic
def hand_over_file(actor: Any, batch: ExchangeBatch) -> tuple[str, bytes, str]:
    """The batch as the partner's file (name, bytes, content type); the first download marks it sent."""
    permissions.require(actor, "deliver")
    fields = batch.partner.fields
    rows = [line.payload for line in batch.lines.order_by("line_no")]
    if batch.partner.delivery == Delivery.CSV:
        name, data, kind = f"{batch.reference}.csv", formats.to_csv(fields, rows), "text/csv; charset=utf-8"
    else:
        name = f"{batch.reference}.xlsx"
        data = formats.to_xlsx(fields, rows, batch.period)
        kind = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    ExchangeBatch.objects.filter(pk=batch.pk, status=BatchStatus.BUILT).update(
        status=BatchStatus.SENT, sent_at=clock.now()
    )
    audit.record(actor, AuditAction.EXPORT, obj=batch, summary=f"downloaded {name}")
    return name, data, kind


@transaction.atomic
def resend_disbursement(actor: Any, disbursement_id: Any) -> Disbursement:
    """Release a rejected row for the next run of its cycle (after fixing what the partner complained of)."""
    permissions.require(actor, "deliver")
    prefix = area_prefix(actor) or ""
    try:
        d = Disbursement.objects.select_for_update().get(pk=disbursement_id, area_code__startswith=prefix)
    except (Disbursement.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound(f"disbursement {disbursement_id} not found", field="id") from exc
    if d.status != DisbursementStatus.REJECTED:
        raise Conflict("only a rejected row can be sent again", field="status")
    account = _accounts(d.programme).get(d.payee_key, d.account_number)
    Disbursement.objects.filter(pk=d.pk).update(
        status=DisbursementStatus.PENDING, account_number=account, batch=None
    )
    audit.record(actor, AuditAction.UPDATE, obj=d, changes={"status": [d.status, DisbursementStatus.PENDING]})
    d.refresh_from_db()
    return d


@transaction.atomic
def set_partner_account(
    actor: Any, programme: Programme, *, resident_id: Any, account_number: str
) -> PartnerAccount:
    """The payee's account number with the programme's partner (the household's, for household programmes)."""
    permissions.require(actor, "deliver")
    if programme.partner is None:
        raise InvalidInput("this programme has no delivery partner", field="programme")
    number = "".join(str(account_number or "").split())
    if not number or len(number) > 40:
        raise InvalidInput("an account number has 1 to 40 characters", field="account_number")
    person = (
        queries.enrolments_for(actor)
        .filter(resident_id=resident_id)
        .values_list("resident_id", "resident__household_id")
        .first()
    )
    if person is None:
        raise NotFound(f"resident {resident_id} not found", field="resident_id")
    holder = (
        Q(household_id=person[1])
        if programme.target == Target.HOUSEHOLD and person[1]
        else Q(resident_id=person[0])
    )
    existing = PartnerAccount.objects.filter(holder, partner=programme.partner).first()
    before = existing.account_number if existing else ""
    if existing:
        existing.account_number = number
        existing.save(update_fields=["account_number"])
        account = existing
    else:
        household = person[1] if programme.target == Target.HOUSEHOLD and person[1] else None
        account = PartnerAccount.objects.create(
            partner=programme.partner,
            household_id=household,
            resident_id=None if household else person[0],
            account_number=number,
        )
    audit.record(
        actor,
        AuditAction.UPDATE,
        obj=account,
        changes=audit.diff({"account_number": before}, {"account_number": number}),
    )
    return account
