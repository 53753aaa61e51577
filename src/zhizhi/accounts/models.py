from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from zhizhi.core.roles import Role


class User(AbstractUser):
    """An account: one role, bound to one area (grid, community, street, district or city).

    `area_code` mirrors `area.code` so that scope checks are a string prefix test with no join.
    An administrator without an area sees everything.
    """

    role = models.CharField(_("role"), max_length=32, choices=Role.choices, default=Role.RESIDENT)
    area = models.ForeignKey(
        "areas.Area",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
        verbose_name=_("area"),
    )
    area_code = models.CharField(_("area code"), max_length=14, blank=True, editable=False, db_index=True)
    resident = models.OneToOneField(
        "people.Resident",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="account",
        verbose_name=_("resident record"),
        help_text=_("For resident accounts: the registry record of this person."),
    )
    display_name = models.CharField(_("display name"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def save(self, *args, **kwargs):
        self.area_code = self.area.code if self.area_id and self.area else ""
        self.is_staff = self.role == Role.ADMIN or self.is_superuser or self.role == Role.COMMUNITY_STAFF
        super().save(*args, **kwargs)

    def __str__(self) -> str:
        return self.display_name or self.username
