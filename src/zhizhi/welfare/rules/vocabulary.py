"""The facts a rule may use, their types and Chinese aliases, and the local constants (低保标准 …).

This table is what the rule editor documents; `welfare.facts` (Python) and `welfare.sqlrules` (SQL) must
provide every fact named here, and a test checks that both agree on random registry data.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from zhizhi.welfare.rules.nodes import Type


def gettext_noop(message: str) -> str:
    """Marks a string for the translation catalogue (makemessages finds it) without importing Django."""
    return message


@dataclass(frozen=True)
class Fact:
    name: str
    type: Type
    description: str  # English; the editor shows it through gettext
    aliases: tuple[str, ...] = ()


FACTS: tuple[Fact, ...] = (
    Fact("age", Type.NUMBER, gettext_noop("Age in whole years on the evaluation date"), ("年龄",)),
    Fact("sex", Type.TEXT, gettext_noop('Sex: "M" or "F"'), ("性别",)),
    Fact(
        "tags", Type.TAGS, gettext_noop("The person's tags (独居, 高龄, 低保 …), by name or code"), ("标签",)
    ),
    Fact(
        "disability_grade",
        Type.NUMBER,
        gettext_noop("Disability grade 1 (most severe) to 4; 0 when none"),
        ("残疾等级",),
    ),
    Fact("chronic_illness", Type.BOOL, gettext_noop("Has a chronic or serious illness"), ("慢性病", "大病")),
    Fact("income", Type.NUMBER, gettext_noop("The person's own monthly income, yuan"), ("收入", "月收入")),
    Fact(
        "household_size",
        Type.NUMBER,
        gettext_noop("Active members of the person's household (1 without one)"),
        ("户人数",),
    ),
    Fact(
        "per_capita_income",
        Type.NUMBER,
        gettext_noop("Monthly income of the household divided by its members, yuan"),
        ("人均收入", "家庭人均收入"),
    ),
    Fact(
        "household_tags",
        Type.TAGS,
        gettext_noop("Tags held by any active member of the household"),
        ("户标签",),
    ),
    Fact(
        "living_alone",
        Type.BOOL,
        gettext_noop("Tagged 独居, or the only active member of a registered household"),
        ("独居",),
    ),
)

CONSTANTS: dict[str, tuple[str, ...]] = {
    "dibao_standard": ("低保标准",),
    "dibian_standard": ("低边标准",),
}
FUNCTIONS = {"min": 2, "max": 2}  # name → least number of arguments


@dataclass(frozen=True)
class Vocabulary:
    """What a checker knows: facts and their types, constants, and the known tags (name or code → code)."""

    facts: dict[str, Type] = field(default_factory=lambda: {f.name: f.type for f in FACTS})
    constants: frozenset[str] = frozenset(CONSTANTS)
    tags: dict[str, str] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)

    @classmethod
    def standard(cls, tags: dict[str, str] | None = None) -> Vocabulary:
        aliases = {alias: f.name for f in FACTS for alias in f.aliases}
        aliases |= {alias: name for name, names in CONSTANTS.items() for alias in names}
        return cls(tags=dict(tags or {}), aliases=aliases)

    def canonical(self, name: str) -> str:
        return self.aliases.get(name, name)

    def known_names(self) -> list[str]:
        return sorted({*self.facts, *self.constants, *self.aliases})
