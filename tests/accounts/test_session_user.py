"""The session read brings the session's user in the same statement (accounts.sessions → accounts.backends)."""

from __future__ import annotations

import datetime as dt
import importlib
import re
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.contrib import auth
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command
from django.core.signals import request_started
from django.db import close_old_connections, connection, models
from django.http import HttpRequest
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests import factories
from zhizhi.accounts import backends
from zhizhi.accounts.models import Session, User
from zhizhi.accounts.sessions import SessionStore
from zhizhi.core.roles import Role

FLOOR = "/api/cases/notifications?limit=1"


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def session_key(client: Client) -> str:
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def whoami(client: Client) -> str:
    """The name the page header shows for the request's user ("" when anonymous)."""
    response = client.get("/", follow=False)
    if response.status_code != 200:
        return ""
    found = re.search(r'data-testid="whoami">([^<·]*)', response.content.decode())
    return found.group(1).strip() if found else ""


def request_user(key: str):
    """What Django's auth gives a request with this session key (the middleware's own calls)."""
    request = HttpRequest()
    request.session = SessionStore(key)
    return auth.get_user(request)


def tables(sql: str) -> set[str]:
    return set(re.findall(r'(?:FROM|JOIN)\s+"?(\w+)"?', sql))


@pytest.fixture
def two_users(street):
    a = factories.make_user("sess-a", Role.RESIDENT, street.grid_a1, display_name="甲居民")
    b = factories.make_user("sess-b", Role.GRID_WORKER, street.grid_a1, display_name="乙网格员")
    return a, b


@pytest.mark.django_db
def test_authenticated_request_reads_session_and_user_in_one_statement(two_users):
    user, _ = two_users
    client = logged_in(user)
    assert client.get(FLOOR).status_code == 200  # compiles the reads on this connection
    with CaptureQueriesContext(connection) as queries:
        assert client.get(FLOOR).status_code == 200
    sqls = [q["sql"] for q in queries.captured_queries]
    first = sqls[0]
    assert tables(first) == {Session._meta.db_table, User._meta.db_table}  # the session row joins its user
    assert "JOIN" in first.upper()
    # nothing else reads the session or the user: the view's own read is all that follows
    assert not any(tables(sql) & {Session._meta.db_table, User._meta.db_table} for sql in sqls[1:]), sqls
    assert len(sqls) == 2, sqls  # was 3: session, user, notifications


@pytest.mark.django_db
def test_the_joined_user_is_the_orm_user(two_users):
    user, _ = two_users
    user.last_login = timezone.now()
    user.save()
    client = logged_in(user)
    got = request_user(session_key(client))
    expected = User.objects.get(pk=user.pk)
    assert type(got) is User and got._state.adding is False and got._state.db == expected._state.db
    assert {f.attname: getattr(got, f.attname) for f in User._meta.concrete_fields} == {
        f.attname: getattr(expected, f.attname) for f in User._meta.concrete_fields
    }
    assert isinstance(got.is_active, bool) and timezone.is_aware(got.last_login)


@pytest.mark.django_db
def test_session_row_knows_its_user_and_logout_removes_it(two_users):
    user, _ = two_users
    client = logged_in(user)
    row = Session.objects.get(session_key=session_key(client))
    assert row.user_id == user.pk
    anonymous = SessionStore()
    anonymous["cart"] = 1
    anonymous.save()
    assert Session.objects.get(session_key=anonymous.session_key).user_id is None
    key = session_key(client)
    client.logout()
    assert not Session.objects.filter(session_key=key).exists()


@pytest.mark.django_db
def test_interleaved_sessions_in_one_thread_get_their_own_user(two_users):
    a, b = two_users
    client_a, client_b = logged_in(a), logged_in(b)
    for _ in range(2):
        assert whoami(client_a) == "甲居民"
        assert whoami(client_b) == "乙网格员"
    assert client_a.get(FLOOR).status_code == client_b.get(FLOOR).status_code == 200
    # two session reads, then the user of the first: never the user the second read brought in
    store_a, store_b = SessionStore(session_key(client_a)), SessionStore(session_key(client_b))
    store_a.load()
    store_b.load()
    assert backends.AccountBackend().get_user(a.pk).pk == a.pk
    request_a, request_b = HttpRequest(), HttpRequest()
    request_a.session, request_b.session = store_a, store_b
    assert auth.get_user(request_a).pk == a.pk
    assert auth.get_user(request_b).pk == b.pk


