"""Open311 GeoReport v2 at /open311/ (discovery) and /open311/v2/ (the API); `.xml` or `.json` picks the
format. Anything else under /open311/ answers 404 in the spec's error format."""

from django.urls import path, re_path

from zhizhi.open311 import views

app_name = "open311"
FMT = r"\.(?P<fmt>xml|json)$"

urlpatterns = [
    re_path(r"^discovery" + FMT, views.discovery, name="discovery"),
    re_path(r"^v2/discovery" + FMT, views.discovery),
    re_path(r"^v2/services" + FMT, views.service_list, name="services"),
    re_path(r"^v2/services/(?P<service_code>[^/]+?)" + FMT, views.service_definition, name="service"),
    re_path(r"^v2/requests" + FMT, views.requests, name="requests"),
    re_path(r"^v2/requests/(?P<request_id>[^/]+?)" + FMT, views.request_detail, name="request"),
    re_path(r"^v2/tokens/(?P<token>[^/]+?)" + FMT, views.token, name="token"),
    re_path(r"^v2/servicerequestupdates" + FMT, views.service_request_updates, name="updates"),
    path("v2/media/<int:attachment_id>", views.media, name="media"),
    re_path(r"^(?P<rest>.*?)\.(?P<fmt>json)$", views.not_found),
    re_path(r"^(?P<rest>.*)$", views.not_found),
]
