from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import AbstractUser
from django.contrib.sessions.base_session import AbstractBaseSession, BaseSessionManager
from django.core.exceptions import ValidationError
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


class SessionManager(BaseSessionManager):
    def save(self, session_key, session_dict, expire_date):
        s = self.model(
            session_key, self.encode(session_dict), expire_date, user_id=session_user_id(session_dict)
        )
        if session_dict:
            s.save()
        else:
            s.delete()  # Clear sessions with no data.
        return s


def session_user_id(session_dict) -> int | None:
    """The primary key of the user logged in to this session (Django's `_auth_user_id`), or None."""
    value = session_dict.get(SESSION_KEY)
    if value is None:
        return None
    try:
        return Session._meta.get_field("user").target_field.to_python(value)
    except ValidationError:
        return None


class Session(AbstractBaseSession):
    """A database session (Django's session columns, in this app's table) that also knows its user.

    `user` mirrors the session's `_auth_user_id`, written with the row (accounts.sessions). It lets the
    per-request session read bring the user row in the same statement, and it ends a user's sessions when
    the user is deleted.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,  # the ORM deletes a user's sessions with the user
        db_constraint=False,  # see accounts.sessions: a session saved for a user deleted meanwhile must not fail
        related_name="sessions",
        verbose_name=_("user"),
    )

    objects: ClassVar[SessionManager] = SessionManager()

    @classmethod
    def get_session_store_class(cls):
        from zhizhi.accounts.sessions import SessionStore

        return SessionStore
