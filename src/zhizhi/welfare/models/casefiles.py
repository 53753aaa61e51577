"""Case files (个案) for vulnerable people: risk with its factors, needs, service plan, visits, referrals,
and the elderly-care advisor (养老顾问) who serves the person one to one."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class RiskLevel(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


class CaseFileStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class CaseFile(models.Model):
    """个案档案 — the one file of a vulnerable person (低保/低边/特困/失能/独居/高龄)."""

    resident = models.OneToOneField(
        "people.Resident", on_delete=models.PROTECT, related_name="welfare_case", verbose_name=_("person")
    )
    area_code = models.CharField(_("area code"), max_length=14, db_index=True)
    status = models.CharField(
        _("status"), max_length=8, choices=CaseFileStatus.choices, default=CaseFileStatus.OPEN
    )
    risk_score = models.PositiveSmallIntegerField(_("risk score"), default=0)
    risk_level = models.CharField(
        _("risk level"), max_length=8, choices=RiskLevel.choices, default=RiskLevel.LOW
    )
    risk_factors = models.JSONField(_("risk factors"), default=list, blank=True)
    risk_assessed_at = models.DateTimeField(_("risk assessed"), null=True, blank=True)
    advisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="welfare_elders",
        verbose_name=_("elderly-care advisor"),
    )
    assigned_at = models.DateTimeField(_("assigned"), null=True, blank=True)
    visit_interval_days = models.PositiveSmallIntegerField(_("visit every (days)"), default=30)
    last_visit_at = models.DateTimeField(_("last visit"), null=True, blank=True)
    next_visit_due = models.DateField(_("next visit due"), null=True, blank=True, db_index=True)
    opened_at = models.DateTimeField(_("opened"))
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("case file")
        verbose_name_plural = _("case files")
        ordering = ["area_code", "id"]
        indexes = [models.Index(fields=["advisor", "next_visit_due"], name="casefile_advisor_due")]

    def __str__(self) -> str:
        return f"{self.resident_id}"


class NeedsAssessment(models.Model):
    """需求评估 — needs by domain (daily living, health, mental, social, economic, safety) with a level."""

    case_file = models.ForeignKey(CaseFile, on_delete=models.CASCADE, related_name="assessments")
    at = models.DateTimeField(_("time"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    needs = models.JSONField(_("needs"), default=dict, help_text=_("{domain: none|some|high}"))
    summary = models.TextField(_("summary"), blank=True)

    class Meta:
        verbose_name = _("needs assessment")
        verbose_name_plural = _("needs assessments")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.case_file_id} {self.at:%Y-%m-%d}"


class ServicePlan(models.Model):
    """服务计划 — goals and services (what, how often, by whom) until the review date."""

    case_file = models.ForeignKey(CaseFile, on_delete=models.CASCADE, related_name="plans")
    at = models.DateTimeField(_("time"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    goals = models.TextField(_("goals"))
    services = models.JSONField(_("services"), default=list, help_text=_("[{service, frequency, provider}]"))
    review_on = models.DateField(_("review on"), null=True, blank=True)
    current = models.BooleanField(_("current"), default=True)

    class Meta:
        verbose_name = _("service plan")
        verbose_name_plural = _("service plans")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.case_file_id} {self.at:%Y-%m-%d}"


class VisitKind(models.TextChoices):
    HOME = "home", _("Home visit")
    PHONE = "phone", _("Phone call")
    VIDEO = "video", _("Video call")
    ESCORT = "escort", _("Accompanied errand")


class Visit(models.Model):
    """走访 — a visit by the advisor or a social worker: note, photos, where and when."""

    case_file = models.ForeignKey(CaseFile, on_delete=models.CASCADE, related_name="visits")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    by_name = models.CharField(_("by"), max_length=150, blank=True)
    at = models.DateTimeField(_("time"), db_index=True)
    kind = models.CharField(_("kind"), max_length=8, choices=VisitKind.choices, default=VisitKind.HOME)
    note = models.TextField(_("note"))
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    recorded_at = models.DateTimeField(_("recorded"))

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.case_file_id} {self.kind} {self.at:%Y-%m-%d}"


class VisitPhoto(models.Model):
    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="photos")
    name = models.CharField(_("file name"), max_length=128)
    content_type = models.CharField(_("type"), max_length=32)
    data = models.BinaryField(_("image"))

    class Meta:
        verbose_name = _("visit photo")
        verbose_name_plural = _("visit photos")

    def __str__(self) -> str:
        return self.name


class ReferralStatus(models.TextChoices):
    OPEN = "open", _("Referred")
    ACCEPTED = "accepted", _("Accepted")
    CLOSED = "closed", _("Closed")


class Referral(models.Model):
    """转介 — the person referred to another service (hospital, eldercare provider, legal aid, a case)."""

    case_file = models.ForeignKey(CaseFile, on_delete=models.CASCADE, related_name="referrals")
    at = models.DateTimeField(_("time"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    to = models.CharField(_("referred to"), max_length=128)
    reason = models.TextField(_("reason"))
    status = models.CharField(
        _("status"), max_length=8, choices=ReferralStatus.choices, default=ReferralStatus.OPEN
    )
    outcome = models.TextField(_("outcome"), blank=True)
    case_reference = models.CharField(_("case number"), max_length=32, blank=True)

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.case_file_id} → {self.to}"