@pytest.mark.django_db
def test_stale_preloaded_user_is_never_used_by_another_request(two_users):
    a, b = two_users
    client_a, client_b = logged_in(a), logged_in(b)
    # a session read that nobody follows with request.user: it leaves a's row behind in this thread ...
    SessionStore(session_key(client_a)).load()
    # ... which the next request drops at its start, and its own session read replaces anyway
    assert whoami(client_b) == "乙网格员"
    SessionStore(session_key(client_a)).load()
    assert whoami(Client()) == ""  # no session at all: anonymous, a's row not taken
    User.objects.filter(pk=a.pk).update(is_active=False)
    SessionStore(session_key(client_a)).load()  # a's row, now inactive, left behind
    client_a_again = Client()
    client_a_again.cookies[settings.SESSION_COOKIE_NAME] = session_key(client_a)
    User.objects.filter(pk=a.pk).update(is_active=True)
    assert whoami(client_a_again) == "甲居民"  # read afresh in its own request: active again


@pytest.mark.django_db
def test_what_a_session_read_left_behind_ends_with_the_next_read_or_request(two_users):
    a, _ = two_users
    key = session_key(logged_in(a))
    backend = backends.AccountBackend()
    SessionStore(key).load()  # a's row, not taken
    User.objects.filter(pk=a.pk).update(display_name="一")
    SessionStore("no-such-session").load()  # a read that finds no row clears it too
    assert backend.get_user(a.pk).display_name == "一"
    SessionStore(key).load()
    User.objects.filter(pk=a.pk).update(display_name="二")
    request_started.disconnect(close_old_connections)  # as the test client does: keep the test's connection
    try:
        request_started.send(sender=__name__)  # a new request in this thread: whatever its view asks is read
    finally:
        request_started.connect(close_old_connections)
    assert backend.get_user(a.pk).display_name == "二"


@pytest.mark.django_db
def test_one_use_only_and_only_for_the_same_id(two_users):
    a, b = two_users
    client_a = logged_in(a)
    backend = backends.AccountBackend()
    SessionStore(session_key(client_a)).load()
    User.objects.filter(pk=a.pk).update(display_name="改名")
    first = backend.get_user(a.pk)
    assert first.display_name == "甲居民"  # the row the session read brought in
    assert backend.get_user(a.pk).display_name == "改名"  # taken: the next call reads the user itself
    SessionStore(session_key(client_a)).load()
    assert backend.get_user(b.pk).pk == b.pk  # another id: read itself (and a's row is gone now)
    User.objects.filter(pk=a.pk).update(display_name="又改名")
    assert backend.get_user(a.pk).display_name == "又改名"


@pytest.mark.django_db
def test_inactive_user_session_is_anonymous(two_users):
    user, _ = two_users
    client = logged_in(user)
    assert client.get(FLOOR).status_code == 200
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert client.get(FLOOR).status_code == 401
    assert isinstance(request_user(session_key(client)), AnonymousUser)


@pytest.mark.django_db
def test_deleted_user_session_is_gone(two_users):
    user, other = two_users
    client, bystander = logged_in(user), logged_in(other)
    key = session_key(client)
    assert client.get(FLOOR).status_code == 200
    user.delete()
    assert not Session.objects.filter(session_key=key).exists()  # the ORM deletes the user's sessions
    assert client.get(FLOOR).status_code == 401
    assert bystander.get(FLOOR).status_code == 200


@pytest.mark.django_db
def test_session_whose_user_row_vanished_is_anonymous(two_users):
    user, _ = two_users
    client = logged_in(user)
    key = session_key(client)
    with connection.cursor() as cursor:  # behind the ORM's back: the session row stays, no user joins
        cursor.execute(f"DELETE FROM {User._meta.db_table} WHERE id = %s", [user.pk])  # noqa: S608
    assert Session.objects.filter(session_key=key, user_id=user.pk).exists()
    assert isinstance(request_user(key), AnonymousUser)
    assert client.get(FLOOR).status_code == 401


@pytest.mark.django_db
def test_password_change_logs_the_other_session_out(two_users):
    user, _ = two_users
    here, elsewhere = logged_in(user), logged_in(user)
    assert here.get(FLOOR).status_code == elsewhere.get(FLOOR).status_code == 200
    user.set_password("x-Nouveau-2026!")  # as a password-change view does: save, then keep its own session
    user.save()
    request = HttpRequest()
    request.session = SessionStore(session_key(here))
    request.user = user
    auth.update_session_auth_hash(request, user)
    request.session.save()
    here.cookies[settings.SESSION_COOKIE_NAME] = request.session.session_key
    assert here.get(FLOOR).status_code == 200
    assert elsewhere.get(FLOOR).status_code == 401  # the session hash is still verified
    assert not Session.objects.filter(session_key=session_key(elsewhere)).exists()  # flushed


