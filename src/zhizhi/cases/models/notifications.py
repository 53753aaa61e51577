"""The durable outbox of notifications (SMS, WeCom, email, development)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from zhizhi.cases.models.case import Case
from zhizhi.cases.models.enums import NotificationChannel, NotificationStatus
from zhizhi.core.pii import EncryptedTextField


class Notification(models.Model):
    """通知 — one message to one recipient, written in the same transaction as the change that causes it and
    sent after commit by the outbox drain task (cases.tasks.drain_outbox). A failed send is retried from this row
    with back-off (the minute scan picks up due rows) and never undoes or blocks the change.

    With the development adapter the row itself is the delivered message: staff see it in their inbox.
    `address` (a phone, e-mail or WeCom id) is encrypted; lists show `address_masked`.
    """

    channel = models.CharField(_("channel"), max_length=8, choices=NotificationChannel.choices)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        db_index=False,  # first in notification_inbox
        related_name="case_notifications",
        verbose_name=_("recipient"),
    )
    address = EncryptedTextField(_("address"), blank=True)
    address_masked = models.CharField(_("address"), max_length=64, blank=True, editable=False)
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    event = models.CharField(_("event"), max_length=24, blank=True)
    text = models.TextField(_("text"))
    status = models.CharField(
        _("status"), max_length=8, choices=NotificationStatus.choices, default=NotificationStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"))
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="notification_due"),
            models.Index(fields=["recipient", "created_at"], name="notification_inbox"),
            # The inbox page: a staff member's unread messages, and an area's messages newest first.
            models.Index(
                fields=["recipient", "created_at"],
                condition=models.Q(read_at__isnull=True),
                name="notification_unread",
            ),
            models.Index(fields=["created_at", "id"], name="notification_created"),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} → {self.address_masked or self.recipient_id}: {self.text[:30]}"
