"""ZHIZHI_LOG_LEVEL bounds what reaches the console, including records of loggers with their own level."""

from __future__ import annotations

from django.conf import settings


def test_console_handler_carries_the_level():
    assert settings.LOGGING["handlers"]["console"]["level"] == settings.LOG_LEVEL
    assert settings.LOGGING["root"]["level"] == settings.LOG_LEVEL
