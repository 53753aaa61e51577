"""Bounded numbers for API parameters and bodies.

A plain `int` lets any size through — 10**30 as a case id or a page — and the database then fails on it
(SQLite: "Python int too large to convert", PostgreSQL: "bigint out of range"), a 500 instead of a 400 that
names the parameter. Every id, page, offset and limit the API takes is one of these, so validation refuses
it first: "case_id: Input should be less than or equal to 9223372036854775807".
"""

from __future__ import annotations

from typing import Annotated

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
