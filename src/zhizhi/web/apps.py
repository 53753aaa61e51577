from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "zhizhi.web"
    label = "web"
    verbose_name = "Web"
