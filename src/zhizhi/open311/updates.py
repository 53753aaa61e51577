"""POST servicerequestupdates.{fmt} (mySociety extension): a client's update on a case.

The update is kept (append-only, idempotent per key and the client's update_id) and shown in the case's
notes (extensions=true). It does not move the case: the workflow table lets only Zhizhi's staff and the
resident who reported on the resident page reopen or close a case. A client posting OPEN or REOPEN on a
closed case is asking for it to be reopened; the street's dispatchers are told through the cases outbox.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import IntegrityError, transaction

from zhizhi.cases.models import Case, CaseStatus
from zhizhi.core import audit, clock
from zhizhi.core.models import AuditAction
from zhizhi.open311 import mapping
from zhizhi.open311.conf import Jurisdiction
from zhizhi.open311.intake import mask_email, reporter_name
from zhizhi.open311.models import ApiKey, ClientUpdate
from zhizhi.open311.params import bad, datetime_param
from zhizhi.open311.queries import find_request

MAX_DESCRIPTION = 4000


@dataclass
class UpdateInput:
    service_request_id: str | None = None
    update_id: str | None = None
    status: str | None = None
    updated_datetime: str | None = None
    description: str | None = None
    media_url: str | None = None
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None


def read_update(post: Any) -> UpdateInput:
    data = UpdateInput()
    for name in vars(data):
        value = str(post.get(name) or "").strip()
        setattr(data, name, value or None)
    return data


def _check(data: UpdateInput) -> mapping.ExtendedStatus:
    for name in ("service_request_id", "update_id", "status"):
        if getattr(data, name) is None:
            raise bad(f"{name} is required")
    if len(data.update_id or "") > 64:
        raise bad("update_id is longer than 64 characters")
    status = mapping.parse_client_status(data.status or "")
    if status is None:
        allowed = ", ".join(s.value for s in mapping.ExtendedStatus)
        raise bad(f"status {data.status!r} is not one of {allowed}")
    if len(data.description or "") > MAX_DESCRIPTION:
        raise bad(f"description is longer than {MAX_DESCRIPTION} characters")
    if data.media_url is not None:
        try:
            URLValidator(schemes=["http", "https"])(data.media_url)
        except ValidationError:
            raise bad("media_url must be an http(s) URL") from None
    if data.email is not None:
        try:
            validate_email(data.email)
        except ValidationError:
            raise bad("email is not a valid e-mail address") from None
    return status


def post_update(key: ApiKey, jurisdiction: Jurisdiction, data: UpdateInput) -> tuple[ClientUpdate, bool]:
    """Record the client's update: (row, created). A repeated update_id of the same key returns the first."""
    status = _check(data)
    case = find_request(jurisdiction, data.service_request_id or "")
    found = ClientUpdate.objects.filter(api_key=key, client_update_id=data.update_id).first()
    if found is not None:
        return found, False
    at = datetime_param({"updated_datetime": data.updated_datetime}, "updated_datetime") or clock.now()
    email = data.email or ""
    reopen = status in mapping.ASKS_TO_REOPEN and case.status == CaseStatus.CLOSED
    try:
        with transaction.atomic():
            row = ClientUpdate.objects.create(
                api_key=key,
                case=case,
                client_update_id=data.update_id or "",
                status=status.value,
                description=data.description or "",
                media_url=(data.media_url or "")[:500],
                author_name=reporter_name(data.first_name, data.last_name),
                email=email,
                email_masked=mask_email(email) if email else "",
                reopen_requested=reopen,
                updated_at=at,
                received_at=clock.now(),
            )
            audit.record(
                None,
                AuditAction.CREATE,
                obj=row,
                summary=f"Open311 update on {case.number} from {key.name}: {status.value}",
            )
            if reopen:
                _tell_dispatchers(case, key, row)
    except IntegrityError:
        again = ClientUpdate.objects.filter(api_key=key, client_update_id=data.update_id).first()
        if again is None:
            raise
        return again, False
    return row, True


def _tell_dispatchers(case: Case, key: ApiKey, row: ClientUpdate) -> None:
    """The street's dispatchers hear that a client asks to reopen a closed case (sent after commit)."""
    from zhizhi.cases.services import outbox
    from zhizhi.cases.services.machine import street_dispatchers

    text = (
        f"【Open311】{key.name} 反映案件 {case.number} 问题仍未解决：{row.description[:200] or '（无说明）'}"
    )
    outbox.to_users(street_dispatchers(case), case, "open311_reopen", text)
