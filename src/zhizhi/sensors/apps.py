from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SensorsConfig(AppConfig):
    name = "zhizhi.sensors"
    label = "sensors"
    verbose_name = _("Door sensors (智能门磁)")
