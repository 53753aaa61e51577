"""The syntax tree of a rule. Every node knows the span of the rule text it came from (for errors and
explanations). Nodes are immutable; the checker returns a new tree with tag names resolved to tag codes."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from zhizhi.welfare.rules.i18n import pgettext_lazy


class Type(StrEnum):
    """The type of a value; the value is the stable (English) identifier the API publishes."""

    NUMBER = "number"
    TEXT = "text"
    BOOL = "yes/no"
    TAGS = "set of tags"
    LIST = "list"

    @property
    def label(self) -> str:
        """The type's name in the active language: "number" in English, 数字 in Chinese."""
        return str(TYPE_NAMES[self])

    @property
    def plural(self) -> str:
        """Several values of the type: "numbers" in English (only numbers, texts and yes/no are listed)."""
        return str(TYPE_PLURALS.get(self, TYPE_NAMES[self]))


TYPE_NAMES = {
    Type.NUMBER: pgettext_lazy("rule type", "number"),
    Type.TEXT: pgettext_lazy("rule type", "text"),
    Type.BOOL: pgettext_lazy("rule type", "yes/no"),
    Type.TAGS: pgettext_lazy("rule type", "set of tags"),
    Type.LIST: pgettext_lazy("rule type", "list"),
}
TYPE_PLURALS = {
    Type.NUMBER: pgettext_lazy("rule type", "numbers"),
    Type.TEXT: pgettext_lazy("rule type", "texts"),
    Type.BOOL: pgettext_lazy("rule type", "yes/no values"),
}


@dataclass(frozen=True)
class Node:
    start: int
    end: int


@dataclass(frozen=True)
class Num(Node):
    value: int | float


@dataclass(frozen=True)
class Str(Node):
    value: str


@dataclass(frozen=True)
class Bool(Node):
    value: bool


@dataclass(frozen=True)
class Name(Node):
    """A fact of the registry (age, tags …) or a local constant (dibao_standard); `name` is canonical."""

    name: str


@dataclass(frozen=True)
class ListOf(Node):
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Neg(Node):
    operand: Node


@dataclass(frozen=True)
class Arith(Node):
    op: str  # + - * /
    left: Node
    right: Node


@dataclass(frozen=True)
class Compare(Node):
    op: str  # == != < <= > >=
    left: Node
    right: Node


@dataclass(frozen=True)
class Member(Node):
    """`item in container` (or `not in`): a tag in a set of tags, or a value in a list."""

    item: Node
    container: Node
    negated: bool = False


@dataclass(frozen=True)
class Not(Node):
    operand: Node


@dataclass(frozen=True)
class And(Node):
    operands: tuple[Node, ...]


@dataclass(frozen=True)
class Or(Node):
    operands: tuple[Node, ...]


@dataclass(frozen=True)
class IfElse(Node):
    condition: Node
    then: Node
    otherwise: Node


@dataclass(frozen=True)
class Call(Node):
    function: str  # min | max
    args: tuple[Node, ...]


def walk(node: Node):
    """Every node of the tree, parents before children."""
    yield node
    for child in children(node):
        yield from walk(child)


def children(node: Node) -> tuple[Node, ...]:
    if isinstance(node, ListOf):
        return node.items
    if isinstance(node, Neg | Not):
        return (node.operand,)
    if isinstance(node, Arith | Compare):
        return (node.left, node.right)
    if isinstance(node, Member):
        return (node.item, node.container)
    if isinstance(node, And | Or):
        return node.operands
    if isinstance(node, IfElse):
        return (node.condition, node.then, node.otherwise)
    if isinstance(node, Call):
        return node.args
    return ()


def names_in(node: Node) -> set[str]:
    return {n.name for n in walk(node) if isinstance(n, Name)}
