"""`seed_demo` writes the street once, fills protected columns like a registration, and logs people in."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.db import connection

from zhizhi.accounts.models import User
from zhizhi.areas.models import Area, Building, Dwelling, Estate
from zhizhi.core import pii
from zhizhi.core.models import AuditEntry
from zhizhi.core.roles import Role
from zhizhi.people.idnumber import parse_id_number
from zhizhi.people.models import Contact, Household, Residence, Resident
from zhizhi.web.demo.personas import DEFAULT_PASSWORD, PERSONAS
from zhizhi.web.demo.population import ZHANG_ID_NUMBER

SCALE = "0.05"


def seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", "--scale", SCALE, stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    models = (
        Area,
        Estate,
        Building,
        Dwelling,
        Household,
        Resident,
        Residence,
        Contact,
        User,
        Resident.tags.through,
    )
    return {m._meta.label: m.objects.count() for m in models}


@pytest.fixture
def seeded(db):
    return seed()


def test_seeds_the_street_at_small_scale(seeded):
    assert Area.objects.filter(level="community", code__startswith="330105013").count() == 8
    assert Area.objects.filter(level="grid", code__startswith="330105013").count() == 60
    assert Building.objects.count() >= 60
    assert 1000 <= Resident.objects.count() <= 1010
    assert Household.objects.filter(head__isnull=True).count() == 0
    assert "Seeded in" in seeded


def test_second_run_seeds_nothing_and_still_prints_the_logins(seeded):
    before = counts()
    again = seed()
    assert counts() == before
    assert "already seeded" in again
    for persona in PERSONAS:
        assert persona.username in again
    assert DEFAULT_PASSWORD in again


def test_protected_columns_are_filled_as_a_registration_fills_them(seeded):
    resident = Resident.objects.exclude(phone="").order_by("pk").first()
    info = parse_id_number(resident.id_number)
    assert resident.id_number_hash == pii.blind_index(info.number)
    assert resident.id_number_masked == pii.mask_id_number(info.number)
    assert resident.phone_masked == pii.mask_phone(resident.phone)
    assert (resident.birth_date, resident.sex) == (info.birth_date, info.sex)
    assert resident.name_pinyin
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, phone FROM people_resident WHERE id = %s", [resident.pk])
        stored_id, stored_phone = cursor.fetchone()
    assert info.number not in stored_id and resident.phone not in stored_phone


def test_residents_live_in_their_households_dwelling(seeded):
    for household in Household.objects.select_related("dwelling", "head")[:50]:
        members = list(household.members.all())
        assert household.head in members
        assert household.head.relation_to_head == "户主"
        assert {m.home_id for m in members} == {household.dwelling_id}
        assert {m.area_code for m in members} == {household.dwelling.area_code}
    assert Residence.objects.count() == Resident.objects.count()


def test_zhang_ayi_is_linked_to_her_record_and_lives_alone(seeded):
    zhang = User.objects.get(username="zhangayi")
    record = zhang.resident
    assert record.id_number_hash == pii.blind_index(ZHANG_ID_NUMBER)
    assert set(record.tags.values_list("code", flat=True)) >= {"elderly", "aged", "alone"}
    assert record.household.members.count() == 1
    assert set(record.contacts.values_list("kind", flat=True)) == {"family", "emergency"}
    assert zhang.area_code == record.area_code
    assert User.objects.get(username="xiaowang").area_code == record.area_code


def test_personas_have_their_roles_and_areas(seeded):
    expected = {
        "zhangayi": (Role.RESIDENT, "33010501300101"),
        "xiaowang": (Role.GRID_WORKER, "33010501300101"),
        "chen": (Role.COMMUNITY_STAFF, "330105013001"),
        "sun": (Role.ELDERCARE_ADVISOR, "330105013001"),
        "lizhuren": (Role.STREET_DISPATCHER, "330105013"),
        "zhao": (Role.DISTRICT_DEPT_STAFF, "330105"),
        "qian": (Role.LEADER, "330105013"),
        "admin": (Role.ADMIN, ""),
    }
    users = {u.username: u for u in User.objects.filter(username__in=expected)}
    assert {name: (u.role, u.area_code) for name, u in users.items()} == expected
    assert users["admin"].is_superuser and users["admin"].is_staff
    assert authenticate(username="lizhuren", password=DEFAULT_PASSWORD) == users["lizhuren"]


def test_demo_password_comes_from_the_environment(db, monkeypatch):
    monkeypatch.setenv("ZHIZHI_DEMO_PASSWORD", "another-pass-42")
    out = seed()
    assert "another-pass-42" in out
    assert authenticate(username="chen", password="another-pass-42") is not None


def test_the_seed_is_audited(seeded):
    entry = AuditEntry.objects.get(object_type="areas.area", object_id="330105013")
    assert entry.action == "import" and "residents" in entry.summary


def test_existing_accounts_keep_their_passwords(seeded):
    chen = User.objects.get(username="chen")
    chen.set_password("changed-by-chen")
    chen.save()
    seed()
    assert authenticate(username="chen", password="changed-by-chen") is not None
