import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhizhi.settings")
application = get_wsgi_application()

# Import the URLconf — every app's views, the API routers and their schemas, about a second — while the
# worker starts, instead of in the first request it serves (after each deploy or restart, per worker). A
# URLconf that cannot be imported then stops the worker at boot rather than failing every request.
get_resolver().url_patterns  # noqa: B018 — evaluated for its side effect (cached_property)
