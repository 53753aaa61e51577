from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AreasConfig(AppConfig):
    name = "zhizhi.areas"
    label = "areas"
    verbose_name = _("Areas and addresses")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from zhizhi.areas import spatial
        from zhizhi.areas.models import Area

        # A changed grid drops this process's point → grid index; other processes catch up within the TTL.
        post_save.connect(spatial.invalidate, sender=Area, dispatch_uid="areas.spatial.save")
        post_delete.connect(spatial.invalidate, sender=Area, dispatch_uid="areas.spatial.delete")
