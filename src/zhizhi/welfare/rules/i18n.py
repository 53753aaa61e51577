"""Translation for the rule language without importing Django, so that the package stays pure Python.

Messages are marked with the names makemessages looks for (gettext, gettext_noop, pgettext, pgettext_lazy),
and they land in the welfare catalogue. They are translated through Django's gettext when Django is loaded and
set up — in the language that is active at that moment, the request's — and stay English otherwise (a script,
the benchmark, the pure-Python test that imports no Django).
"""

from __future__ import annotations

import sys
from types import ModuleType


def _translation() -> ModuleType | None:
    """django.utils.translation when Django is already loaded, configured and its apps are ready; else None."""
    translation = sys.modules.get("django.utils.translation")
    conf = sys.modules.get("django.conf")
    apps = sys.modules.get("django.apps")
    if translation is None or conf is None or apps is None:
        return None
    if not conf.settings.configured or not apps.apps.ready:
        return None
    return translation


def gettext(message: str) -> str:
    translation = _translation()
    return message if translation is None else translation.gettext(message)


def pgettext(context: str, message: str) -> str:
    translation = _translation()
    return message if translation is None else translation.pgettext(context, message)


def gettext_noop(message: str) -> str:
    """Marks a message for the catalogue; it is translated later, with gettext(), where it is shown."""
    return message


class Lazy:
    """A label translated each time it is turned into text (str(), "%s" % …, a template)."""

    __slots__ = ("context", "message")

    def __init__(self, message: str, context: str = ""):
        self.message = message
        self.context = context

    def __str__(self) -> str:
        return pgettext(self.context, self.message) if self.context else gettext(self.message)

    def __repr__(self) -> str:
        return f"Lazy({self.message!r})"


def pgettext_lazy(context: str, message: str) -> Lazy:
    return Lazy(message, context)
