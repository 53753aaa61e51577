from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WelfareConfig(AppConfig):
    name = "zhizhi.welfare"
    label = "welfare"
    verbose_name = _("Welfare and benefits")
