from __future__ import annotations

import pytest

from zhizhi.areas import spatial


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    """The personas' passwords are hashed with PBKDF2 (~0.7 s each) unless a test hasher is set."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def fresh_grid_index():
    """Each test starts without a cached grid index (the database is rolled back between tests)."""
    spatial.invalidate()
    yield
    spatial.invalidate()
