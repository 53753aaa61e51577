"""The eligibility rule language: pure Python, no eval, no Django (messages are translated through Django's
gettext when Django is set up, in the active language; English otherwise: see `i18n`).

    from zhizhi.welfare.rules import Vocabulary, check, explain, matches
    rule = check('age >= 80 and "独居" in tags', Vocabulary.standard(tags))
    matches(rule, facts)            # True / False
    explain(rule, facts).lines()    # ["✓ age >= 80 and …", "  ✓ age >= 80  (age = 86)", …]

tokens → parser (syntax tree, `nodes`) → check (names, tags, types) → evaluate/explain. The SQL compiler that
runs the same rule inside the database lives in `zhizhi.welfare.sqlrules`.
"""

from zhizhi.welfare.rules.check import Rule, check
from zhizhi.welfare.rules.errors import RuleError
from zhizhi.welfare.rules.evaluate import Step, evaluate, explain, matches
from zhizhi.welfare.rules.nodes import Type
from zhizhi.welfare.rules.parser import parse
from zhizhi.welfare.rules.vocabulary import FACTS, Vocabulary

__all__ = [
    "FACTS",
    "Rule",
    "RuleError",
    "Step",
    "Type",
    "Vocabulary",
    "check",
    "evaluate",
    "explain",
    "matches",
    "parse",
]
