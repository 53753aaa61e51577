"""Recursive-descent parser: tokens → syntax tree. Grammar, loosest binding first:

    expr       := 'if' or_expr 'then' expr 'else' expr | or_expr
    or_expr    := and_expr ('or' and_expr)*
    and_expr   := not_expr ('and' not_expr)*
    not_expr   := 'not' not_expr | comparison
    comparison := sum [('==' | '!=' | '<' | '<=' | '>' | '>=' | 'in' | 'not' 'in') sum]
    sum        := term (('+' | '-') term)*
    term       := unary (('*' | '/') unary)*
    unary      := '-' unary | primary
    primary    := number | string | 'true' | 'false' | name | name '(' expr, … ')' | '(' expr ')'
                | '[' literal, … ']'

Comparisons do not chain (write `age >= 60 and age < 80`). Names are only syntax here; `check` gives
them meaning.
"""

from __future__ import annotations

import dataclasses

from zhizhi.welfare.rules import nodes as n
from zhizhi.welfare.rules.errors import RuleError
from zhizhi.welfare.rules.i18n import gettext as _
from zhizhi.welfare.rules.i18n import gettext_noop
from zhizhi.welfare.rules.tokens import Kind, Token, tokenize

COMPARE_OPS = ("==", "!=", "<", "<=", ">", ">=")
MAX_DEPTH = 60
MAX_LENGTH = 4000


