"""Enrolment (纳入): a person or household matched by a programme's rule, verified by staff, enrolled, paused
or exited; every change is an EnrolmentEvent row (and an audit entry)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from zhizhi.welfare.models.programmes import Programme
from zhizhi.welfare.workflow import Action, Status


class EnrolmentStatus(models.TextChoices):
    DRAFT = Status.DRAFT, _("Draft (matched by the rule)")
    VERIFIED = Status.VERIFIED, _("Verified, waiting for consent")
    ENROLLED = Status.ENROLLED, _("Enrolled")
    PAUSED = Status.PAUSED, _("Paused")
    EXITED = Status.EXITED, _("Exited")
    REJECTED = Status.REJECTED, _("Not enrolled")


class EnrolmentAction(models.TextChoices):
    MATCH = Action.MATCH, _("Matched by the rule")
    VERIFY = Action.VERIFY, _("Verified")
    ENROL = Action.ENROL, _("Enrolled")
    REJECT = Action.REJECT, _("Not enrolled")
    PAUSE = Action.PAUSE, _("Paused")
    RESUME = Action.RESUME, _("Resumed")
    EXIT = Action.EXIT, _("Exited")
    REDRAFT = Action.REDRAFT, _("Drafted again")
    CONSENT = Action.CONSENT, _("Consent recorded")
    FLAG = Action.FLAG, _("Flagged: no longer qualifies")
    KEEP = Action.KEEP, _("Kept after review")


class Enrolment(models.Model):
    """纳入记录 — one programme × one beneficiary (a person, or a household through its head)."""

    # indexed by the (programme, …) indexes below
    programme = models.ForeignKey(
        Programme, on_delete=models.PROTECT, related_name="enrolments", db_index=False
    )
    resident = models.ForeignKey(
        "people.Resident",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("person (household head)"),
    )
    household = models.ForeignKey(
        "people.Household", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    area_code = models.CharField(_("area code"), max_length=14)  # scope; lists filter by programme first
    status = models.CharField(_("status"), max_length=16, choices=EnrolmentStatus.choices)
    matched_at = models.DateTimeField(_("matched"))
    updated_at = models.DateTimeField(_("updated"))
    flagged = models.BooleanField(_("flagged for review"), default=False)
    flag_reason = models.CharField(_("why flagged"), max_length=255, blank=True)
    flagged_at = models.DateTimeField(_("flagged"), null=True, blank=True)
    consent_at = models.DateTimeField(_("consent given"), null=True, blank=True)
    consent_method = models.CharField(_("consent given by"), max_length=32, blank=True)
    consent_by = models.CharField(_("consenting person"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        ordering = ["programme", "area_code", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "resident"],
                condition=models.Q(household__isnull=True),
                name="enrolment_once_per_person",
            ),
            models.UniqueConstraint(
                fields=["programme", "household"],
                condition=models.Q(household__isnull=False),
                name="enrolment_once_per_household",
            ),
        ]
        indexes = [
            models.Index(fields=["programme", "status"], name="enrolment_programme_status"),
        ]

    def __str__(self) -> str:
        return f"{self.programme_id}:{self.resident_id} {self.status}"


class EnrolmentEvent(models.Model):
    """纳入记录变更 — one transition or note on an enrolment (append-only), with the explanation shown."""

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("time"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    actor_name = models.CharField(_("by"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=16, choices=EnrolmentAction.choices)
    from_status = models.CharField(_("from"), max_length=16, blank=True)
    to_status = models.CharField(_("to"), max_length=16, blank=True)
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    explanation = models.JSONField(_("explanation"), default=list, blank=True)

    class Meta:
        verbose_name = _("enrolment event")
        verbose_name_plural = _("enrolment events")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d} {self.action} {self.from_status}→{self.to_status}"
