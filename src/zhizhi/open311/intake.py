"""POST requests.{fmt}: an Open311 request becomes a case through cases.services.open_case (channel
open311, the platform as actor), with a Submission row for its token and the fields a case has no place for.

Idempotent: the same client repeating a POST with the same Idempotency-Key header gets the first answer
(and never a second case); the same key with different parameters is refused.
"""

from __future__ import annotations

import hashlib
import math
import re
import secrets
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import IntegrityError, transaction

from zhizhi.cases import queries as case_queries
from zhizhi.cases.models import Case, Category, Channel
from zhizhi.cases.services import SYSTEM, CaseInput, FileInput, open_case
from zhizhi.cases.services.intake import MAX_PHOTOS, check_files
from zhizhi.core import clock, pii
from zhizhi.core.errors import DomainError
from zhizhi.open311 import conf, locations, mapping
from zhizhi.open311.conf import Jurisdiction
from zhizhi.open311.mapping import Datatype
from zhizhi.open311.models import ApiKey, Submission
from zhizhi.open311.params import Open311Error, bad, datetime_param

MAX_DESCRIPTION = 4000  # the spec's limit
CASE_DESCRIPTION = 2000  # what a case's description takes (cases.services.intake); the rest is kept aside
MAX_ANSWER = 200  # what a case keeps of an answer
_ATTRIBUTE = re.compile(r"^attribute\[([^\[\]]+)\](\[\])?$")
_FIELD_NAMES = {  # cases' field names → the Open311 parameter at fault
    "category": "service_code",
    "description": "description",
    "contact_phone": "phone",
    "reporter_name": "first_name/last_name",
    "photos": "media",
    "location": "lat/long",
    "lat": "lat",
    "lon": "long",
    "address": "address_string",
    "area_code": "address_id",
}


@dataclass
class RequestInput:
    """An Open311 POST as sent (strings, None when absent or empty)."""

    service_code: str | None = None
    lat: str | None = None
    long: str | None = None
    address_string: str | None = None
    address_id: str | None = None
    attributes: dict[str, list[str]] = field(default_factory=dict)
    email: str | None = None
    device_id: str | None = None
    account_id: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    description: str | None = None
    media_url: str | None = None
    media: list[FileInput] = field(default_factory=list)
    idempotency_key: str | None = None

    def fingerprint(self) -> str:
        parts = [f"{k}={v}" for k, v in sorted(vars(self).items()) if k not in ("media", "idempotency_key")]
        parts += [hashlib.sha256(f.data).hexdigest() for f in self.media]
        return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()


SIMPLE_FIELDS = (
    "service_code",
    "lat",
    "long",
    "address_string",
    "address_id",
    "email",
    "device_id",
    "account_id",
    "first_name",
    "last_name",
    "phone",
    "description",
    "media_url",
)


def read_request(post: Any, files: Any, headers: Any) -> RequestInput:
    """Parse a POST: simple fields (empty = absent), attribute[CODE], attribute[CODE][], media, media[]."""
    data = RequestInput()
    for name in SIMPLE_FIELDS:
        value = str(post.get(name) or "").strip()
        setattr(data, name, value or None)
    for name in post:
        found = _ATTRIBUTE.match(name)
        if found:
            values = [str(v) for v in post.getlist(name)]
            data.attributes.setdefault(found.group(1).strip(), []).extend(values)
    uploads = [f for name in ("media", "media[]") for f in files.getlist(name)]
    if len(uploads) > MAX_PHOTOS:
        raise bad(f"media: at most {MAX_PHOTOS} files")
    data.media = [
        FileInput(filename=f.name or "media", content_type=f.content_type or "", data=f.read())
        for f in uploads
    ]
    data.idempotency_key = str(headers.get("Idempotency-Key") or "").strip() or None
    if data.idempotency_key and len(data.idempotency_key) > 100:
        raise bad("the Idempotency-Key header is longer than 100 characters")
    return data


# ------------------------------------------------------------------------------------------- checks


def check_service(code: str | None) -> Category:
    if code is None:
        raise bad("service_code is required")
    category = case_queries.categories().filter(code=code).first()
    if category is None or category.code in conf.private_categories():
        raise Open311Error(404, f"service_code {code!r} is not a service of ours (see services.xml)")
    return category


