from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SensorsConfig(AppConfig):
    name = "zhizhi.sensors"
    label = "sensors"
    verbose_name = _("Door sensors (智能门磁)")

    def ready(self) -> None:
        from zhizhi.cases import sources
        from zhizhi.sensors.links import alarm_source

        sources.register("sensor-alarm", alarm_source)
