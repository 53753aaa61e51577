"""Rule errors that point at the place in the rule text: line, column and a caret under the culprit.

The message is translated where the error is raised (gettext, in the active language: the request's), so a
RuleError carries text ready to show; its position (start, end, line, column) does not depend on the language.
"""

from __future__ import annotations

import unicodedata

from zhizhi.welfare.rules.i18n import gettext as _


def _width(text: str) -> int:
    """Display width in a monospaced font: CJK characters take two cells."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def locate(source: str, offset: int) -> tuple[int, int]:
    """1-based (line, column) of a character offset."""
    offset = max(0, min(offset, len(source)))
    line = source.count("\n", 0, offset) + 1
    line_start = source.rfind("\n", 0, offset) + 1
    return line, offset - line_start + 1


class RuleError(ValueError):
    """A rule (or formula) that cannot be read or does not make sense, with where it went wrong."""

    def __init__(self, message: str, source: str, start: int, end: int | None = None):
        self.message = message
        self.source = source
        self.start = max(0, min(start, len(source)))
        self.end = max(self.start + 1, end if end is not None else self.start + 1)
        self.line, self.column = locate(source, self.start)
        super().__init__(self.pretty())

    @property
    def line_text(self) -> str:
        lines = self.source.split("\n")
        return lines[self.line - 1] if self.line - 1 < len(lines) else ""

    @property
    def caret(self) -> str:
        """Spaces and carets that underline the culprit when printed below `line_text`."""
        before = self.line_text[: self.column - 1]
        culprit = self.line_text[self.column - 1 : self.column - 1 + (self.end - self.start)]
        return " " * _width(before) + "^" * max(1, _width(culprit))

    def pretty(self) -> str:
        # Translators: a rule error followed by where it is in the rule text.
        where = _("%(message)s (line %(line)s, column %(column)s)") % {
            "message": self.message,
            "line": self.line,
            "column": self.column,
        }
        return f"{where}\n{self.line_text}\n{self.caret}"

    def as_dict(self) -> dict:
        return {
            "message": self.message,
            "line": self.line,
            "column": self.column,
            "start": self.start,
            "end": self.end,
            "excerpt": self.line_text,
            "caret": self.caret,
        }
