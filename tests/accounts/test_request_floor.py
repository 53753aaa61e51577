"""The per-request reads made cheap (accounts.sessions, accounts.backends) give what Django's own give."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.contrib.sessions.backends.db import SessionStore as DjangoSessionStore
from django.test import Client
from django.utils import timezone

from tests import factories
from zhizhi.accounts.backends import AccountBackend, read_user
from zhizhi.accounts.models import Session, User
from zhizhi.accounts.sessions import SessionStore
from zhizhi.core.roles import Role


def concrete(user: User) -> dict:
    return {f.attname: getattr(user, f.attname) for f in User._meta.concrete_fields}


@pytest.mark.django_db
def test_read_user_gives_what_the_orm_gives(street, django_assert_num_queries):
    user = factories.make_user("floor-grid", Role.GRID_WORKER, street.grid_a1, display_name="小王")
    user.last_login = timezone.now()
    user.save()
    expected = User.objects.get(pk=user.pk)
    read_user(User, user.pk)  # compiles the statement once per connection
    with django_assert_num_queries(1):
        got = read_user(User, user.pk)
    assert type(got) is User
    assert concrete(got) == concrete(expected)
    assert isinstance(got.is_active, bool) and isinstance(got.last_login, dt.datetime)
    assert timezone.is_aware(got.last_login) and timezone.is_aware(got.date_joined)
    assert got._state.adding is False and got._state.db == expected._state.db
    assert got.area == street.grid_a1
    assert read_user(User, user.pk + 10_000) is None


@pytest.mark.django_db
def test_backend_refuses_inactive_and_missing_users(street):
    user = factories.make_user("floor-gone", Role.RESIDENT, street.grid_a1)
    backend = AccountBackend()
    assert backend.get_user(user.pk).pk == user.pk
    assert concrete(backend.get_user(user.pk)) == concrete(ModelBackend().get_user(user.pk))
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert backend.get_user(user.pk) is None
    assert backend.get_user(user.pk + 10_000) is None


class DjangoStoreOnOurTable(DjangoSessionStore):
    """Django's own database store (its ORM read) on the accounts session table."""

    key_salt = SessionStore().key_salt  # the signing salt follows the class name

    @classmethod
    def get_model_class(cls):
        return Session


def test_settings_use_them():
    assert settings.SESSION_ENGINE == "zhizhi.accounts.sessions"
    assert settings.AUTHENTICATION_BACKENDS == ["zhizhi.accounts.backends.AccountBackend"]


@pytest.mark.django_db
def test_session_load_matches_django_and_honours_expiry():
    store = SessionStore()
    store["answer"] = {"x": [1, "二"]}
    store.save()
    key = store.session_key
    assert SessionStore(key).load() == DjangoStoreOnOurTable(key).load() == {"answer": {"x": [1, "二"]}}
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - dt.timedelta(seconds=1))
    expired = SessionStore(key)
    assert expired.load() == {}
    assert expired.session_key is None  # as Django's: a key with no live row is dropped
    assert SessionStore("no-such-session-key").load() == {}


@pytest.mark.django_db
def test_api_session_works_and_logout_ends_it_everywhere(street):
    user = factories.make_user("floor-api", Role.RESIDENT, street.grid_a1)
    client = Client()
    client.force_login(user)
    assert client.get("/api/cases/notifications?limit=1").status_code == 200
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    other = Client()  # another process with the same cookie: the row is the only state
    other.cookies[settings.SESSION_COOKIE_NAME] = cookie
    assert other.get("/api/cases/notifications?limit=1").status_code == 200
    client.logout()
    assert other.get("/api/cases/notifications?limit=1").status_code == 401
    assert not Session.objects.filter(session_key=cookie).exists()


@pytest.mark.django_db
def test_password_change_ends_other_sessions(street):
    user = factories.make_user("floor-pw", Role.RESIDENT, street.grid_a1)
    client = Client()
    client.force_login(user)
    assert client.get("/api/cases/notifications").status_code == 200
    user.set_password("a-new-password-2026")
    user.save()
    assert client.get("/api/cases/notifications").status_code == 401  # session hash no longer matches


@pytest.mark.django_db
def test_session_post_without_csrf_token_is_refused(street):
    user = factories.make_user("floor-csrf", Role.RESIDENT, street.grid_a1)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.post("/api/cases/notifications/0/read").status_code == 403
