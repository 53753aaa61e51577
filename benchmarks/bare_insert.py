"""The reference the intake target is set against: a bare Django + django-ninja endpoint that inserts one row.

    cd benchmarks && BARE_DATABASE_URL=postgres://… python -m granian --interface wsgi bare_insert:application …

benchmarks/case_intake.py serves it with the same server settings as `zhizhi serve` and posts the same
report JSON to it, so "bare_per_s" in its result is what this machine gives the issue's "about 1,500
requests/s" yardstick, measured in the same run. No middleware, no session, no CSRF, no templates: the
body is parsed and validated by a ninja Schema, one INSERT … RETURNING (autocommit) writes a row of the
raw-rate table, and a small JSON answer goes back.
"""

from __future__ import annotations

import os
import secrets

import dj_database_url
import django
from django.conf import settings

settings.configure(
    DEBUG=False,
    SECRET_KEY=secrets.token_urlsafe(50),
    ALLOWED_HOSTS=["127.0.0.1", "localhost"],
    ROOT_URLCONF=__name__,
    MIDDLEWARE=[],
    INSTALLED_APPS=[],
    USE_TZ=True,
    DATABASES={"default": dict(dj_database_url.parse(os.environ["BARE_DATABASE_URL"], conn_max_age=60))},
)
django.setup()

from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.db import connection  # noqa: E402
from django.urls import path  # noqa: E402
from ninja import NinjaAPI, Schema, Status  # noqa: E402

api = NinjaAPI(docs_url=None, openapi_url=None)


class ReportIn(Schema):
    category: str
    description: str
    lat: float
    lon: float
    address: str = ""
    idempotency_key: str = ""


class RowOut(Schema):
    id: int


@api.post("/bare/", response={201: RowOut})
def bare_insert(request, payload: ReportIn):
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO bench_raw (n, t, s) VALUES (%s, now(), %s) RETURNING id", (1, payload.category)
        )
        (row_id,) = cursor.fetchone()
    return Status(201, {"id": row_id})


urlpatterns = [path("", api.urls)]
application = get_wsgi_application()
