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
]
