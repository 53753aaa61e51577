"""Threshold changes proposed from alarm outcomes (services.tuning): who decided, why, before and after."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class TuningStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    APPLIED = "applied", _("Applied")
    DISMISSED = "dismissed", _("Dismissed")


class TuningParameter(models.TextChoices):
    """The rule settings (detection.rules.RuleConfig) that tuning may change."""

    NIGHT_DOOR_OPEN_MIN = "night_door_open_min", _("Door open at night (minutes)")
    DOOR_LEFT_OPEN_MIN = "door_left_open_min", _("Door left open (minutes)")
    NO_ACTIVITY_H = "no_activity_h", _("No activity (hours)")
    NOT_BACK_MARGIN_H = "not_back_margin_h", _("Margin after the usual absence (hours)")
    ALPHA = "alpha", _("Improbable silence (alpha)")


class ThresholdChange(models.Model):
    """阈值调整 — one proposed (and then applied or dismissed) change of one rule setting of a watched person.

    `evidence` holds the outcomes it rests on ({"alarms": [ids], "false": n, "real": n, "safe": n}); an
    applied row is the record of the change: `before` → `after`, by `decided_by` (None: applied automatically
    within the safe bounds), because of `reason`.
    """

    watch = models.ForeignKey("sensors.Watch", on_delete=models.CASCADE, related_name="threshold_changes")
    alarm_kind = models.CharField(_("alarm kind"), max_length=24)
    parameter = models.CharField(_("setting"), max_length=32, choices=TuningParameter.choices)
    before = models.FloatField(_("before"))
    after = models.FloatField(_("after"))
    reason = models.CharField(_("why"), max_length=500)
    evidence = models.JSONField(_("evidence"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=TuningStatus.choices, default=TuningStatus.PROPOSED
    )
    proposed_at = models.DateTimeField(_("proposed"))
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    automatic = models.BooleanField(_("automatic"), default=False)
    decision_note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("threshold change")
        verbose_name_plural = _("threshold changes")
        ordering = ["-proposed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["watch", "parameter"],
                condition=models.Q(status="proposed"),
                name="one_open_proposal_per_setting",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.parameter}: {self.before:g} → {self.after:g}"
