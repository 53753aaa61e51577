"""The watched elders, their alarms, the escalation ladder and every contact attempt."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from zhizhi.core.pii import EncryptedTextField
from zhizhi.sensors.detection.rules import AlarmKind as RuleKind


class Watch(models.Model):
    """监护对象 — a resident watched through the door sensor(s) of their home.

    `config` holds the person's rule overrides (detection.rules.RuleConfig); `profile` what was learned
    (the baseline's hazards, absences and bed-time sensor); `next_check_at` the earliest moment a rule could
    fire if nothing more happens, which the periodic evaluator waits for.
    """

    resident = models.OneToOneField("people.Resident", on_delete=models.CASCADE, related_name="sensor_watch")
    area_code = models.CharField(_("area code"), max_length=14, db_index=True)
    enabled = models.BooleanField(_("watched"), default=True)
    config = models.JSONField(_("rule settings"), default=dict, blank=True)
    profile = models.JSONField(_("learned profile"), null=True, blank=True, editable=False)
    learned_at = models.DateTimeField(_("learned"), null=True, blank=True, editable=False)
    last_activity_at = models.DateTimeField(_("last activity"), null=True, blank=True)
    next_check_at = models.DateTimeField(null=True, blank=True, db_index=True, editable=False)
    created_at = models.DateTimeField(_("created"))

    class Meta:
        verbose_name = _("watched resident")
        verbose_name_plural = _("watched residents")
        ordering = ["area_code", "id"]

    def __str__(self) -> str:
        return str(self.resident)


class AlarmKind(models.TextChoices):
    NIGHT_DOOR_OPEN = RuleKind.NIGHT_DOOR_OPEN, _("Door open at night")
    DOOR_LEFT_OPEN = RuleKind.DOOR_LEFT_OPEN, _("Door left open")
    NO_ACTIVITY = RuleKind.NO_ACTIVITY, _("No activity")
    NOT_BACK = RuleKind.NOT_BACK, _("Went out and not back")
    IMPROBABLE_SILENCE = RuleKind.IMPROBABLE_SILENCE, _("Unusually long silence")


class AlarmStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    RESOLVED = "resolved", _("Resolved")


class LadderStep(models.TextChoices):
    ELDER = "elder", _("Call the elder")
    FAMILY = "family", _("Advisor and family")
    VISIT = "visit", _("Grid worker visit")


class Outcome(models.TextChoices):
    SAFE = "safe", _("Safe")
    HOSPITAL = "hospital", _("Taken to hospital")
    FALSE_ALARM = "false_alarm", _("False alarm")


class Alarm(models.Model):
    """告警 — one episode, one alarm: unique by the episode key (the person and the silence or door opening).

    The ladder walks ELDER → FAMILY → VISIT with a timeout at each step until someone acknowledges; resolving
    records the outcome (and, for a false alarm, why) so that thresholds can be tuned from the outcomes.
    """

    watch = models.ForeignKey(Watch, on_delete=models.PROTECT, related_name="alarms")
    resident = models.ForeignKey("people.Resident", on_delete=models.PROTECT, related_name="+")
    device = models.ForeignKey(
        "sensors.Device", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=24, choices=AlarmKind.choices)
    episode_key = models.CharField(max_length=96, unique=True, editable=False)
    area_code = models.CharField(_("area code"), max_length=14, db_index=True)
    due_at = models.DateTimeField(_("threshold reached"))
    raised_at = models.DateTimeField(_("raised"), db_index=True)
    silence_since = models.DateTimeField(_("quiet since"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=AlarmStatus.choices, default=AlarmStatus.OPEN
    )
    step = models.CharField(_("step"), max_length=8, choices=LadderStep.choices, default=LadderStep.ELDER)
    next_step_at = models.DateTimeField(_("next step"), null=True, blank=True, db_index=True)
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, blank=True)
    outcome_note = models.CharField(_("why / note"), max_length=500, blank=True)
    case_id = models.BigIntegerField(_("case"), null=True, blank=True)
    case_number = models.CharField(_("case number"), max_length=32, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    class Meta:
        verbose_name = _("alarm")
        verbose_name_plural = _("alarms")
        ordering = ["-raised_at", "-id"]
        indexes = [models.Index(fields=["status", "area_code"], name="alarm_status_area")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.resident}"


class AlarmAction(models.TextChoices):
    RAISED = "raised", pgettext_lazy("alarm log", "Raised")
    CASE_OPENED = "case_opened", _("Case opened")
    ESCALATED = "escalated", _("Escalated")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    RESOLVED = "resolved", _("Resolved")


class AlarmLog(models.Model):
    """告警记录 — every change of an alarm, as a row (raised, step, acknowledged, resolved, case opened)."""

    alarm = models.ForeignKey(Alarm, on_delete=models.CASCADE, related_name="log")
    at = models.DateTimeField(_("time"))
    action = models.CharField(_("action"), max_length=24, choices=AlarmAction.choices)
    step = models.CharField(_("step"), max_length=8, choices=LadderStep.choices, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(_("by"), max_length=64, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("alarm log entry")
        verbose_name_plural = _("alarm log")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.alarm_id} {self.action}"


class ContactStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    NO_PHONE = "no_phone", _("No phone number")  # a call to someone with no number on record: never sent


class ContactAttempt(models.Model):
    """联系记录 — one automatic call or message of the ladder, sent after commit by the contact adapter and
    retried from this row while it is queued or failed."""

    alarm = models.ForeignKey(Alarm, on_delete=models.CASCADE, related_name="contacts")
    step = models.CharField(_("step"), max_length=8, choices=LadderStep.choices)
    channel = models.CharField(_("channel"), max_length=8, default="call")
    target_role = models.CharField(_("who"), max_length=16)
    target_name = models.CharField(_("name"), max_length=64)
    phone = EncryptedTextField(_("phone"), blank=True)
    phone_masked = models.CharField(_("phone"), max_length=20, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    message = models.CharField(_("message"), max_length=300)
    status = models.CharField(
        _("status"), max_length=8, choices=ContactStatus.choices, default=ContactStatus.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    adapter = models.CharField(max_length=64, blank=True)
    error = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(_("created"))
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("contact attempt")
        verbose_name_plural = _("contact attempts")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_step_display()} → {self.target_name}"


class AwayNotice(models.Model):
    """外出报备 — a watched person is away (at their children's, in hospital, travelling) from `leaves_at`
    until `back_by`, as they, their family or their advisor told the community.

    While it covers the person's silence after they went out (`departed_at`: when the sensors saw them go), the
    silence rules wait for the declared return (detector.py); a return home seen by the sensors ends it
    (`ended_at`, `end_note`), as does staff ending it early. Door rules are never held.
    """

    watch = models.ForeignKey(Watch, on_delete=models.CASCADE, related_name="notices")
    leaves_at = models.DateTimeField(_("leaves"))
    back_by = models.DateTimeField(_("back by"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("filed"))
    departed_at = models.DateTimeField(_("seen leaving"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    end_note = models.CharField(_("how it ended"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("away notice")
        verbose_name_plural = _("away notices")
        ordering = ["-leaves_at", "-id"]
        indexes = [models.Index(fields=["watch", "back_by"], name="notice_watch_back")]

    def __str__(self) -> str:
        return f"{self.watch} {self.leaves_at:%m-%d %H:%M}–{self.back_by:%m-%d %H:%M}"
