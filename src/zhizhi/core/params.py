"""Bounds on input: numbers for API parameters and bodies, and text without the NUL character.

A plain `int` lets any size through — 10**30 as a case id or a page — and the database then fails on it
(SQLite: "Python int too large to convert", PostgreSQL: "bigint out of range"), a 500 instead of a 400 that
names the parameter. Every id, page, offset and limit the API takes is one of these, so validation refuses
it first: "case_id: Input should be less than or equal to 9223372036854775807".
"""

from __future__ import annotations

from typing import Annotated, Any

from ninja import Schema
from ninja.pagination import PageNumberPagination
from pydantic import Field

BIGINT_MAX = 2**63 - 1  # the widest integer column (PostgreSQL bigint, SQLite INTEGER)
LAST_PAGE = 100_000  # far beyond any list's last page; keeps LIMIT/OFFSET arithmetic in range

Id = Annotated[int, Field(ge=1, le=BIGINT_MAX)]
Page = Annotated[int, Field(ge=1, le=LAST_PAGE)]
Offset = Annotated[int, Field(ge=0, le=BIGINT_MAX // 2)]


class Pages(PageNumberPagination):
    """ninja's page-number pagination with the page bounded like every other (`Page`)."""

    class Input(Schema):
        page: Page = 1
        page_size: int | None = Field(None, ge=1, le=1000)


NUL = "\x00"


def nul_path(value: Any, path: tuple[str, ...] = ()) -> tuple[str, ...] | None:
    """Where the first NUL character (U+0000) is in parsed input (strings, dicts, lists), or None.

    PostgreSQL text cannot hold it — psycopg refuses it at the write, a 500 after the work is done — and no
    person types it, so input carrying it is refused up front with the field named."""
    if isinstance(value, str):
        return path if NUL in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and NUL in key:
                return path
            found = nul_path(item, (*path, str(key)))
            if found is not None:
                return found
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found = nul_path(item, (*path, str(index)))
            if found is not None:
                return found
    return None