def option_pairs(question: dict) -> list[tuple[str, str]]:
    """(key, name) of a list question's options; plain strings are both."""
    pairs = []
    for option in question.get("options") or []:
        if isinstance(option, dict):
            key = str(option.get("key", option.get("name", "")))
            pairs.append((key, str(option.get("name", key))))
        else:
            pairs.append((str(option), str(option)))
    return pairs


def _answer(question: dict, values: list[str]) -> str:
    code, label = question.get("key"), question.get("label") or question.get("key")
    name = f"attribute[{code}] ({label})"
    datatype = mapping.datatype_of(question.get("type"))
    if datatype is not Datatype.MULTIVALUELIST and len(values) > 1:
        raise bad(f"{name} takes one value")
    value = values[0]
    if datatype in (Datatype.STRING, Datatype.TEXT):
        if len(value) > MAX_ANSWER:
            raise bad(f"{name} is longer than {MAX_ANSWER} characters")
        return value
    if datatype is Datatype.NUMBER:
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            raise bad(f"{name} must be a number")
        return f"{number:g}"
    if datatype is Datatype.DATETIME:
        try:
            moment = datetime_param({"v": value}, "v")
        except Open311Error:
            raise bad(f"{name} must be a W3C datetime such as 2026-11-27T10:00:00+08:00") from None
        return moment.astimezone(clock.SHANGHAI).isoformat(timespec="seconds") if moment else value
    keys = [key for key, _ in option_pairs(question)]
    wrong = [v for v in values if v not in keys]
    if wrong:
        raise bad(f"{name}: {wrong[0]!r} is not one of the values {', '.join(keys)}")
    return ",".join(dict.fromkeys(values))


def check_attributes(category: Category, sent: dict[str, list[str]]) -> dict[str, str]:
    """Answers to the category's questions; attributes the service does not define are kept aside."""
    answers = {}
    for question in category.questions or []:
        code = question.get("key")
        values = [v.strip() for v in sent.get(code, []) if v and v.strip()]
        if not values:
            if question.get("required"):
                label = question.get("label") or code
                raise bad(f"attribute[{code}] ({label}) is required for service {category.code}")
            continue
        answers[code] = _answer(question, values)
    return answers


def locate(data: RequestInput, jurisdiction: Jurisdiction) -> locations.Place:
    if (data.lat is None) != (data.long is None):
        missing, given = ("long", "lat") if data.long is None else ("lat", "long")
        raise bad(f"{missing} is required with {given}")
    if data.lat is not None:
        lat, lon = _degrees(data.lat, "lat"), _degrees(data.long, "long")
        place = locations.from_point(lat, lon, jurisdiction)
        return locations.Place(place.area_code, place.lat, place.lon, (data.address_string or "")[:200])
    if data.address_id is not None:
        return locations.from_address_id(data.address_id, jurisdiction)
    if data.address_string is not None:
        if len(data.address_string) > 200:
            raise bad("address_string is longer than 200 characters")
        matched = locations.from_address_string(data.address_string, jurisdiction)
        if matched is not None:
            return matched
        area = locations.fallback_area(jurisdiction)
        if area is None:
            raise bad(
                f"address_string {data.address_string!r} matches no standard address of ours and this "
                "jurisdiction covers several streets: send lat and long as well"
            )
        return locations.Place(area_code=area, address=data.address_string)
    raise bad("a location is required: lat and long, address_string or address_id")


def _degrees(value: str | None, name: str) -> float:
    try:
        number = float(value or "")
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        raise bad(f"{name} must be a number in degrees (WGS84)")
    return number


def reporter_name(first: str | None, last: str | None) -> str:
    """姓 + 名 for Chinese names (张 + 阿姨 → 张阿姨), "first last" otherwise."""
    first, last = (first or "").strip(), (last or "").strip()
    if not first or not last:
        return (first or last)[:64]
    cjk = all("\u3400" <= ch <= "\u9fff" for ch in first + last)
    return (f"{last}{first}" if cjk else f"{first} {last}")[:64]


