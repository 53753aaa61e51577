"""One interface for sending notifications, with adapters for SMS, WeCom, e-mail and development.

An adapter takes a Notification row and sends it, raising on failure; the outbox (cases.services.outbox)
claims rows, calls the adapter, and records success or the error for a later retry.
Which adapter serves a channel:

    ZHIZHI_SMS_URL        SMS gateway: POST JSON {"phone", "text"}; unset → development adapter
    ZHIZHI_WECOM_WEBHOOK  WeCom group-robot webhook URL; unset → development adapter
    ZHIZHI_NOTIFY_EMAIL   "1": e-mail through Django's EMAIL_* settings; otherwise development adapter
    ZHIZHI_STAFF_CHANNEL  channel of staff notifications: dev (default, the in-app inbox), wecom, email

(read from Django settings of the same name first, then the environment). The development adapter sends
nothing: the row, marked sent, is the message, and staff read it in their inbox
(GET /api/cases/notifications). Tests and deployments may install another adapter with
`register(channel, adapter)`.
"""

from __future__ import annotations

import json
import os
import urllib.request
from typing import Protocol

from django.conf import settings

from zhizhi.cases.models import Notification, NotificationChannel

TIMEOUT_S = 10


class Notifier(Protocol):
    """Sends one notification or raises an exception saying why not."""

    def send(self, notification: Notification) -> None: ...


class DevNotifier:
    """Records only: the Notification row is the delivered message (shown in the staff inbox)."""

    def send(self, notification: Notification) -> None:
        return None


def _post_json(url: str, body: dict) -> bytes:
    if not url.startswith(("https://", "http://")):
        raise ValueError(f"notification endpoint must be http(s): {url!r}")
    request = urllib.request.Request(  # noqa: S310 — scheme checked above
        url, data=json.dumps(body, ensure_ascii=False).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:  # noqa: S310
        if response.status >= 300:
            raise RuntimeError(f"HTTP {response.status}")
        return response.read()


class SmsGateway:
    """An SMS gateway behind a simple HTTP endpoint (most vendors' SDKs are wrapped this way on site)."""

    def __init__(self, url: str):
        self.url = url

    def send(self, notification: Notification) -> None:
        if not notification.address:
            raise ValueError("no phone number")
        _post_json(self.url, {"phone": notification.address, "text": notification.text})


class WeComWebhook:
    """企业微信群机器人: a text message to the group, mentioning the recipient's mobile when known."""

    def __init__(self, url: str):
        self.url = url

    def send(self, notification: Notification) -> None:
        text: dict = {"content": notification.text}
        if notification.address:
            text["mentioned_mobile_list"] = [notification.address]
        reply = json.loads(_post_json(self.url, {"msgtype": "text", "text": text}) or b"{}")
        if reply.get("errcode", 0) != 0:
            raise RuntimeError(f"WeCom error {reply.get('errcode')}: {reply.get('errmsg')}")


class EmailNotifier:
    def send(self, notification: Notification) -> None:
        from django.core.mail import send_mail

        if not notification.address:
            raise ValueError("no e-mail address")
        send_mail("智治通知", notification.text, None, [notification.address], fail_silently=False)


def _setting(name: str, default: str = "") -> str:
    return str(getattr(settings, name, None) or os.environ.get(name, default))


_registry: dict[str, Notifier] = {}


def register(channel: str, adapter: Notifier | None) -> None:
    """Install an adapter for a channel (None restores the configured one)."""
    if adapter is None:
        _registry.pop(channel, None)
    else:
        _registry[channel] = adapter


def adapter_for(channel: str) -> Notifier:
    if channel in _registry:
        return _registry[channel]
    if channel == NotificationChannel.SMS and _setting("ZHIZHI_SMS_URL"):
        return SmsGateway(_setting("ZHIZHI_SMS_URL"))
    if channel == NotificationChannel.WECOM and _setting("ZHIZHI_WECOM_WEBHOOK"):
        return WeComWebhook(_setting("ZHIZHI_WECOM_WEBHOOK"))
    if channel == NotificationChannel.EMAIL and _setting("ZHIZHI_NOTIFY_EMAIL") == "1":
        return EmailNotifier()
    return DevNotifier()


def staff_channel() -> str:
    channel = _setting("ZHIZHI_STAFF_CHANNEL", NotificationChannel.DEV)
    return channel if channel in NotificationChannel.values else NotificationChannel.DEV