class Parser:
    def __init__(self, source: str):
        if len(source) > MAX_LENGTH:
            raise RuleError(
                _("a rule may be at most %(max)s characters long") % {"max": MAX_LENGTH}, source, MAX_LENGTH
            )
        self.source = source
        self.tokens = tokenize(source)
        self.i = 0
        self.depth = 0

    # --- helpers ------------------------------------------------------------------------------------------

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def advance(self) -> Token:
        token = self.tokens[self.i]
        if token.kind != Kind.EOF:
            self.i += 1
        return token

    def at(self, kind: Kind, text: str | None = None) -> bool:
        return self.tok.kind == kind and (text is None or self.tok.text == text)

    def at_keyword(self, word: str) -> bool:
        return self.at(Kind.KEYWORD, word)

    def at_op(self, op: str) -> bool:
        return self.at(Kind.OP, op)

    def error(self, message: str, token: Token | None = None) -> RuleError:
        token = token or self.tok
        return RuleError(message, self.source, token.start, token.end)

    def describe(self, token: Token) -> str:
        """What was found instead, for a message: the token quoted, or the end of the rule (translated)."""
        if token.kind == Kind.EOF:
            return _("the end of the rule")
        # Translators: a piece of the rule text (a word, an operator) quoted inside an error message.
        return _("'%(token)s'") % {"token": token.text}

    def expect_op(self, op: str, what: str) -> Token:
        """The operator `op`, or an error naming `what` (a message marked with gettext_noop)."""
        if not self.at_op(op):
            # Translators: what is "a closing bracket" …, op the bracket, found what stands there instead.
            message = _("expected %(what)s '%(op)s', found %(found)s")
            raise self.error(message % {"what": _(what), "op": op, "found": self.describe(self.tok)})
        return self.advance()

    # --- grammar ------------------------------------------------------------------------------------------

    def parse(self) -> n.Node:
        if self.at(Kind.EOF):
            raise self.error(_("the rule is empty"))
        node = self.expr()
        if not self.at(Kind.EOF):
            token = self.tok
            if token.text in COMPARE_OPS:
                hint = _(" (a comparison does not chain; join two with 'and')")
            elif token.kind != Kind.OP:
                hint = _(" (join conditions with 'and' or 'or')")
            else:
                hint = ""
            # Translators: found is what stands there ('x' or "the end of the rule"); hint may be empty.
            message = _("unexpected %(found)s%(hint)s")
            raise self.error(message % {"found": self.describe(token), "hint": hint})
        return node

    def expr(self) -> n.Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(_("the rule nests too deeply"))
        try:
            if self.at_keyword("if"):
                return self.if_expr()
            return self.or_expr()
        finally:
            self.depth -= 1

    def if_expr(self) -> n.Node:
        start = self.advance().start
        condition = self.or_expr()
        if not self.at_keyword("then"):
            raise self.error(
                _("expected 'then' after the condition of 'if', found %(found)s")
                % {"found": self.describe(self.tok)}
            )
        self.advance()
        then = self.expr()
        if not self.at_keyword("else"):
            raise self.error(
                _("expected 'else' (an 'if' needs both branches), found %(found)s")
                % {"found": self.describe(self.tok)}
            )
        self.advance()
        otherwise = self.expr()
        return n.IfElse(start, otherwise.end, condition, then, otherwise)

    def or_expr(self) -> n.Node:
        operands = [self.and_expr()]
        while self.at_keyword("or"):
            self.advance()
            operands.append(self.and_expr())
        if len(operands) == 1:
            return operands[0]
        return n.Or(operands[0].start, operands[-1].end, tuple(operands))

    def and_expr(self) -> n.Node:
        operands = [self.not_expr()]
        while self.at_keyword("and"):
            self.advance()
            operands.append(self.not_expr())
        if len(operands) == 1:
            return operands[0]
        return n.And(operands[0].start, operands[-1].end, tuple(operands))

    def not_expr(self) -> n.Node:
        if self.at_keyword("not"):
            start = self.advance().start
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise self.error(_("the rule nests too deeply"))
            operand = self.not_expr()
            self.depth -= 1
            return n.Not(start, operand.end, operand)
        return self.comparison()

    def comparison(self) -> n.Node:
        left = self.sum()
        if self.tok.kind == Kind.OP and self.tok.text in COMPARE_OPS:
            op = self.advance().text
            right = self.sum()
            return n.Compare(left.start, right.end, op, left, right)
        negated = False
        if self.at_keyword("not") and self.tokens[self.i + 1].text == "in":
            self.advance()
            negated = True
        if self.at_keyword("in"):
            self.advance()
            right = self.sum()
            return n.Member(left.start, right.end, left, right, negated)
        if negated:
            raise self.error(_("expected 'in' after 'not'"))
        return left

    def sum(self) -> n.Node:
        left = self.term()
        while self.at_op("+") or self.at_op("-"):
            op = self.advance().text
            right = self.term()
            left = n.Arith(left.start, right.end, op, left, right)
        return left

    def term(self) -> n.Node:
        left = self.unary()
        while self.at_op("*") or self.at_op("/"):
            op = self.advance().text
            right = self.unary()
            left = n.Arith(left.start, right.end, op, left, right)
        return left

    def unary(self) -> n.Node:
        if self.at_op("-"):
            start = self.advance().start
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise self.error(_("the rule nests too deeply"))
            operand = self.unary()
            self.depth -= 1
            if isinstance(operand, n.Num):
                return n.Num(start, operand.end, -operand.value)
            return n.Neg(start, operand.end, operand)
        return self.primary()

    def primary(self) -> n.Node:
        token = self.tok
        if token.kind == Kind.NUMBER:
            self.advance()
            assert isinstance(token.value, int | float)
            return n.Num(token.start, token.end, token.value)
        if token.kind == Kind.STRING:
            self.advance()
            return n.Str(token.start, token.end, token.text)
        if token.kind == Kind.KEYWORD and token.text in ("true", "false"):
            self.advance()
            return n.Bool(token.start, token.end, token.text == "true")
        if token.kind == Kind.NAME:
            self.advance()
            if self.at_op("("):
                return self.call(token)
            return n.Name(token.start, token.end, token.text)
        if token.kind == Kind.OP and token.text == "(":
            self.advance()
            inner = self.expr()
            close = self.expect_op(")", gettext_noop("a closing bracket"))
            return _with_span(inner, token.start, close.end)
        if token.kind == Kind.OP and token.text == "[":
            return self.list_literal()
        if token.kind == Kind.EOF:
            raise self.error(_("the rule ends too early; a value or a fact is missing"))
        if token.kind == Kind.KEYWORD:
            raise self.error(
                _("'%(keyword)s' cannot stand here; a value or a fact is missing before it")
                % {"keyword": token.text}
            )
        raise self.error(
            _("unexpected %(found)s; a value or a fact is missing") % {"found": self.describe(token)}
        )

    def call(self, name: Token) -> n.Node:
        self.advance()  # (
        args: list[n.Node] = []
        if not self.at_op(")"):
            args.append(self.expr())
            while self.at_op(","):
                self.advance()
                args.append(self.expr())
        close = self.expect_op(")", gettext_noop("a closing bracket of the call"))
        return n.Call(name.start, close.end, name.text, tuple(args))

    def list_literal(self) -> n.Node:
        open_ = self.advance()
        items: list[n.Node] = []
        if self.at_op("]"):
            raise self.error(_("a list needs at least one value"))
        while True:
            item = self.unary()
            if not isinstance(item, n.Num | n.Str | n.Bool):
                raise RuleError(
                    _("a list holds plain values (numbers or texts)"), self.source, item.start, item.end
                )
            items.append(item)
            if not self.at_op(","):
                break
            self.advance()
        close = self.expect_op("]", gettext_noop("a closing bracket of the list"))
        return n.ListOf(open_.start, close.end, tuple(items))


def _with_span(node: n.Node, start: int, end: int) -> n.Node:
    """The bracketed node, spanning its brackets (so explanations quote them)."""
    return dataclasses.replace(node, start=start, end=end)


def parse(source: str) -> n.Node:
    """The syntax tree of `source`; a RuleError pointing at the position when it cannot be read."""
    return Parser(source).parse()
