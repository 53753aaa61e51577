"""Exchange files and receipts. Pure functions over plain rows, so golden tests pin the bytes.

A batch file has one row per payee with the fields agreed with the partner (Partner.fields), Chinese headers,
UTF-8 with a byte-order mark for CSV (Excel opens it correctly) and one sheet for xlsx.
A receipt has one row per answered batch row: 流水号 (reference), 结果 (成功/失败 or accepted/rejected) and
原因 (reason, required when rejected).
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font

FIELDS: dict[str, str] = {
    "reference": "流水号",
    "account_number": "户号/账号",
    "holder_name": "户主姓名",
    "id_masked": "身份证号（脱敏）",
    "id_hash": "身份证号摘要",
    "household_number": "户籍户号",
    "amount": "金额（元）",
    "quantity": "数量",
    "unit": "单位",
    "period": "期间",
    "programme": "项目",
}
UNIT_NAMES = {"yuan": "元", "kwh": "千瓦时", "m3": "立方米", "points": "积分", "visits": "次"}
RECEIPT_HEADERS = {
    "reference": ("流水号", "reference"),
    "result": ("结果", "result"),
    "reason": ("原因", "reason", "失败原因"),
}
ACCEPTED_WORDS = {"成功", "accepted", "ok", "1", "是", "已受理"}
REJECTED_WORDS = {"失败", "rejected", "fail", "failed", "0", "否", "退回"}


def id_hash(id_number: str, salt: str) -> str:
    """The agreed digest a partner can recompute: SHA-256 of salt + upper-case ID number, hex."""
    return hashlib.sha256((salt + id_number.strip().upper()).encode()).hexdigest()


def headers(fields: list[str]) -> list[str]:
    return [FIELDS[f] for f in fields]


def unknown_fields(fields: list[str]) -> list[str]:
    return [f for f in fields if f not in FIELDS]


def to_csv(fields: list[str], rows: list[dict[str, str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(headers(fields))
    for row in rows:
        writer.writerow([row.get(f, "") for f in fields])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(fields: list[str], rows: list[dict[str, str]], title: str) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title[:31]
    sheet.append(headers(fields))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([row.get(f, "") for f in fields])
    for column, field in zip(sheet.columns, fields, strict=False):
        sheet.column_dimensions[column[0].column_letter].width = max(10, len(FIELDS[field]) * 2 + 2)
    book.properties.creator = "Zhizhi"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- receipts -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReceiptRow:
    row: int  # 1-based row number in the file, the header being row 1
    reference: str
    result: str  # accepted | rejected
    reason: str


class ReceiptFormatError(ValueError):
    def __init__(self, errors: list[dict]):
        super().__init__(f"{len(errors)} error(s) in the receipt")
        self.errors = errors


def _table(data: bytes, filename: str) -> list[list[str]]:
    if data[:2] == b"PK" or filename.lower().endswith(".xlsx"):
        try:
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a broken file
            raise ReceiptFormatError(
                [{"row": 0, "column": "", "reason": f"not a readable .xlsx file: {exc}"}]
            ) from exc
        sheet = book.worksheets[0]
        return [
            ["" if v is None else str(v).strip() for v in row] for row in sheet.iter_rows(values_only=True)
        ]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("gb18030", errors="replace")
    return [[c.strip() for c in row] for row in csv.reader(io.StringIO(text))]


def parse_receipt(data: bytes, filename: str = "") -> list[ReceiptRow]:
    """Rows of a receipt; ReceiptFormatError listing every bad row (row number, column, reason)."""
    table = [row for row in _table(data, filename) if any(row)]
    if not table:
        raise ReceiptFormatError([{"row": 0, "column": "", "reason": "the receipt is empty"}])
    header = [h.strip().lower() for h in table[0]]
    columns: dict[str, int] = {}
    for key, names in RECEIPT_HEADERS.items():
        for name in names:
            if name.lower() in header:
                columns[key] = header.index(name.lower())
                break
    missing = [RECEIPT_HEADERS[k][0] for k in ("reference", "result") if k not in columns]
    if missing:
        raise ReceiptFormatError([{"row": 1, "column": m, "reason": "column missing"} for m in missing])
    rows, errors, seen = [], [], set()
    for number, raw in enumerate(table[1:], start=2):
        cells = raw + [""] * (len(header) - len(raw))
        reference = cells[columns["reference"]]
        word = cells[columns["result"]].strip().lower()
        reason = cells[columns["reason"]] if "reason" in columns else ""
        if not reference:
            errors.append({"row": number, "column": "流水号", "reason": "empty"})
            continue
        if reference in seen:
            errors.append({"row": number, "column": "流水号", "reason": f"{reference} appears twice"})
            continue
        seen.add(reference)
        if word in ACCEPTED_WORDS:
            result = "accepted"
        elif word in REJECTED_WORDS:
            result = "rejected"
            if not reason:
                errors.append({"row": number, "column": "原因", "reason": "a rejected row needs a reason"})
                continue
        else:
            errors.append({"row": number, "column": "结果", "reason": f"'{word}' is neither 成功 nor 失败"})
            continue
        rows.append(ReceiptRow(number, reference, result, reason[:255]))
    if errors:
        raise ReceiptFormatError(errors)
    return rows
