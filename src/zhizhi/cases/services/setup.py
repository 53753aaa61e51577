"""Setting up a street's handling units (data, idempotent): one residents' committee per community, the
street's departments (including its comprehensive enforcement team 综合执法队), the district's departments
and the city's hotline centre, each reporting to the command centre one level up. Used by the demo and the
tests; a real deployment edits units and routing rules in the admin."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from zhizhi.areas.models import Area
from zhizhi.cases.models import HandlingUnit, RoutingRule, UnitLevel, UnitType
from zhizhi.core.errors import InvalidInput
from zhizhi.core.roles import AreaLevel

STREET_UNITS = [
    (UnitType.COMMAND_CENTRE, "综合信息指挥室"),
    (UnitType.URBAN_MANAGEMENT, "城市管理办公室"),
    (UnitType.ENFORCEMENT, "综合行政执法队"),
    (UnitType.SANITATION, "环卫所"),
    (UnitType.PUBLIC_WORKS, "城建科"),
    (UnitType.HOUSING, "物业管理办公室"),
    (UnitType.SOCIAL_AFFAIRS, "社会事务科"),
    (UnitType.SAFETY, "平安办"),
    (UnitType.MARKET, "市场监管所"),
]
DISTRICT_UNITS = [
    (UnitType.COMMAND_CENTRE, "社会治理中心"),
    (UnitType.URBAN_MANAGEMENT, "城市管理局"),
    (UnitType.ENFORCEMENT, "综合行政执法局"),
    (UnitType.SANITATION, "环境卫生管理中心"),
    (UnitType.PUBLIC_WORKS, "市政设施管理中心"),
    (UnitType.LANDSCAPING, "园林绿化中心"),
    (UnitType.HOUSING, "住房和城乡建设局"),
    (UnitType.PLANNING, "规划和自然资源分局"),
    (UnitType.SOCIAL_AFFAIRS, "民政局"),
    (UnitType.SAFETY, "政法委"),
    (UnitType.TRAFFIC, "交警大队"),
    (UnitType.MARKET, "市场监督管理局"),
    (UnitType.ECOLOGY, "生态环境分局"),
    (UnitType.WATER, "林业水利局"),
    (UnitType.UTILITY, "公用事业协调办"),
]
CITY_UNITS = [(UnitType.COMMAND_CENTRE, "12345政务服务便民热线")]


def _unit(area: Area, level: str, unit_type: str, name: str, parent: HandlingUnit | None) -> HandlingUnit:
    unit, _ = HandlingUnit.objects.update_or_create(
        code=f"{area.code}-{unit_type}".replace("_", "-"),
        defaults={"name": name, "level": level, "unit_type": unit_type, "area": area, "parent": parent},
    )
    return unit


@transaction.atomic
def install_default_units(street: Area) -> dict[str, Any]:
    """Create (or update) the standard units around a street. Returns {"city": …, "district": {type: unit},
    "street": {type: unit}, "communities": {community code: unit}}."""
    if street.level != AreaLevel.STREET:
        raise InvalidInput("units are installed for a street", field="street")
    district = street.parent if street.parent and street.parent.level == AreaLevel.DISTRICT else None
    city = (
        district.parent if district and district.parent and district.parent.level == AreaLevel.CITY else None
    )
    result: dict[str, Any] = {"city": {}, "district": {}, "street": {}, "communities": {}}
    top = None
    if city is not None:
        for unit_type, name in CITY_UNITS:
            result["city"][unit_type] = _unit(city, UnitLevel.CITY, unit_type, f"{city.name}{name}", None)
        top = result["city"][UnitType.COMMAND_CENTRE]
    if district is not None:
        centre = _unit(
            district, UnitLevel.DISTRICT, UnitType.COMMAND_CENTRE, f"{district.name}社会治理中心", top
        )
        for unit_type, name in DISTRICT_UNITS:
            result["district"][unit_type] = _unit(
                district,
                UnitLevel.DISTRICT,
                unit_type,
                f"{district.name}{name}",
                top if unit_type == UnitType.COMMAND_CENTRE else centre,
            )
        top = centre
    centre = _unit(street, UnitLevel.STREET, UnitType.COMMAND_CENTRE, f"{street.name}综合信息指挥室", top)
    for unit_type, name in STREET_UNITS:
        parent = top if unit_type == UnitType.COMMAND_CENTRE else result["district"].get(unit_type, top)
        result["street"][unit_type] = _unit(
            street, UnitLevel.STREET, unit_type, f"{street.name}{name}", parent
        )
    for community in Area.objects.filter(parent=street, level=AreaLevel.COMMUNITY).order_by("code"):
        result["communities"][community.code] = _unit(
            community, UnitLevel.COMMUNITY, UnitType.COMMUNITY_COMMITTEE, f"{community.name}居委会", centre
        )
    return result


def add_rule(
    category, area_prefix: str, unit: HandlingUnit, priority: int = 0, note: str = ""
) -> RoutingRule:
    """A routing rule (data); `category` None matches every category."""
    return RoutingRule.objects.create(
        category=category, area_prefix=area_prefix, unit=unit, priority=priority, note=note
    )
