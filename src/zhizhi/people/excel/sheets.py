"""Reading and writing .xlsx sheets (openpyxl); nothing here knows about people."""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO, Any

from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from zhizhi.core.errors import InvalidInput, RowErrors

MAX_ROWS = 20_000
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NUMERIC_TEXT = "_numeric_text"  # per row: the text columns whose cells Excel holds as numbers


@dataclass
class Sheet:
    """The data rows of a workbook's first sheet as {header: text}, each with its Excel row number."""

    headers: list[str]
    rows: list[tuple[int, dict[str, str]]]


class Errors:
    """Collects {row, column, reason} for a whole file."""

    def __init__(self) -> None:
        self.items: list[dict] = []

    def add(self, row: int, column: str, reason: str) -> None:
        self.items.append({"row": row, "column": column, "reason": reason})

    def raise_if_any(self) -> None:
        if self.items:
            raise RowErrors(sorted(self.items, key=lambda e: e["row"]))


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10]
    return str(value).strip()


def read_sheet(file: IO[bytes] | bytes, required: Iterable[str], text_columns: Iterable[str] = ()) -> Sheet:
    """The first sheet of an .xlsx; a missing required column is a row-1 error; blank rows are skipped.
    A number in one of `text_columns` is noted in the row's NUMERIC_TEXT (Excel keeps only 15 digits)."""
    data = file if isinstance(file, bytes) else file.read()
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several kinds for a file that is not a workbook
        raise InvalidInput("the file is not an Excel .xlsx workbook", field="file") from exc
    try:
        sheet = book.worksheets[0]
        lines = sheet.iter_rows(values_only=True)
        headers = [cell_text(v) for v in next(lines, ())]
        missing = [c for c in required if c not in headers]
        if missing:
            raise RowErrors([{"row": 1, "column": c, "reason": "missing column"} for c in missing])
        rows: list[tuple[int, dict[str, str]]] = []
        for number, values in enumerate(lines, start=2):
            record = {h: cell_text(v) for h, v in zip(headers, values, strict=False) if h}
            if any(record.values()):
                rows.append((number, record | {NUMERIC_TEXT: _numbers_in(headers, values, text_columns)}))
            if len(rows) > MAX_ROWS:
                raise InvalidInput(f"at most {MAX_ROWS} rows per file", field="file")
    finally:
        book.close()
    if not rows:
        raise InvalidInput("the sheet has no data rows", field="file")
    return Sheet(headers, rows)


def _numbers_in(headers: list[str], values: tuple, text_columns: Iterable[str]) -> str:
    bad = [
        h
        for h, v in zip(headers, values, strict=False)
        if h in text_columns and isinstance(v, int | float) and not isinstance(v, bool)
    ]
    return ",".join(bad)


def write_workbook(title: str, headers: Iterable[str], rows: Iterable[list], text_columns: set[int]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title)
    sheet.freeze_panes = "A2"
    header_cells = []
    for h in headers:
        cell = WriteOnlyCell(sheet, value=h)
        cell.font = Font(bold=True)
        header_cells.append(cell)
    sheet.append(header_cells)
    for values in rows:
        line = []
        for i, v in enumerate(values):
            if i in text_columns:
                cell = WriteOnlyCell(sheet, value=v)
                cell.number_format = "@"
                line.append(cell)
            else:
                line.append(v)
        sheet.append(line)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
