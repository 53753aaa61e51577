"""Shared test base: a small street with two communities and fixed personas, and the require-or-skip rule.

Personas (STYLE.md): 张阿姨 a resident of grid A1; 小王 grid worker of grid A1; 陈社工 community staff of A;
李主任 street dispatcher; 赵科长 district department staff; 钱书记 leader of the street; admin; and an outsider,
community staff of the other community B.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil

import pytest

from tests import factories

REQUIRE_ALL = os.environ.get("ZHIZHI_REQUIRE_ALL") == "1"


def require_or_skip(available: bool, reason: str) -> None:
    """Skip when a service or the browser is missing; fail instead under ZHIZHI_REQUIRE_ALL=1 (CI)."""
    if available:
        return
    if REQUIRE_ALL:
        pytest.fail(f"required but unavailable: {reason}")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    """Full-strength PBKDF2 costs seconds per persona; tests need no real hashing strength."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _no_process_state_from_earlier_tests():
    """Each test starts with no outbox drain asked for by an earlier one (cases.services.outbox) and no case
    serials reserved before its database was emptied (cases.services.numbering)."""
    from zhizhi.cases.services import numbering, outbox

    outbox.forget_drain()
    numbering.forget_blocks()
    yield
    outbox.forget_drain()
    numbering.forget_blocks()


@pytest.fixture
def street(db):
    return factories.make_street()


@pytest.fixture
def personas(street):
    return factories.make_personas(street)


@pytest.fixture
def frozen_clock():
    from zhizhi.core import clock

    with clock.frozen(dt.datetime(2026, 11, 27, 2, 0, tzinfo=dt.UTC)) as fake:
        yield fake


@pytest.fixture(scope="session")
def chromium_path():
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    require_or_skip(path is not None, "Debian chromium is not installed (apt-get install chromium)")
    return path
