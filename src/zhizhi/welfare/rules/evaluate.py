"""Evaluate a checked rule against one person's facts, and explain the result clause by clause.

Logic is three-valued, as in SQL, so that the database and this evaluator always agree: a value that cannot
be computed (a division by zero) is *unknown* (None); `unknown and false` is false, `unknown or true` is true,
anything else with unknown stays unknown, and a rule matches only when it is true. Numbers are Python ints
and floats (money as float), which is what the SQL compiler produces too (double precision).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from zhizhi.welfare.rules import nodes as n
from zhizhi.welfare.rules.check import Rule
from zhizhi.welfare.rules.i18n import pgettext

Value = Any  # int | float | str | bool | frozenset[str] | None


def _and(values: list[Value]) -> Value:
    if any(v is False for v in values):
        return False
    return None if any(v is None for v in values) else True


def _or(values: list[Value]) -> Value:
    if any(v is True for v in values):
        return True
    return None if any(v is None for v in values) else False


def _not(value: Value) -> Value:
    return None if value is None else not value


def _compare(op: str, a: Value, b: Value) -> Value:
    if a is None or b is None:
        return None
    if isinstance(a, bool) and op in ("==", "!="):
        equal = _or([_and([a, b]), _and([_not(a), _not(b)])])
        return equal if op == "==" else _not(equal)
    return {
        "==": a == b,
        "!=": a != b,
        "<": a < b,
        "<=": a <= b,
        ">": a > b,
        ">=": a >= b,
    }[op]


def _arith(op: str, a: Value, b: Value) -> Value:
    if a is None or b is None:
        return None
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    return None if b == 0 else float(a) / float(b)


def _least(op: str, a: Value, b: Value) -> Value:
    """min/max as SQL's CASE WHEN a <= b THEN a ELSE b: an unknown comparison takes the second value."""
    return a if _compare(op, a, b) is True else b


def evaluate(node: n.Node, env: Mapping[str, Value]) -> Value:
    if isinstance(node, n.Num | n.Str | n.Bool):
        return node.value
    if isinstance(node, n.Name):
        return env[node.name]
    if isinstance(node, n.Neg):
        value = evaluate(node.operand, env)
        return None if value is None else -value
    if isinstance(node, n.Arith):
        return _arith(node.op, evaluate(node.left, env), evaluate(node.right, env))
    if isinstance(node, n.Compare):
        return _compare(node.op, evaluate(node.left, env), evaluate(node.right, env))
    if isinstance(node, n.Member):
        item = evaluate(node.item, env)
        if isinstance(node.container, n.ListOf):
            found = None if item is None else item in {i.value for i in node.container.items}  # type: ignore[attr-defined]
        else:
            found = item in evaluate(node.container, env)
        return _not(found) if node.negated else found
    if isinstance(node, n.Not):
        return _not(evaluate(node.operand, env))
    if isinstance(node, n.And):
        return _and([evaluate(o, env) for o in node.operands])
    if isinstance(node, n.Or):
        return _or([evaluate(o, env) for o in node.operands])
    if isinstance(node, n.IfElse):
        return evaluate(node.then if evaluate(node.condition, env) is True else node.otherwise, env)
    if isinstance(node, n.Call):
        op = "<=" if node.function == "min" else ">="
        result = evaluate(node.args[0], env)
        for arg in node.args[1:]:
            result = _least(op, result, evaluate(arg, env))
        return result
    raise TypeError(f"cannot evaluate {type(node).__name__}")


def matches(rule: Rule, env: Mapping[str, Value]) -> bool:
    return evaluate(rule.tree, env) is True


# --- explanations -------------------------------------------------------------------------------------------


@dataclass
class Step:
    """One clause of the explanation: its text in the rule, its outcome, and the facts it looked at."""

    text: str
    value: Value
    facts: dict[str, Value] = field(default_factory=dict)
    children: list[Step] = field(default_factory=list)

    @property
    def held(self) -> bool:
        return self.value is True

    def lines(self, indent: int = 0) -> list[str]:
        mark = (
            "✓" if self.value is True else "✗" if self.value is False else "?" if self.value is None else "="
        )
        facts = ", ".join(f"{k} = {show(v)}" for k, v in self.facts.items())
        line = "  " * indent + f"{mark} {self.text}" + (f"  ({facts})" if facts else "")
        return [line] + [ln for child in self.children for ln in child.lines(indent + 1)]

    def as_dict(self) -> dict:
        return {
            "text": self.text,
            "value": self.value if not isinstance(self.value, frozenset) else sorted(self.value),
            "held": self.held,
            "facts": {k: show(v) for k, v in self.facts.items()},
            "children": [c.as_dict() for c in self.children],
        }


def show(value: Value) -> str:
    """A fact's value as staff read it, in the active language (unknown, yes/no, no tags)."""
    if value is None:
        return pgettext("rule value", "unknown")
    if isinstance(value, bool):
        return pgettext("rule value", "yes") if value else pgettext("rule value", "no")
    if isinstance(value, frozenset | set):
        return "、".join(sorted(value)) or pgettext("rule value", "none")
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return str(value)


def explain(rule: Rule, env: Mapping[str, Value]) -> Step:
    """The rule's outcome for these facts as a tree: and/or/not open up into their clauses; every other
    clause is a leaf that shows the values of the facts it used."""
    return _explain(rule.tree, rule.source, env)


def _explain(node: n.Node, source: str, env: Mapping[str, Value]) -> Step:
    text = " ".join(source[node.start : node.end].split())
    value = evaluate(node, env)
    if isinstance(node, n.And | n.Or):
        return Step(text, value, children=[_explain(o, source, env) for o in node.operands])
    if isinstance(node, n.Not) and isinstance(node.operand, n.And | n.Or | n.Not):
        return Step(text, value, children=[_explain(node.operand, source, env)])
    return Step(text, value, facts={name: env[name] for name in sorted(n.names_in(node))})
