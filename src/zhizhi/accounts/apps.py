from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "zhizhi.accounts"
    label = "accounts"
    verbose_name = _("Accounts and roles")

    def ready(self):
        from django.core.signals import request_started

        from zhizhi.accounts.backends import forget_preloaded_user

        # The user a session read hands to the backend is for its own request only (accounts.backends).
        request_started.connect(forget_preloaded_user, dispatch_uid="zhizhi.accounts.forget_preloaded_user")