@pytest.mark.django_db
def test_expired_session_is_anonymous(two_users):
    user, _ = two_users
    client = logged_in(user)
    key = session_key(client)
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - dt.timedelta(seconds=1))
    assert isinstance(request_user(key), AnonymousUser)
    assert client.get(FLOOR).status_code == 401
    call_command("clearsessions")
    assert not Session.objects.filter(session_key=key).exists()


@pytest.mark.django_db
def test_cycle_key_keeps_the_user(two_users):
    user, _ = two_users
    client = logged_in(user)
    store = SessionStore(session_key(client))
    store.load()
    old = store.session_key
    store.cycle_key()
    assert store.session_key != old and not Session.objects.filter(session_key=old).exists()
    assert Session.objects.get(session_key=store.session_key).user_id == user.pk
    assert request_user(store.session_key).pk == user.pk


@pytest.fixture
def fresh_plans():
    """The reads compiled anew on this connection, and again after the test (for the real manager)."""

    def forget():
        for cache in ("_zhizhi_user_read", "_zhizhi_session_read"):
            if hasattr(connection, cache):
                delattr(connection, cache)

    forget()
    yield
    forget()


class ActiveOnly(models.Manager):
    def get_queryset(self):
        return super().get_queryset().filter(is_active=True)


@pytest.mark.django_db
def test_a_default_manager_with_a_filter_keeps_the_two_reads(two_users, monkeypatch, fresh_plans):
    user, _ = two_users
    manager = ActiveOnly()
    manager.model = User
    monkeypatch.setitem(User._meta.__dict__, "default_manager", manager)
    client = logged_in(user)
    assert client.get(FLOOR).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        assert client.get(FLOOR).status_code == 200
    sqls = [q["sql"] for q in queries.captured_queries]
    assert tables(sqls[0]) == {Session._meta.db_table}  # the session alone
    assert tables(sqls[1]) == {User._meta.db_table} and "is_active" in sqls[1]  # the manager's own read
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert client.get(FLOOR).status_code == 401


@pytest.mark.django_db
def test_migration_carries_live_django_sessions_over(two_users):
    from django.apps import apps
    from django.contrib.sessions.backends.db import SessionStore as DjangoSessionStore
    from django.contrib.sessions.models import Session as DjangoSession

    user, _ = two_users
    migration = importlib.import_module("zhizhi.accounts.migrations.0002_session")
    logged = DjangoSessionStore()
    logged.update(
        {auth.SESSION_KEY: str(user.pk), auth.BACKEND_SESSION_KEY: settings.AUTHENTICATION_BACKENDS[0]}
    )
    logged[auth.HASH_SESSION_KEY] = user.get_session_auth_hash()
    logged.save()
    anonymous = DjangoSessionStore()
    anonymous["lang"] = "zh-hans"
    anonymous.save()
    expired = DjangoSessionStore()
    expired["x"] = 1
    expired.save()
    DjangoSession.objects.filter(session_key=expired.session_key).update(expire_date=timezone.now())
    migration.copy_live_sessions(apps, SimpleNamespace(connection=connection))
    assert Session.objects.get(session_key=logged.session_key).user_id == user.pk
    assert Session.objects.get(session_key=anonymous.session_key).user_id is None
    assert not Session.objects.filter(session_key=expired.session_key).exists()
    assert request_user(logged.session_key).pk == user.pk  # the old cookie still logs in


def test_checked_session_data_is_parsed_again_not_shared_and_only_when_the_signature_was_good():
    from zhizhi.accounts import sessions

    store = SessionStore()
    signed = store.encode({"_auth_user_id": "7", "cart": [1, 2]})
    sessions._checked.clear()
    first = store.decode(signed)
    assert first == {"_auth_user_id": "7", "cart": [1, 2]} and signed in sessions._checked
    first["cart"].append(3)  # a request changing its session's data in place
    assert store.decode(signed) == {"_auth_user_id": "7", "cart": [1, 2]}
    tampered = signed[:-2] + ("AA" if not signed.endswith("AA") else "BB")
    assert store.decode(tampered) == {} and tampered not in sessions._checked


@pytest.mark.django_db
def test_the_api_hands_views_the_user_itself_not_the_lazy_proxy(two_users):
    from django.utils.functional import SimpleLazyObject

    from zhizhi.api import session_auth

    user, _ = two_users
    request = HttpRequest()
    request.user = SimpleLazyObject(lambda: user)
    assert session_auth.authenticate(request, "key") is user and request.user is user
    request.user = SimpleLazyObject(AnonymousUser)
    assert session_auth.authenticate(request, "key") is None
