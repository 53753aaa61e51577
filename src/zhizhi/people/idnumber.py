"""Resident ID numbers (公民身份号码, GB 11643-1999): checksum, birth date and sex. Pure functions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CODES = "10X98765432"


class IdNumberError(ValueError):
    """The ID number is malformed; the message says why (in English, shown to staff)."""


@dataclass(frozen=True)
class IdNumberInfo:
    number: str
    region_code: str
    birth_date: dt.date
    sex: str  # "M" or "F"


def check_digit(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True))
    return CHECK_CODES[total % 11]


def parse_id_number(raw: str, *, today: dt.date | None = None) -> IdNumberInfo:
    """Validate an 18-character ID number and derive birth date and sex; raise IdNumberError saying why."""
    number = "".join(str(raw).split()).upper()
    if len(number) != 18:
        raise IdNumberError(f"must have 18 characters, got {len(number)}")
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise IdNumberError("must be 17 digits followed by a digit or X")
    if number[:2] in ("00", "10") or number[0] == "0":
        raise IdNumberError("region code is not a valid division code")
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError as exc:
        raise IdNumberError(f"birth date {number[6:14]} is not a real date") from exc
    if birth.year < 1900 or (today and birth > today):
        raise IdNumberError(f"birth date {birth.isoformat()} is out of range")
    expected = check_digit(number[:17])
    if number[17] != expected:
        raise IdNumberError(f"checksum digit should be {expected}, got {number[17]}")
    return IdNumberInfo(number, number[:6], birth, "M" if int(number[16]) % 2 else "F")


def make_id_number(region_code: str, birth: dt.date, sequence: int, sex: str) -> str:
    """A synthetic ID number with a valid checksum (for demo data and tests only)."""
    seq = sequence % 1000
    if (seq % 2 == 1) != (sex == "M"):
        seq = (seq + 1) % 1000
    first17 = f"{region_code[:6]}{birth:%Y%m%d}{seq:03d}"
    return first17 + check_digit(first17)
