"""Who gets a case: routing rules first, then the units that name the category, then the category's default
unit type — each time the most specific unit covering the case's area. Reads only; answers with the reason."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from zhizhi.cases.models import Category, HandlingUnit, RoutingRule, level_above, level_rank


@dataclass(frozen=True)
class Route:
    unit: HandlingUnit | None
    rule: RoutingRule | None
    reason: str


def _prefixes(area_code: str) -> list[str]:
    return [area_code[:n] for n in range(len(area_code), -1, -1)]


def _covering_units(area_code: str):
    """Active units whose area contains `area_code` (their area code is a prefix of it)."""
    return HandlingUnit.objects.filter(active=True, area_code__in=_prefixes(area_code)[:-1])


def _most_specific(units, *, min_level: str | None = None, level: str | None = None) -> HandlingUnit | None:
    candidates = list(units)
    if level is not None:
        candidates = [u for u in candidates if u.level == level]
    if min_level is not None:
        candidates = [u for u in candidates if level_rank(u.level) >= level_rank(min_level)]
    if not candidates:
        return None
    return min(candidates, key=lambda u: (level_rank(u.level), -len(u.area_code), u.pk))


def matching_rules(category: Category, area_code: str):
    return (
        RoutingRule.objects.filter(active=True, unit__active=True, area_prefix__in=_prefixes(area_code))
        .filter(Q(category=category) | Q(category__isnull=True))
        .select_related("unit", "category")
    )


def _best_rule(rules) -> RoutingRule | None:
    rules = list(rules)
    if not rules:
        return None
    return max(rules, key=lambda r: (r.priority, len(r.area_prefix), r.category_id is not None, -r.pk))


def route(category: Category, area_code: str, *, level: str | None = None) -> Route:
    """The unit that should get a case of `category` at `area_code` (at exactly `level` when given)."""
    rules = [r for r in matching_rules(category, area_code) if level is None or r.unit.level == level]
    rule = _best_rule(rules)
    if rule is not None:
        return Route(rule.unit, rule, f"routing rule #{rule.pk}: {rule}")
    covering = _covering_units(area_code)
    named = _most_specific(covering.filter(categories=category), level=level)
    if named is not None:
        return Route(named, None, f"{named} handles {category.name}")
    typed = covering.filter(unit_type=category.default_unit_type)
    wanted = level or category.default_level
    unit = _most_specific(typed, level=wanted) or (None if level else _most_specific(typed, min_level=wanted))
    if unit is None and level is None:
        unit = _most_specific(typed)
    if unit is not None:
        return Route(
            unit, None, f"default unit type {category.get_default_unit_type_display()} at {unit.level}"
        )
    return Route(None, None, "no rule or unit matches; the dispatcher chooses")


def route_up(category: Category, area_code: str, current: HandlingUnit) -> Route:
    """The unit one level above `current` for escalation (上报): a rule or unit at the next level up, or the
    unit `current` reports to; further levels up when the next one has nobody."""
    level = level_above(current.level)
    while level is not None:
        found = route(category, area_code, level=level)
        if found.unit is not None:
            return found
        any_unit = _most_specific(_covering_units(area_code), level=level)
        if current.parent_id and current.parent and level_rank(current.parent.level) >= level_rank(level):
            return Route(current.parent, None, f"{current} reports to {current.parent}")
        if any_unit is not None:
            return Route(any_unit, None, f"the {level} unit covering the area")
        level = level_above(level)
    return Route(None, None, f"{current} is at the top level")
