"""The demo's accounts: one per role a newcomer wants to try, all with the same password.

The password is `zhizhi2026` unless ZHIZHI_DEMO_PASSWORD says otherwise. Accounts that exist are left alone
(their passwords are not reset), so re-running the seed is harmless.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password

from zhizhi.accounts.models import User
from zhizhi.areas.models import Area
from zhizhi.core import pii
from zhizhi.core.roles import Role
from zhizhi.people.models import Resident
from zhizhi.web.demo.layout import DISTRICT, STREET
from zhizhi.web.demo.population import ZHANG_ID_NUMBER

DEFAULT_PASSWORD = "zhizhi2026"
FIRST_COMMUNITY = f"{STREET[0]}001"
FIRST_GRID = f"{FIRST_COMMUNITY}01"


@dataclass(frozen=True)
class Persona:
    username: str
    display_name: str
    role: str
    area_code: str  # "" for everywhere
    superuser: bool = False


PERSONAS = (
    Persona("zhangayi", "张阿姨", Role.RESIDENT, FIRST_GRID),
    Persona("xiaowang", "小王", Role.GRID_WORKER, FIRST_GRID),
    Persona("chen", "陈社工", Role.COMMUNITY_STAFF, FIRST_COMMUNITY),
    # the community's elderly-care advisor: welfare case files, and the second step of a door-sensor alarm
    Persona("sun", "孙顾问", Role.ELDERCARE_ADVISOR, FIRST_COMMUNITY),
    Persona("lizhuren", "李主任", Role.STREET_DISPATCHER, STREET[0]),
    Persona("zhao", "赵科长", Role.DISTRICT_DEPT_STAFF, DISTRICT[0]),
    Persona("qian", "钱书记", Role.LEADER, STREET[0]),
    Persona("admin", "管理员", Role.ADMIN, "", superuser=True),
)


@dataclass(frozen=True)
class Login:
    username: str
    password: str
    role: str
    area: str
    created: bool


def demo_password() -> str:
    return os.environ.get("ZHIZHI_DEMO_PASSWORD") or DEFAULT_PASSWORD


def ensure_personas(password: str | None = None) -> list[Login]:
    """Create the persona accounts that are missing; return every persona's login line."""
    password = password or demo_password()
    hashed = None  # hashed once, only when an account is created (hashing is deliberately slow)
    existing = {u.username: u for u in User.objects.filter(username__in=[p.username for p in PERSONAS])}
    areas = {a.code: a for a in Area.objects.filter(code__in={p.area_code for p in PERSONAS if p.area_code})}
    zhang = Resident.objects.filter(id_number_hash=pii.blind_index(ZHANG_ID_NUMBER)).first()
    logins = []
    for p in PERSONAS:
        user = existing.get(p.username)
        created = user is None
        if user is None:
            hashed = hashed or make_password(password)
            area_code = zhang.area_code if (p.role == Role.RESIDENT and zhang) else p.area_code
            user = User(
                username=p.username,
                display_name=p.display_name,
                role=p.role,
                area=areas.get(area_code),
                password=hashed,
                is_superuser=p.superuser,
                resident=zhang if p.role == Role.RESIDENT else None,
            )
            user.save()
        area = user.area.name if user.area else "—"
        logins.append(Login(user.username, password, str(Role(user.role).label), area, created))
    return logins


def login_table(logins: list[Login]) -> str:
    """A plain-text table of the demo logins (for the terminal)."""
    header = ("username", "password", "role", "area")
    rows = [header] + [(x.username, x.password, x.role, x.area) for x in logins]
    widths = [max(_width(r[i]) for r in rows) for i in range(4)]
    lines = ["  ".join(_pad(cell, widths[i]) for i, cell in enumerate(r)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _width(text: str) -> int:
    """Display width: CJK characters take two columns."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))
