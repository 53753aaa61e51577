"""Excel (.xlsx, Chinese headers) import and export of residents and households.

An import reads and checks EVERY row before it writes anything: a bad row anywhere (checksum of the ID
number, phone, tags, dwelling missing or outside the actor's area, an ID number twice in the file …)
raises core.errors.RowErrors with every error as {row, column, reason} in Excel row numbers, and nothing
is written. A good import runs in one transaction with one audit row; an ID number already registered
updates that person (never a second record). An export respects the actor's scope and writes whole ID
numbers and phones only where the role may see them (audited as REVEAL and EXPORT); what it writes
imports again unchanged.
"""

from zhizhi.core.errors import RowErrors
from zhizhi.people.excel.checks import ImportResult
from zhizhi.people.excel.columns import (
    ADDRESS,
    BIRTH,
    HEAD_ID,
    HEAD_NAME,
    HOME,
    HOUSEHOLD,
    HOUSEHOLD_COLUMNS,
    HOUSEHOLD_EXPORT_COLUMNS,
    ID_NUMBER,
    KIND,
    MEMBERS,
    NAME,
    PHONE,
    RELATION,
    RESIDENT_COLUMNS,
    RESIDENT_EXPORT_COLUMNS,
    SEX,
    TAGS,
    TO_HEAD,
)
from zhizhi.people.excel.exports import ExportFile, export_households, export_residents, template_workbook
from zhizhi.people.excel.households import import_households
from zhizhi.people.excel.residents import import_residents
from zhizhi.people.excel.sheets import XLSX, read_sheet

__all__ = [
    "ADDRESS", "BIRTH", "HEAD_ID", "HEAD_NAME", "HOME", "HOUSEHOLD", "HOUSEHOLD_COLUMNS",
    "HOUSEHOLD_EXPORT_COLUMNS", "ID_NUMBER", "KIND", "MEMBERS", "NAME", "PHONE", "RELATION",
    "RESIDENT_COLUMNS", "RESIDENT_EXPORT_COLUMNS", "SEX", "TAGS", "TO_HEAD", "XLSX", "ExportFile",
    "ImportResult", "RowErrors", "export_households", "export_residents", "import_households",
    "import_residents", "read_sheet", "template_workbook",
]  # fmt: skip
