"""Domain errors. Services raise these; the API and pages turn them into 400/403/404 with the field named."""

from __future__ import annotations


class DomainError(Exception):
    status = 400
    code = "invalid"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if code:
            self.code = code

    def as_dict(self) -> dict:
        body: dict = {"code": self.code, "message": self.message}
        if self.field:
            body["field"] = self.field
        return body


class InvalidInput(DomainError):
    """400 — the named field is missing or wrong."""

    status = 400
    code = "invalid"


class Forbidden(DomainError):
    """403 — the actor's role or area does not allow this."""

    status = 403
    code = "forbidden"


class NotFound(DomainError):
    """404 — no such record in the actor's scope (scope misses look like absence, never like a 403)."""

    status = 404
    code = "not_found"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class RowErrors(InvalidInput):
    """An import with bad rows: every error with its row number, column and reason; nothing written."""

    code = "invalid_rows"

    def __init__(self, errors: list[dict]):
        self.errors = errors
        first = errors[0] if errors else {}
        super().__init__(
            f"{len(errors)} error(s); first: row {first.get('row')}, column {first.get('column')}: "
            f"{first.get('reason')}",
            field=str(first.get("column") or ""),
        )

    def as_dict(self) -> dict:
        body = super().as_dict()
        body["errors"] = self.errors
        return body
