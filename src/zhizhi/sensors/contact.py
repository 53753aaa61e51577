"""Reaching people when an alarm climbs its ladder: an adapter interface and two adapters.

An adapter sends one ContactAttempt (an automatic call, a text message or an in-app notice) and raises on
failure; the attempt row stays queued/failed and is retried by `services.alarms.send_contacts`, which sends
each attempt in a transaction of its own with the row locked, so two schedulers never send it twice.
Choose the adapter with ZHIZHI_SENSORS_CONTACT_ADAPTER (a dotted path). The default, PlatformAdapter, hands
the attempt to the platform's notification outbox — text messages through the SMS adapter, notices into the
staff member's inbox — in that same transaction; DevelopmentAdapter only logs.
"""

from __future__ import annotations

import logging
import os
from typing import Protocol

from django.utils.module_loading import import_string

log = logging.getLogger(__name__)

EVENT = "sensor_alarm"


class ContactAdapter(Protocol):
    name: str

    def send(self, attempt) -> None:
        """Deliver the call or message; raise an exception when it could not be delivered."""


class PlatformAdapter:
    """The platform's notification outbox (cases.services.outbox) carries the ladder.

    A staff member (advisor, grid worker) gets the notice in their inbox on the staff channel
    (ZHIZHI_STAFF_CHANNEL: in-app by default, WeCom or e-mail); an elder or a family member, who have no
    account, a text message to their phone through the SMS adapter (ZHIZHI_SMS_URL; unset, the message is
    recorded in the database and sent nowhere). There is no voice adapter: a "call" goes as a text message.
    The outbox row is written in the caller's transaction, which also marks the attempt sent, and the outbox
    delivers it after commit and retries it from the row — so an attempt is handed over exactly once."""

    name = "platform"

    def send(self, attempt) -> None:
        from zhizhi.cases.models import Case
        from zhizhi.cases.services import outbox

        case_id = attempt.alarm.case_id
        case = Case.objects.filter(pk=case_id).first() if case_id else None
        if attempt.user_id is not None:
            if not outbox.to_users([attempt.user], case, EVENT, attempt.message):
                raise ValueError("the account is inactive")
        elif attempt.phone:
            outbox.sms(attempt.phone, EVENT, attempt.message, case)
        else:
            raise ValueError("no phone number")


class DevelopmentAdapter:
    """Logs every attempt and delivers nothing; `sent` keeps their ids."""

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
    return import_string(path)() if path else PlatformAdapter()
