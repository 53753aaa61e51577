"""Case numbers people can read aloud: street initials, the local date and the day's serial
(WL20261127-00042), unique per street and day.

The serials come from one counter row per street and day (CaseCounter). Outside a transaction, a process that
keeps asking for serials of the same street and day takes them in blocks: when its last block lasted less
than `FAST_S`, the next is twice as large (up to `MAX_BLOCK`); when it lasted more than `SLOW_S`, half as
large. A street office's ordinary trickle therefore takes one serial per case, in order, as before, and a surge
of reports (a storm, a hotline campaign) costs one counter statement per block instead of one per case. A
block is reserved by a committed counter update, so no other process can be handed its serials; the ones a
process has not used when it stops or the day ends are skipped (numbers may skip, never repeat), and cases
of two processes in a surge may take interleaved numbers. Inside a transaction every serial is taken one by
one with the transaction (a rollback would hand a reserved block out again).
"""

from __future__ import annotations

import datetime as dt
import functools
import threading
import time
from dataclasses import dataclass, field

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


FAST_S = 0.2  # a block used up faster than this: the next one is twice as large
SLOW_S = 2.0  # a block that lasted longer than this: the next one is half as large
MAX_BLOCK = 64


@dataclass
class _Blocks:
    """This process's reserved serials of one street and day: ranges (first, last) not yet handed out."""

    ranges: list[list[int]] = field(default_factory=list)
    size: int = 1  # the next block's size
    taken_at: float = 0.0  # when the current block was reserved (time.monotonic)


_blocks: dict[tuple[str, dt.date], _Blocks] = {}
_blocks_lock = threading.Lock()


def forget_blocks() -> None:
    """Drop this process's reserved serials (tests; they are skipped, never reused)."""
    with _blocks_lock:
        _blocks.clear()


@functools.lru_cache(maxsize=4)
def _bump_sql(vendor: str, own_transaction: bool) -> str:
    table = connection.ops.quote_name(CaseCounter._meta.db_table)
    values = "VALUES (%s, %s, %s)"
    if vendor == "postgresql" and own_transaction:
        # The bump is its own one-statement transaction; committing it without waiting for the WAL flush
        # releases the counter row at once instead of after an fsync, so intakes on one street do not queue
        # one fsync each behind the row. Safe: the case that uses the number commits synchronously later,
        # and its flush covers this earlier WAL record; if the server crashes before that, no case carries
        # the number, and it may be handed out again.
        values = (
            "SELECT %s, %s, %s FROM (SELECT set_config('synchronous_commit', 'off', true)) AS async_commit"
        )
    return (
        f"INSERT INTO {table} (street_code, day, last) {values} "  # noqa: S608 — table name from the model
        f"ON CONFLICT (street_code, day) DO UPDATE SET last = {table}.last + EXCLUDED.last RETURNING last"
    )


def _bump(street_code: str, day: dt.date, count: int = 1) -> int:
    """Reserve the next `count` serials of the street's day in one statement (insert the day's row or add
    to it); returns the last of them."""
    own = transaction.get_autocommit()
    with connection.cursor() as cursor:
        cursor.execute(
            _bump_sql(connection.vendor, own),
            [street_code, connection.ops.adapt_datefield_value(day), count],
        )
        return int(cursor.fetchone()[0])


def _serial(street_code: str, day: dt.date) -> int:
    """The next serial for a case of the street's day (see the module docstring for the blocks)."""
    if not transaction.get_autocommit():
        return _bump(street_code, day)
    key = (street_code, day)
    with _blocks_lock:
        blocks = _blocks.setdefault(key, _Blocks())
        if blocks.ranges:
            return _take(blocks)
        now = time.monotonic()
        lasted = now - blocks.taken_at
        if lasted < FAST_S:
            blocks.size = min(blocks.size * 2, MAX_BLOCK)
        elif lasted > SLOW_S:
            blocks.size = max(blocks.size // 2, 1)
        size, blocks.taken_at = blocks.size, now
        if len(_blocks) > 1:  # another day's serials are not handed out any more: skipped
            for other in [k for k in _blocks if k[1] != day]:
                del _blocks[other]
    last = _bump(street_code, day, size)  # outside the lock: another street's intake need not wait for it
    with _blocks_lock:
        blocks = _blocks.setdefault(key, blocks)
        blocks.ranges.append([last - size + 1, last])
        blocks.ranges.sort()
        return _take(blocks)


def _take(blocks: _Blocks) -> int:
    first = blocks.ranges[0]
    serial = first[0]
    if first[0] == first[1]:
        blocks.ranges.pop(0)
    else:
        first[0] += 1
    return serial


def next_number(area: Area, now: dt.datetime) -> tuple[str, str]:
    """(street code, number such as WL20261127-00042). Outside a transaction the counter is bumped in its own
    one-statement transaction, so concurrent intakes do not queue behind each other's whole transaction
    (numbers may then skip, never repeat), and by a block at a time under a surge (see the module docstring)."""
    street_code, street_name = _street_of(area)
    day = now.astimezone(clock.SHANGHAI).date()
    serial = _serial(street_code, day)
    return street_code, f"{street_prefix(street_code, street_name)}{day:%Y%m%d}-{serial:05d}"
