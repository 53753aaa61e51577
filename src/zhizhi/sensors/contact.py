"""Reaching people when an alarm climbs its ladder: an adapter interface and the development adapter.

An adapter sends one ContactAttempt (an automatic call, a text message or an in-app notice) and raises on
failure; the attempt row stays queued/failed and is retried by `services.alarms.send_contacts`. Choose the
adapter with ZHIZHI_SENSORS_CONTACT_ADAPTER (a dotted path); the default, DevelopmentAdapter, only records.
"""

from __future__ import annotations

import logging
import os
from typing import Protocol

from django.utils.module_loading import import_string

log = logging.getLogger(__name__)


class ContactAdapter(Protocol):
    name: str

    def send(self, attempt) -> None:
        """Deliver the call or message; raise an exception when it could not be delivered."""


class DevelopmentAdapter:
    """Records every attempt (the row and a log line) and delivers nothing; `sent` keeps their ids."""

    name = "development"
    sent: list = []

    def send(self, attempt) -> None:
        log.info(
            "contact %s %s → %s (%s): %s",
            attempt.channel,
            attempt.step,
            attempt.target_name,
            attempt.phone_masked,
            attempt.message,
        )
        DevelopmentAdapter.sent.append(attempt.pk)


def adapter() -> ContactAdapter:
    path = os.environ.get("ZHIZHI_SENSORS_CONTACT_ADAPTER", "")
    return import_string(path)() if path else DevelopmentAdapter()
