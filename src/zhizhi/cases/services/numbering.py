"""Case numbers people can read aloud: street initials, the local date and the day's serial
(WL20261127-00042), unique per street and day."""

from __future__ import annotations

import datetime as dt
import functools

from django.db import connection, transaction
from pypinyin import Style, lazy_pinyin

from zhizhi.areas.models import Area
from zhizhi.cases.models import CaseCounter
from zhizhi.cases.services import lookups
from zhizhi.core import clock


@functools.lru_cache(maxsize=1024)
def street_prefix(street_code: str, street_name: str) -> str:
    """武林街道 → WL: pinyin initials of the street's name without its suffix."""
    name = street_name
    for suffix in ("街道办事处", "街道", "镇", "乡"):
        if name.endswith(suffix) and len(name) > len(suffix):
            name = name[: -len(suffix)]
            break
    initials = "".join(lazy_pinyin(name, style=Style.FIRST_LETTER)).upper()
    letters = "".join(ch for ch in initials if ch.isascii() and ch.isalpha())
    return letters[:4] or "C"


def _street_of(area: Area) -> tuple[str, str]:
    code = area.code[:9]
    if area.code == code:
        return code, area.name
    return code, lookups.street_name(code)


@functools.lru_cache(maxsize=4)
def _bump_sql(vendor: str, own_transaction: bool) -> str:
    table = connection.ops.quote_name(CaseCounter._meta.db_table)
    values = "VALUES (%s, %s, 1)"
    if vendor == "postgresql" and own_transaction:
        # The bump is its own one-statement transaction; committing it without waiting for the WAL flush
        # releases the counter row at once instead of after an fsync, so intakes on one street do not queue
        # one fsync each behind the row. Safe: the case that uses the number commits synchronously later,
        # and its flush covers this earlier WAL record; if the server crashes before that, no case carries
        # the number, and it may be handed out again.
        values = (
            "SELECT %s, %s, 1 FROM (SELECT set_config('synchronous_commit', 'off', true)) AS async_commit"
        )
    return (
        f"INSERT INTO {table} (street_code, day, last) {values} "  # noqa: S608 — table name from the model
        f"ON CONFLICT (street_code, day) DO UPDATE SET last = {table}.last + 1 RETURNING last"
    )


def _bump(street_code: str, day: dt.date) -> int:
    """The next serial of the street's day: one statement (insert the day's row or add one to it)."""
    own = transaction.get_autocommit()
    with connection.cursor() as cursor:
        cursor.execute(
            _bump_sql(connection.vendor, own), [street_code, connection.ops.adapt_datefield_value(day)]
        )
        return int(cursor.fetchone()[0])


def next_number(area: Area, now: dt.datetime) -> tuple[str, str]:
    """(street code, number such as WL20261127-00042). Outside a transaction the counter is bumped in its own
    one-statement transaction, so concurrent intakes do not queue behind each other's whole transaction
    (numbers may then skip, never repeat)."""
    street_code, street_name = _street_of(area)
    day = now.astimezone(clock.SHANGHAI).date()
    serial = _bump(street_code, day)
    return street_code, f"{street_prefix(street_code, street_name)}{day:%Y%m%d}-{serial:05d}"
