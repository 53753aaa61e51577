"""Records that belong to a case besides its transitions: enforcement, verification, revisit, extension."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from zhizhi.cases.models.case import Case, Transition
from zhizhi.cases.models.enums import ExtensionStatus, LimitUnit, Satisfaction, VerificationMethod
from zhizhi.cases.models.taxonomy import HandlingUnit

# Columns of a revisit the indicators count besides its keys (case or unit, at).
RATING_COLUMNS = ["valid", "rating", "responded", "resolved"]


class EnforcementRecord(models.Model):
    """综合执法记录 — the enforcement team's record of an enforcement case: the party (违法主体), the facts
    (违法事实), the legal basis of the penalty (处罚依据) and the outcome (处理结果)."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="enforcement")
    subject = models.CharField(_("party"), max_length=128)  # 违法主体
    facts = models.TextField(_("facts"))  # 违法事实
    legal_basis = models.TextField(_("legal basis"))  # 处罚依据
    outcome = models.TextField(_("outcome"))  # 处理结果
    penalty_amount = models.DecimalField(
        _("fine (yuan)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded"))

    class Meta:
        verbose_name = _("enforcement record")
        verbose_name_plural = _("enforcement records")

    def __str__(self) -> str:
        return f"{self.case} {self.subject}"


class Verification(models.Model):
    """核查 — the check of a handled case: on site by the grid worker, or by a camera re-check; pass or
    rework."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="verifications")
    transition = models.OneToOneField(Transition, on_delete=models.CASCADE, related_name="verification")
    method = models.CharField(_("method"), max_length=16, choices=VerificationMethod.choices)
    passed = models.BooleanField(_("passed"))
    note = models.TextField(_("note"), blank=True)
    source_ref = models.CharField(_("external reference"), max_length=64, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(_("time"))

    class Meta:
        verbose_name = _("verification")
        verbose_name_plural = _("verifications")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.case} {'pass' if self.passed else 'rework'}"


class Revisit(models.Model):
    """回访 — the satisfaction revisit after closure, by the resident on their page or recorded by staff.

    `valid` is False for a revisit that reached nobody (the 12345 rates count valid revisits only);
    `responded` (did the unit contact you) and `resolved` (is the problem solved) feed 响应率 and 解决率."""

    # (indexed first in revisit_case_at, as unit in revisit_unit_at: no index of their own)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="revisits", db_index=False)
    transition = models.OneToOneField(Transition, on_delete=models.CASCADE, related_name="revisit")
    rating = models.CharField(_("rating"), max_length=16, choices=Satisfaction.choices)
    responded = models.BooleanField(_("responded"), null=True)
    resolved = models.BooleanField(_("resolved"), null=True)
    valid = models.BooleanField(_("valid"), default=True)
    comment = models.TextField(_("comment"), blank=True)
    by_resident = models.BooleanField(_("by the resident"), default=False)
    unit = models.ForeignKey(
        HandlingUnit,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="revisits",
        verbose_name=_("unit rated"),
        db_index=False,
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(_("time"), db_index=True)

    class Meta:
        verbose_name = _("revisit")
        verbose_name_plural = _("revisits")
        ordering = ["at", "id"]
        # An area's revisits through its cases, a unit's by unit: read by the indicators from these alone
        # (cases.indicators.compute; INCLUDE is PostgreSQL's).
        indexes = [
            models.Index(fields=["case", "at"], include=RATING_COLUMNS, name="revisit_case_at"),
            models.Index(fields=["unit", "at"], name="revisit_unit_at"),
        ]

    def __str__(self) -> str:
        return f"{self.case} {self.rating}"


class ExtensionRequest(models.Model):
    """延期申请 — a unit asks for more time for the handling step; the dispatcher or a supervisor decides."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="extensions")
    unit = models.ForeignKey(HandlingUnit, null=True, on_delete=models.SET_NULL, related_name="+")
    amount = models.DecimalField(_("extra time"), max_digits=6, decimal_places=2)
    amount_unit = models.CharField(_("unit of the extra time"), max_length=16, choices=LimitUnit.choices)
    reason = models.TextField(_("reason"))
    status = models.CharField(
        _("status"), max_length=16, choices=ExtensionStatus.choices, default=ExtensionStatus.PENDING
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)
    old_deadline = models.DateTimeField(_("deadline before"), null=True, blank=True)
    new_deadline = models.DateTimeField(_("deadline after"), null=True, blank=True)

    class Meta:
        verbose_name = _("extension request")
        verbose_name_plural = _("extension requests")
        ordering = ["requested_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=models.Q(status="pending"), name="one_pending_extension_per_case"
            )
        ]

    def __str__(self) -> str:
        return f"{self.case} +{self.amount} {self.amount_unit} ({self.status})"
