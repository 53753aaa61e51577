"""Give a parsed rule its meaning: resolve names (Chinese aliases → facts), resolve tag names to tag codes,
and check types, so that a rule which reads but does not make sense is refused before it runs — with the
position of the culprit.
"""

from __future__ import annotations

import dataclasses
import difflib

from zhizhi.welfare.rules import nodes as n
from zhizhi.welfare.rules.errors import RuleError
from zhizhi.welfare.rules.i18n import gettext as _
from zhizhi.welfare.rules.i18n import gettext_noop
from zhizhi.welfare.rules.nodes import Type
from zhizhi.welfare.rules.parser import parse
from zhizhi.welfare.rules.vocabulary import FUNCTIONS, Vocabulary


@dataclasses.dataclass(frozen=True)
class Rule:
    """A checked rule (type BOOL) or formula (type NUMBER), ready to evaluate or compile."""

    source: str
    tree: n.Node
    type: Type

    @property
    def names(self) -> set[str]:
        return n.names_in(self.tree)


class Checker:
    def __init__(self, source: str, vocabulary: Vocabulary):
        self.source = source
        self.vocabulary = vocabulary

    def fail(self, message: str, node: n.Node) -> RuleError:
        return RuleError(message, self.source, node.start, node.end)

    def check(self, node: n.Node) -> tuple[n.Node, Type]:
        method = getattr(self, f"check_{type(node).__name__.lower()}")
        return method(node)

    def expect(self, node: n.Node, wanted: Type, role: str, **params: str) -> n.Node:
        """The checked node when it has the wanted type; `role` (marked with gettext_noop, filled with
        `params`) says what the node is, translated only when the type is wrong."""
        checked, got = self.check(node)
        if got != wanted:
            # Translators: role is what the value stands for ("each side of 'and'"); wanted and got are types.
            message = _("%(role)s must be a %(wanted)s, but this is a %(got)s") % {
                "role": _(role) % params,
                "wanted": wanted.label,
                "got": got.label,
            }
            raise self.fail(message, node)
        return checked

    # --- leaves -------------------------------------------------------------------------------------------

    def check_num(self, node: n.Num):
        return node, Type.NUMBER

    def check_str(self, node: n.Str):
        return node, Type.TEXT

    def check_bool(self, node: n.Bool):
        return node, Type.BOOL

    def check_listof(self, node: n.ListOf):
        types = {self.check(item)[1] for item in node.items}
        if len(types) > 1:
            raise self.fail(_("a list mixes numbers and texts"), node)
        return node, Type.LIST

    def check_name(self, node: n.Name):
        name = self.vocabulary.canonical(node.name)
        if name in self.vocabulary.facts:
            return dataclasses.replace(node, name=name), self.vocabulary.facts[name]
        if name in self.vocabulary.constants:
            return dataclasses.replace(node, name=name), Type.NUMBER
        close = difflib.get_close_matches(node.name, self.vocabulary.known_names(), n=1, cutoff=0.5)
        hint = _("; did you mean '%(name)s'?") % {"name": close[0]} if close else ""
        # Translators: hint is empty or "; did you mean 'age'?".
        raise self.fail(_("unknown fact '%(name)s'%(hint)s") % {"name": node.name, "hint": hint}, node)

    # --- operators ----------------------------------------------------------------------------------------

    def check_neg(self, node: n.Neg):
        return dataclasses.replace(
            node, operand=self.expect(node.operand, Type.NUMBER, gettext_noop("a negated value"))
        ), Type.NUMBER

    def check_arith(self, node: n.Arith):
        left = self.expect(node.left, Type.NUMBER, gettext_noop("the left side of '%(op)s'"), op=node.op)
        right = self.expect(node.right, Type.NUMBER, gettext_noop("the right side of '%(op)s'"), op=node.op)
        if node.op == "/" and isinstance(right, n.Num) and right.value == 0:
            raise self.fail(_("division by zero"), node.right)
        return dataclasses.replace(node, left=left, right=right), Type.NUMBER

    def check_compare(self, node: n.Compare):
        left, lt = self.check(node.left)
        right, rt = self.check(node.right)
        if Type.TAGS in (lt, rt):
            culprit = node.left if lt == Type.TAGS else node.right
            raise self.fail(
                _('a set of tags cannot be compared; ask whether a tag is in it: "低保" in tags'), culprit
            )
        if Type.LIST in (lt, rt):
            raise self.fail(_("a list can only follow 'in'"), node.left if lt == Type.LIST else node.right)
        if lt != rt:
            raise self.fail(
                _("cannot compare a %(left)s with a %(right)s") % {"left": lt.label, "right": rt.label}, node
            )
        if node.op not in ("==", "!=") and lt != Type.NUMBER:
            raise self.fail(
                _("'%(op)s' compares numbers only; use == or != for a %(type)s")
                % {"op": node.op, "type": lt.label},
                node,
            )
        return dataclasses.replace(node, left=left, right=right), Type.BOOL

    def check_member(self, node: n.Member):
        container, ct = self.check(node.container)
        if ct == Type.TAGS:
            if not isinstance(node.item, n.Str):
                raise self.fail(
                    _('the tag to look for must be written as text, e.g. "低保" in tags'), node.item
                )
            code = self.vocabulary.tags.get(node.item.value)
            if code is None:
                known = "、".join(sorted(set(self.vocabulary.tags) - set(self.vocabulary.tags.values())))
                raise self.fail(
                    _("unknown tag '%(tag)s' (known: %(known)s)") % {"tag": node.item.value, "known": known},
                    node.item,
                )
            item: n.Node = dataclasses.replace(node.item, value=code)
            return dataclasses.replace(node, item=item, container=container), Type.BOOL
        if ct == Type.LIST:
            item, it = self.check(node.item)
            assert isinstance(container, n.ListOf)
            list_type = self.check(container.items[0])[1]
            if it != list_type:
                raise self.fail(
                    _("cannot look for a %(item)s in a list of %(items)s")
                    % {"item": it.label, "items": list_type.plural},
                    node.item,
                )
            return dataclasses.replace(node, item=item, container=container), Type.BOOL
        raise self.fail(
            _("'in' needs a set of tags (tags, household_tags) or a list [1, 2] on its right"), node.container
        )

    def check_not(self, node: n.Not):
        return dataclasses.replace(
            node, operand=self.expect(node.operand, Type.BOOL, gettext_noop("what 'not' negates"))
        ), Type.BOOL

    def check_and(self, node: n.And):
        operands = tuple(self.expect(o, Type.BOOL, gettext_noop("each side of 'and'")) for o in node.operands)
        return dataclasses.replace(node, operands=operands), Type.BOOL

    def check_or(self, node: n.Or):
        operands = tuple(self.expect(o, Type.BOOL, gettext_noop("each side of 'or'")) for o in node.operands)
        return dataclasses.replace(node, operands=operands), Type.BOOL

    def check_ifelse(self, node: n.IfElse):
        condition = self.expect(node.condition, Type.BOOL, gettext_noop("the condition of 'if'"))
        then, tt = self.check(node.then)
        otherwise, ot = self.check(node.otherwise)
        if tt not in (Type.NUMBER, Type.TEXT):
            raise self.fail(
                _("the branches of 'if' must be numbers or texts; use and/or for conditions"), node.then
            )
        if tt != ot:
            raise self.fail(
                _("both branches of 'if' must be %(types)s") % {"types": tt.plural}, node.otherwise
            )
        return dataclasses.replace(node, condition=condition, then=then, otherwise=otherwise), tt

    def check_call(self, node: n.Call):
        if node.function not in FUNCTIONS:
            raise self.fail(
                _("unknown function '%(name)s' (known: %(known)s)")
                % {"name": node.function, "known": ", ".join(FUNCTIONS)},
                node,
            )
        if len(node.args) < FUNCTIONS[node.function]:
            raise self.fail(
                _("%(function)s() needs at least %(count)s values")
                % {"function": node.function, "count": FUNCTIONS[node.function]},
                node,
            )
        args = tuple(
            self.expect(a, Type.NUMBER, gettext_noop("each value of %(function)s()"), function=node.function)
            for a in node.args
        )
        return dataclasses.replace(node, args=args), Type.NUMBER


def check(source: str, vocabulary: Vocabulary, expect: Type = Type.BOOL) -> Rule:
    """Parse and check `source`; `expect` is BOOL for an eligibility rule, NUMBER for an amount formula."""
    checker = Checker(source, vocabulary)
    tree, got = checker.check(parse(source))
    if got != expect:
        if expect == Type.BOOL:
            message = _("an eligibility rule must be a condition (yes/no), but this is a %(type)s")
        else:
            message = _("a formula must give a number, but this is a %(type)s")
        raise RuleError(message % {"type": got.label}, source, tree.start, tree.end)
    return Rule(source, tree, got)
