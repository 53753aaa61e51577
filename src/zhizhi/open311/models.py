"""What the Open311 adapter keeps of its own: the clients' API keys, each POSTed request (its token and the
fields a case has no place for) and the updates clients post about cases. Cases themselves live in the
cases app and change only through cases.services."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from zhizhi.core.pii import EncryptedTextField


class ApiKey(models.Model):
    """Open311 API key — one per client application (a city app, a FixMyStreet install, a partner).

    Only the SHA-256 of the key is stored, with its first characters to recognise it; the key itself is shown
    once when it is created. `rate_limit` requests per minute are allowed; the count lives in this row
    (`window_start`, `window_count`) and is taken with one conditional UPDATE, so every web process of every
    machine shares it (see open311.keys)."""

    name = models.CharField(_("client"), max_length=100, help_text=_("who uses the key, e.g. 城市大脑 App"))
    contact = models.CharField(_("contact"), max_length=200, blank=True)
    prefix = models.CharField(_("key starts with"), max_length=8, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    active = models.BooleanField(_("active"), default=True)
    rate_limit = models.PositiveIntegerField(
        _("requests per minute"), default=60, help_text=_("0 blocks every request of this key")
    )
    window_start = models.DateTimeField(null=True, blank=True, editable=False)
    window_count = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(_("created"), editable=False)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("Open311 API key")
        verbose_name_plural = _("Open311 API keys")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class Submission(models.Model):
    """One POST requests.{fmt}: the client's key, the token answered, the case opened, and what Open311
    carries that a case does not (e-mail, device and account ids, the media URL, every attribute as sent, the
    description in full when it is longer than a case takes). Idempotent per key and Idempotency-Key."""

    token = models.CharField(_("token"), max_length=40, unique=True, editable=False)
    api_key = models.ForeignKey(ApiKey, on_delete=models.PROTECT, related_name="submissions")
    case = models.ForeignKey(
        "cases.Case",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("case"),
    )
    idempotency_key = models.CharField(_("idempotency key"), max_length=128, blank=True)
    fingerprint = models.CharField(max_length=64, editable=False)
    jurisdiction_id = models.CharField(_("jurisdiction"), max_length=64)
    service_code = models.CharField(_("service code"), max_length=16)
    address_string = models.CharField(_("address as sent"), max_length=200, blank=True)
    address_id = models.CharField(_("standard address code"), max_length=24, blank=True)
    email = EncryptedTextField(_("e-mail"), blank=True)
    email_masked = models.CharField(_("e-mail"), max_length=100, blank=True, editable=False)
    device_id = models.CharField(_("device id"), max_length=128, blank=True)
    account_id = models.CharField(_("account id"), max_length=128, blank=True)
    media_url = models.URLField(_("media URL"), max_length=500, blank=True)
    attributes = models.JSONField(_("attributes as sent"), default=dict, blank=True)
    full_description = models.TextField(
        _("description in full"), blank=True, help_text=_("kept when longer than a case's description")
    )
    created_at = models.DateTimeField(_("received"), db_index=True)

    class Meta:
        verbose_name = _("Open311 submission")
        verbose_name_plural = _("Open311 submissions")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["api_key", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="open311_submission_idempotent",
            )
        ]
        indexes = [models.Index(fields=["case"], name="open311_submission_case")]

    def __str__(self) -> str:
        return self.token


class ClientUpdate(models.Model):
    """One POST servicerequestupdates.{fmt} (mySociety extension): a client's comment on a case, with the
    status the client believes it has. Append-only. The case itself is not changed — only Zhizhi's staff move
    a case through its workflow — but a client saying a closed case is not fixed is flagged to the street's
    dispatchers."""

    api_key = models.ForeignKey(ApiKey, on_delete=models.PROTECT, related_name="updates")
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+", verbose_name=_("case"))
    client_update_id = models.CharField(_("client's update id"), max_length=64)
    status = models.CharField(_("status given"), max_length=32)
    description = models.TextField(_("description"), blank=True)
    media_url = models.URLField(_("media URL"), max_length=500, blank=True)
    author_name = models.CharField(_("author"), max_length=64, blank=True)
    email = EncryptedTextField(_("e-mail"), blank=True)
    email_masked = models.CharField(_("e-mail"), max_length=100, blank=True, editable=False)
    reopen_requested = models.BooleanField(_("asks to reopen"), default=False)
    updated_at = models.DateTimeField(_("client's time"))
    received_at = models.DateTimeField(_("received"), db_index=True)

    class Meta:
        verbose_name = _("Open311 client update")
        verbose_name_plural = _("Open311 client updates")
        ordering = ["received_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["api_key", "client_update_id"], name="open311_update_once")
        ]
        indexes = [models.Index(fields=["case", "received_at"], name="open311_update_case")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.status}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("client updates are append-only")
        super().save(*args, **kwargs)
