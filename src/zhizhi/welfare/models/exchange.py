"""Benefit delivery by data exchange: per programme and cycle (period), one payment record per payee — a
unique constraint, so a re-run never pays twice — sent to the partner in batches, closed by the receipt."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from zhizhi.welfare.models.enrolment import Enrolment
from zhizhi.welfare.models.programmes import Partner, Programme, Unit


class BatchStatus(models.TextChoices):
    BUILT = "built", _("Built, not yet sent")
    SENT = "sent", _("Sent to the partner")
    PUSH_FAILED = "push_failed", _("Push failed, will retry")
    RECEIPTED = "receipted", _("Receipt imported")


class ExchangeBatch(models.Model):
    """交换批次 — the rows sent to a partner for one programme and period (a re-run makes batch 2, 3 …)."""

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="batches")
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="batches")
    period = models.CharField(_("period"), max_length=10, help_text=_("2026-11, 2026-Q4, 2026 or a date"))
    sequence = models.PositiveSmallIntegerField(_("run"), default=1)
    reference = models.CharField(_("reference"), max_length=48, unique=True)
    status = models.CharField(
        _("status"), max_length=16, choices=BatchStatus.choices, default=BatchStatus.BUILT
    )
    line_count = models.PositiveIntegerField(_("rows"), default=0)
    total = models.DecimalField(_("total"), max_digits=14, decimal_places=2, default=0)
    accepted = models.PositiveIntegerField(_("accepted"), default=0)
    rejected = models.PositiveIntegerField(_("rejected"), default=0)
    created_at = models.DateTimeField(_("created"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    push_attempts = models.PositiveSmallIntegerField(_("push attempts"), default=0)
    push_error = models.TextField(_("last push error"), blank=True)
    receipted_at = models.DateTimeField(_("receipt imported"), null=True, blank=True)

    class Meta:
        verbose_name = _("exchange batch")
        verbose_name_plural = _("exchange batches")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "period", "sequence"], name="batch_run_per_period")
        ]

    def __str__(self) -> str:
        return self.reference


class DisbursementStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    HELD = "held", _("Held: account number missing")
    SENT = "sent", _("Sent, waiting for the receipt")
    ACCEPTED = "accepted", _("Accepted by the partner")
    REJECTED = "rejected", _("Rejected by the partner")


class Disbursement(models.Model):
    """发放记录 — what one payee gets for one period of a programme. Exactly one per (programme, period,
    payee): a household is never paid twice in a cycle however often the batch is re-run."""

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="disbursements")
    period = models.CharField(_("period"), max_length=10)
    payee_key = models.CharField(
        _("payee"), max_length=24, help_text=_("h:<household id> or r:<resident id>")
    )
    enrolment = models.ForeignKey(Enrolment, on_delete=models.PROTECT, related_name="disbursements")
    resident = models.ForeignKey("people.Resident", on_delete=models.PROTECT, related_name="+")
    household = models.ForeignKey(
        "people.Household", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    area_code = models.CharField(_("area code"), max_length=14, db_index=True)
    amount = models.DecimalField(_("amount"), max_digits=10, decimal_places=2)
    unit = models.CharField(_("unit"), max_length=8, choices=Unit.choices)
    account_number = models.CharField(_("account number"), max_length=40, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=DisbursementStatus.choices)
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    batch = models.ForeignKey(
        ExchangeBatch, null=True, blank=True, on_delete=models.PROTECT, related_name="disbursements"
    )
    created_at = models.DateTimeField(_("created"))
    settled_at = models.DateTimeField(_("settled"), null=True, blank=True)

    class Meta:
        verbose_name = _("disbursement")
        verbose_name_plural = _("disbursements")
        ordering = ["programme", "period", "id"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "period", "payee_key"], name="paid_once_per_cycle")
        ]
        indexes = [models.Index(fields=["resident", "period"], name="disbursement_resident")]

    def __str__(self) -> str:
        return f"{self.programme_id} {self.period} {self.payee_key} {self.amount}"


class LineResult(models.TextChoices):
    PENDING = "pending", _("Waiting for the receipt")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")


class BatchLine(models.Model):
    """One row of an exchange batch: the agreed fields as sent, and the partner's answer."""

    batch = models.ForeignKey(ExchangeBatch, on_delete=models.CASCADE, related_name="lines")
    disbursement = models.ForeignKey(Disbursement, on_delete=models.PROTECT, related_name="lines")
    line_no = models.PositiveIntegerField(_("row"))
    reference = models.CharField(_("reference"), max_length=64, unique=True)
    payload = models.JSONField(_("fields sent"), default=dict)
    result = models.CharField(
        _("result"), max_length=16, choices=LineResult.choices, default=LineResult.PENDING
    )
    reason = models.CharField(_("reason"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("batch row")
        verbose_name_plural = _("batch rows")
        ordering = ["batch", "line_no"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "disbursement"], name="batch_line_once"),
            models.UniqueConstraint(fields=["batch", "line_no"], name="batch_line_number"),
        ]

    def __str__(self) -> str:
        return self.reference


class Receipt(models.Model):
    """回执 — a partner's answer to a batch as imported (file or push response)."""

    batch = models.ForeignKey(ExchangeBatch, on_delete=models.CASCADE, related_name="receipts")
    imported_at = models.DateTimeField(_("imported"))
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    filename = models.CharField(_("file name"), max_length=128, blank=True)
    accepted = models.PositiveIntegerField(_("accepted"), default=0)
    rejected = models.PositiveIntegerField(_("rejected"), default=0)

    class Meta:
        verbose_name = _("receipt")
        verbose_name_plural = _("receipts")
        ordering = ["-imported_at"]

    def __str__(self) -> str:
        return f"{self.batch_id} {self.imported_at:%Y-%m-%d}"


class NoticeStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class BenefitNotice(models.Model):
    """告知 — a message to the household that a benefit arrived (or did not, and why). Sent by a task."""

    resident = models.ForeignKey("people.Resident", on_delete=models.CASCADE, related_name="+")
    disbursement = models.OneToOneField(Disbursement, on_delete=models.CASCADE, related_name="notice")
    text = models.CharField(_("text"), max_length=255)
    status = models.CharField(
        _("status"), max_length=8, choices=NoticeStatus.choices, default=NoticeStatus.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    created_at = models.DateTimeField(_("created"))
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("benefit notice")
        verbose_name_plural = _("benefit notices")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.text
