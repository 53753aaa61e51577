"""Building import sheets made in memory for tests."""

from __future__ import annotations

import io

from openpyxl import Workbook, load_workbook

from zhizhi.areas.excel import COLUMNS

HEADERS = [header for _key, header, _required in COLUMNS]


def xlsx(rows: list[dict], headers: list[str] | None = None) -> io.BytesIO:
    """A workbook whose first row is `headers` (the import's by default) and whose rows map header → value."""
    headers = headers or HEADERS
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for values in rows:
        sheet.append([values.get(h) for h in headers])
    out = io.BytesIO()
    workbook.save(out)
    out.seek(0)
    out.name = "buildings.xlsx"
    return out


def new_row(street, **overrides) -> dict:
    """A valid row for a new building in grid A1 of community A."""
    values = {
        "社区编码": street.community_a.code,
        "小区": "新建小区",
        "楼号": "5",
        "网格编码": street.grid_a1.code,
        "纬度": 30.2705,
        "经度": 120.1605,
        "层数": 18,
        "建成年份": 2008,
    }
    values.update(overrides)
    return values


def read_xlsx(data: bytes) -> list[dict]:
    """The rows of an exported workbook as header → value dicts."""
    sheet = load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    headers = rows[0]
    return [{h: r[i] if i < len(r) else None for i, h in enumerate(headers)} for r in rows[1:]]
