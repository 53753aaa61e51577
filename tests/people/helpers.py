"""Helpers for the people tests: residents with unique synthetic ID numbers, and .xlsx in memory."""

from __future__ import annotations

import datetime as dt
import io
import itertools

from openpyxl import Workbook, load_workbook

from tests import factories
from zhizhi.people.idnumber import make_id_number

_births = itertools.count()
_numbers = itertools.count(1)


def person(dwelling, name: str = "", **kwargs):
    """factories.make_resident with a birth date of its own, so synthetic ID numbers never collide."""
    kwargs.setdefault("born", dt.date(1930, 1, 1) + dt.timedelta(days=next(_births)))
    return factories.make_resident(dwelling, name, **kwargs)


def id_number(born: dt.date = dt.date(1980, 6, 15), sex: str = "M") -> str:
    """A fresh valid ID number (sequence steps by two so the sex digit never makes two equal)."""
    return make_id_number("330105", born, 2 * next(_numbers) + (1 if sex == "M" else 0), sex)


def xlsx(headers: list[str], rows: list[list]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def read_xlsx(content: bytes) -> list[list]:
    sheet = load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
    return [["" if v is None else v for v in row] for row in sheet.iter_rows(values_only=True)]