def check_contact(data: RequestInput) -> None:
    if data.email is not None:
        try:
            validate_email(data.email)
        except ValidationError:
            raise bad("email is not a valid e-mail address") from None
    if data.media_url is not None:
        try:
            URLValidator(schemes=["http", "https"])(data.media_url)
        except ValidationError:
            raise bad("media_url must be an http(s) URL") from None
        if len(data.media_url) > 500:
            raise bad("media_url is longer than 500 characters")
    for name, limit in (("device_id", 128), ("account_id", 128), ("first_name", 64), ("last_name", 64)):
        if len(getattr(data, name) or "") > limit:
            raise bad(f"{name} is longer than {limit} characters")
    if len(data.description or "") > MAX_DESCRIPTION:
        raise bad(f"description is longer than {MAX_DESCRIPTION} characters")


def case_description(data: RequestInput, category: Category) -> str:
    text = data.description or f"（{category.name}，未填写描述）"
    if len(text) <= CASE_DESCRIPTION:
        return text
    return text[: CASE_DESCRIPTION - 20] + "…（全文见 Open311 提交记录）"


def mask_email(email: str) -> str:
    name, _, domain = email.partition("@")
    return f"{name[:1]}***@{domain}"[:100] if domain else pii.mask_name(email)[:100]


# ------------------------------------------------------------------------------------------- the use case


def _existing(key: ApiKey, data: RequestInput) -> Submission | None:
    if not data.idempotency_key:
        return None
    found = Submission.objects.filter(api_key=key, idempotency_key=data.idempotency_key).first()
    if found is not None and found.fingerprint != data.fingerprint():
        raise bad("this Idempotency-Key was already used for a different request")
    return found


def as_open311_error(exc: DomainError) -> Open311Error:
    """A cases refusal in Open311 terms, naming the Open311 parameter at fault."""
    name = exc.field or ""
    if name.startswith("answers."):
        name = f"attribute[{name.split('.', 1)[1]}]"
    name = _FIELD_NAMES.get(name, name)
    status = exc.status if exc.status in (400, 403, 404) else 400
    return Open311Error(status, f"{name}: {exc.message}" if name else exc.message)


def submit_request(key: ApiKey, jurisdiction: Jurisdiction, data: RequestInput) -> tuple[Submission, bool]:
    """Open the case (or find the one this Idempotency-Key opened): (submission, created)."""
    found = _existing(key, data)
    if found is not None:
        return found, False
    category = check_service(data.service_code)
    answers = check_attributes(category, data.attributes)
    check_contact(data)
    try:
        photos = check_files(data.media, field_name="media")
    except DomainError as exc:
        raise as_open311_error(exc) from exc
    place = locate(data, jurisdiction)
    case_input = CaseInput(
        category=category.code,
        description=case_description(data, category),
        channel=Channel.OPEN311,
        lat=place.lat,
        lon=place.lon,
        area_code=place.area_code,
        address=place.address or (data.address_string or "")[:200],
        reporter_name=reporter_name(data.first_name, data.last_name),
        contact_phone=data.phone or "",
        answers=answers,
        photos=photos,
        idempotency_key=f"open311:{key.pk}:{data.idempotency_key}" if data.idempotency_key else "",
    )
    try:
        with transaction.atomic():
            case = open_case(SYSTEM, case_input).case
            submission = _record(key, jurisdiction, data, case, place)
    except DomainError as exc:
        raise as_open311_error(exc) from exc
    except IntegrityError:
        again = _existing(key, data)
        if again is None:
            raise
        return again, False
    return submission, True


def _record(
    key: ApiKey, jurisdiction: Jurisdiction, data: RequestInput, case: Case, place: locations.Place
) -> Submission:
    email = data.email or ""
    return Submission.objects.create(
        token=secrets.token_urlsafe(18),
        api_key=key,
        case=case,
        idempotency_key=data.idempotency_key or "",
        fingerprint=data.fingerprint(),
        jurisdiction_id=jurisdiction.id,
        service_code=case.category.code,
        address_string=(data.address_string or "")[:200],
        address_id=place.address_id or (data.address_id or "")[:24],
        email=email,
        email_masked=mask_email(email) if email else "",
        device_id=data.device_id or "",
        account_id=data.account_id or "",
        media_url=data.media_url or "",
        attributes=data.attributes,
        full_description=(data.description or "") if len(data.description or "") > CASE_DESCRIPTION else "",
        created_at=clock.now(),
    )
