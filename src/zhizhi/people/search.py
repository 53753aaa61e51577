"""What a search box means: the pure rule that reads a query string as one kind of key (no ORM, no request).

11010519491231002X   → a whole ID number (exact match on its blind index)
13812345678          → a whole phone (exact match on its blind index); landlines of 7, 8 or 12 digits too
5678                 → the last four digits of a mobile phone
zay, zhangay         → pinyin: initials or full spelling, matched as a prefix
张阿 / 竹竿巷3幢      → text: part of a name, or part of the home's standard address
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

ID_NUMBER = re.compile(r"^\d{17}[\dX]$")
PINYIN = re.compile(r"^[a-z]+$")
PHONE_LENGTHS = (7, 8, 11, 12)
SEPARATORS = re.compile(r"[\s\-()（）]+")


class KeyKind(StrEnum):
    EMPTY = "empty"
    ID_NUMBER = "id_number"
    PHONE = "phone"
    PHONE_LAST4 = "phone_last4"
    PINYIN = "pinyin"
    TEXT = "text"


@dataclass(frozen=True)
class SearchKey:
    kind: KeyKind
    value: str


def parse_query(raw: str | None) -> SearchKey:
    """Classify what the user typed; see the module docstring for the rules."""
    text = (raw or "").strip()
    if not text:
        return SearchKey(KeyKind.EMPTY, "")
    compact = SEPARATORS.sub("", text).upper()
    if ID_NUMBER.match(compact):
        return SearchKey(KeyKind.ID_NUMBER, compact)
    if compact.isdigit():
        if len(compact) == 4:
            return SearchKey(KeyKind.PHONE_LAST4, compact)
        if len(compact) in PHONE_LENGTHS:
            return SearchKey(KeyKind.PHONE, compact)
    lowered = text.replace(" ", "").lower()
    if PINYIN.match(lowered):
        return SearchKey(KeyKind.PINYIN, lowered)
    return SearchKey(KeyKind.TEXT, text[:64])
