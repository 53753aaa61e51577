from django.urls import path

from zhizhi.sensors import views

app_name = "sensors"
urlpatterns = [
    path("", views.board, name="board"),
    path("devices/", views.device_health, name="devices"),
    path("alarms/<int:alarm_id>/", views.alarm_detail, name="alarm_detail"),
    path(
        "alarms/<int:alarm_id>/acknowledge/", views.alarm_action, {"action": "acknowledge"}, name="alarm_ack"
    ),
    path("alarms/<int:alarm_id>/resolve/", views.alarm_action, {"action": "resolve"}, name="alarm_resolve"),
    path("watches/<int:watch_id>/", views.watch_detail, name="watch_detail"),
    path(
        "watches/<int:watch_id>/proposals/<int:proposal_id>/accept/",
        views.proposal_action,
        {"action": "accept"},
        name="proposal_accept",
    ),
    path(
        "watches/<int:watch_id>/proposals/<int:proposal_id>/dismiss/",
        views.proposal_action,
        {"action": "dismiss"},
        name="proposal_dismiss",
    ),
    path("watches/<int:watch_id>/notices/", views.notice_file, name="notice_file"),
    path("me/notices/", views.my_notices, name="my_notices"),
    path("me/notices/<int:notice_id>/end/", views.my_notice_end, name="my_notice_end"),
    path("watches/<int:watch_id>/notices/<int:notice_id>/end/", views.notice_end, name="notice_end"),
    path("devices/unknown/", views.unknown_list, name="unknown_devices"),
    path("devices/unknown/<int:unknown_id>/bind/", views.bind_device, name="bind_device"),
    path("devices/<int:device_id>/", views.device_detail, name="device_detail"),
    path(
        "devices/<int:device_id>/install/", views.device_action, {"action": "install"}, name="device_install"
    ),
    path("devices/<int:device_id>/remove/", views.device_action, {"action": "remove"}, name="device_remove"),
]
