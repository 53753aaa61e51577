"""Programme use cases: change the eligibility rule or amount formula (checked first, audited with
before/after), set a local standard."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction

from zhizhi.core import audit, clock
from zhizhi.core.errors import InvalidInput
from zhizhi.core.models import AuditAction
from zhizhi.welfare import eligibility, facts, permissions
from zhizhi.welfare.models import LocalStandard, Programme
from zhizhi.welfare.rules import Type
from zhizhi.welfare.rules.vocabulary import CONSTANTS


def check_rule_text(source: str, *, kind: str = "rule") -> dict:
    """Check a rule (or an amount formula) without saving it: the facts it uses, or a RuleInvalid."""
    expect = Type.NUMBER if kind == "formula" else Type.BOOL
    rule = eligibility.check_rule(source, facts.vocabulary(), field_name=kind, expect=expect)
    return {"ok": True, "names": sorted(rule.names)}


@transaction.atomic
def update_rule(actor: Any, programme: Programme, *, rule: str, formula: str | None = None) -> Programme:
    """Save a new rule (and formula); they take effect at the next re-evaluation and cycle."""
    permissions.require(actor, "manage")
    rule = (rule or "").strip()
    check_rule_text(rule)
    before = {"rule": programme.rule, "formula": programme.formula}
    programme.rule = rule
    if formula is not None:
        formula = formula.strip()
        if formula:
            check_rule_text(formula, kind="formula")
        programme.formula = formula
    programme.save(update_fields=["rule", "formula"])
    after = {"rule": programme.rule, "formula": programme.formula}
    audit.record(
        actor,
        AuditAction.UPDATE,
        obj=programme,
        summary=f"rule of {programme.code}",
        changes=audit.diff(before, after),
    )
    return programme


@transaction.atomic
def set_standard(
    actor: Any, code: str, amount: Any, *, valid_from: dt.date | None = None, area_code: str = ""
) -> LocalStandard:
    permissions.require(actor, "manage")
    if code not in CONSTANTS:
        raise InvalidInput(f"code must be one of {', '.join(CONSTANTS)}", field="code")
    try:
        value = Decimal(str(amount))
    except InvalidOperation as exc:
        raise InvalidInput("amount must be a number", field="amount") from exc
    if value <= 0 or value > Decimal("100000"):
        raise InvalidInput("amount must be between 0 and 100000", field="amount")
    valid_from = valid_from or clock.today()
    standard, _ = LocalStandard.objects.update_or_create(
        code=code, area_code=area_code, valid_from=valid_from, defaults={"amount": value}
    )
    audit.record(actor, AuditAction.UPDATE, obj=standard, summary=f"{code} = {value} from {valid_from}")
    return standard
