"""Where a form sends its user back to: the `next` it posted, when that is a path on this site."""

from __future__ import annotations

from django.http import HttpResponseRedirect
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme


def back(request, fallback: str, *args, **kwargs) -> HttpResponseRedirect:
    """Redirect to the posted `next` if it is a local path (`/…`, on this host), else to `fallback` — a URL
    name reversed with `args`/`kwargs`. `next` is never reversed as a view name: "-1" or "home" from a
    tampered form used to end in a NoReverseMatch (a 500)."""
    target = request.POST.get("next", "")
    if (
        target.startswith("/")
        and not target.startswith("//")
        and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure())
    ):
        return HttpResponseRedirect(target)
    return redirect(fallback, *args, **kwargs)
