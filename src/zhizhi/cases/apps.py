from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "zhizhi.cases"
    label = "cases"
    verbose_name = _("Cases (民情通 · 四级联办)")
