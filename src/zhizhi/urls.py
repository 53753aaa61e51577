from django.contrib import admin
from django.urls import include, path

from zhizhi.api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("zhizhi.accounts.urls")),
    path("areas/", include("zhizhi.areas.urls")),
    path("people/", include("zhizhi.people.urls")),
    path("cases/", include("zhizhi.cases.urls")),
    path("welfare/", include("zhizhi.welfare.urls")),
    path("sensors/", include("zhizhi.sensors.urls")),
    path("open311/", include("zhizhi.open311.urls")),
    path("", include("zhizhi.web.urls")),
]
