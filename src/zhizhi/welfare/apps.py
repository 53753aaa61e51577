from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WelfareConfig(AppConfig):
    name = "zhizhi.welfare"
    label = "welfare"
    verbose_name = _("Welfare and benefits")

    def ready(self) -> None:
        from zhizhi.welfare import providers

        providers.register_all()  # the case file's links to the person's cases and alarms (welfare.links)
