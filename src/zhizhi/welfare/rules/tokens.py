"""Tokenizer of the eligibility rule language.

    age >= 80 and ("独居" in tags or household_size == 1)   # comments run to the end of the line

Names are facts of the registry (ASCII or their Chinese aliases), strings are in straight or Chinese quotes,
numbers are decimal. Full-width brackets, commas and ≥ ≤ ≠ typed by a Chinese input method are accepted.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from zhizhi.welfare.rules.errors import RuleError
from zhizhi.welfare.rules.i18n import gettext as _


class Kind(StrEnum):
    NUMBER = "number"
    STRING = "string"
    NAME = "name"
    KEYWORD = "keyword"
    OP = "op"
    EOF = "end of rule"


KEYWORDS = frozenset({"and", "or", "not", "in", "true", "false", "if", "then", "else"})
# Longest first, so that ">=" wins over ">".
OPERATORS = ("==", "!=", "<=", ">=", "<", ">", "+", "-", "*", "/", "(", ")", "[", "]", ",")
ALIASES = {"≥": ">=", "≤": "<=", "≠": "!=", "（": "(", "）": ")", "，": ",", "【": "[", "】": "]", "＝": "="}
QUOTES = {'"': '"', "'": "'", "“": "”", "‘": "’", "「": "」"}


@dataclass(frozen=True)
class Token:
    kind: Kind
    text: str  # normalised: keyword lower-case, operator in ASCII, string without quotes
    start: int
    end: int
    value: int | float | str | None = None


def _number(source: str, i: int) -> tuple[Token, int]:
    j = i
    while j < len(source) and source[j].isdigit():
        j += 1
    is_float = j < len(source) and source[j] == "." and j + 1 < len(source) and source[j + 1].isdigit()
    if is_float:
        j += 1
        while j < len(source) and source[j].isdigit():
            j += 1
    if j < len(source) and (source[j].isalpha() or source[j] == "_"):
        raise RuleError(
            _("a number cannot run into a name; put a space or an operator between"), source, i, j + 1
        )
    text = source[i:j]
    value: int | float = float(text) if is_float else int(text)
    return Token(Kind.NUMBER, text, i, j, value), j


def _string(source: str, i: int) -> tuple[Token, int]:
    closing = QUOTES[source[i]]
    j = source.find(closing, i + 1)
    newline = source.find("\n", i + 1)
    if j < 0 or (0 <= newline < j):
        raise RuleError(
            _("this text has no closing quote %(quote)s") % {"quote": closing},
            source,
            i,
            (newline if newline >= 0 else len(source)),
        )
    text = source[i + 1 : j]
    return Token(Kind.STRING, text, i, j + 1, text), j + 1


def _name(source: str, i: int) -> tuple[Token, int]:
    j = i
    while j < len(source) and (source[j].isalnum() or source[j] == "_") and source[j] not in ALIASES:
        j += 1
    text = source[i:j]
    if text.lower() in KEYWORDS:
        return Token(Kind.KEYWORD, text.lower(), i, j), j
    return Token(Kind.NAME, text, i, j), j


def _operator(source: str, i: int) -> tuple[Token, int]:
    ch = source[i]
    if ch in ALIASES:
        op = ALIASES[ch]
        if op == "=":
            raise RuleError(_("use == to compare"), source, i, i + 1)
        return Token(Kind.OP, op, i, i + 1), i + 1
    for op in OPERATORS:
        if source.startswith(op, i):
            return Token(Kind.OP, op, i, i + len(op)), i + len(op)
    if ch == "=":
        raise RuleError(_("use == to compare (a single = assigns nothing here)"), source, i, i + 1)
    if ch in "&|!":
        word = {"&": "and", "|": "or", "!": "not"}[ch]
        # Translators: word is and/or/not, a keyword of the rule language; char is &, | or !.
        message = _("write '%(word)s' instead of '%(char)s'")
        raise RuleError(message % {"word": word, "char": ch}, source, i, i + 1)
    raise RuleError(_("unexpected character %(char)s") % {"char": repr(ch)}, source, i, i + 1)


def tokenize(source: str) -> list[Token]:
    tokens: list[Token] = []
    i = 0
    while i < len(source):
        ch = source[i]
        if ch.isspace() or ch == "\u3000":
            i += 1
        elif ch == "#":
            newline = source.find("\n", i)
            i = len(source) if newline < 0 else newline
        elif ch.isdigit():
            token, i = _number(source, i)
            tokens.append(token)
        elif ch in QUOTES:
            token, i = _string(source, i)
            tokens.append(token)
        elif (ch.isalpha() or ch == "_") and ch not in ALIASES:
            token, i = _name(source, i)
            tokens.append(token)
        else:
            token, i = _operator(source, i)
            tokens.append(token)
    tokens.append(Token(Kind.EOF, "", len(source), len(source)))
    return tokens
