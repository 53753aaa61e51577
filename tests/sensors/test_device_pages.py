"""Binding and installing devices through the pages: the unknown-devices list, the bind form (standard address,
kind, friendly name; the residents living there follow), the device page (move, remove with the reason,
history); role × area (others 404), errors naming the field with nothing half-written, the audit log."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from tests import factories
from tests.sensors.conftest import PREFIX
from zhizhi.core.models import AuditEntry
from zhizhi.sensors import zigbee
from zhizhi.sensors.models import Device, GatewayKind, Installation, SensorEvent, UnknownDevice, Watch
from zhizhi.sensors.services import devices
from zhizhi.sensors.services.ingest import Inbound, ingest

pytestmark = pytest.mark.django_db
AT = dt.datetime(2026, 3, 2, 4, 0, tzinfo=dt.UTC)


def seen(name: str, seconds: int = 0, prefix: str = PREFIX) -> None:
    at = AT + dt.timedelta(seconds=seconds)
    ingest([Inbound(f"{prefix}/{name}", zigbee.state_payload(True, last_seen=at), at)])


@pytest.fixture
def unknown(gateway):
    seen("new-door")
    return UnknownDevice.objects.get(identifier="new-door")


def field_of_error(html: str) -> str:
    marker = 'data-testid="form-error" data-field="'
    assert marker in html, "no form error on the page"
    return html.split(marker, 1)[1].split('"', 1)[0]


@pytest.mark.parametrize(
    ("persona", "status", "rows"),
    [
        ("xiaowang", 200, 1),
        ("chen", 200, 1),
        ("admin", 200, 1),
        ("li", 404, 0),
        ("zhao", 404, 0),
        ("qian", 404, 0),
        ("zhang", 404, 0),
    ],
)
def test_the_unknown_devices_list_is_for_device_managers(client, personas, unknown, persona, status, rows):
    client.force_login(personas[persona])
    response = client.get(reverse("sensors:unknown_devices"))
    assert response.status_code == status
    if status == 200:
        assert response.content.decode().count('data-testid="unknown-row"') == rows
    assert client.get(reverse("sensors:bind_device", args=[unknown.pk])).status_code == status


def test_a_gateway_with_an_area_shows_its_devices_to_that_area_only(
    client, personas, street, unknown, gateway
):
    gateway.area_code = street.community_a.code
    gateway.save()
    client.force_login(personas["outsider"])
    html = client.get(reverse("sensors:unknown_devices")).content.decode()
    assert 'data-testid="unknown-row"' not in html
    assert client.get(reverse("sensors:bind_device", args=[unknown.pk])).status_code == 404
    client.force_login(personas["xiaowang"])  # a grid worker inside the community's gateway
    html = client.get(reverse("sensors:unknown_devices")).content.decode()
    assert html.count('data-testid="unknown-row"') == 1


def test_binding_installs_the_device_and_binds_the_residents_living_there(
    client, personas, street, unknown, django_capture_on_commit_callbacks
):
    zhang = personas["zhang_record"]
    client.force_login(personas["xiaowang"])
    url = reverse("sensors:bind_device", args=[unknown.pk])
    html = client.get(url, {"q": street.dwelling_a1.address[-8:]}).content.decode()
    assert f'value="{street.dwelling_a1.code}"' in html
    assert f'value="{street.dwelling_a2.code}"' not in html  # another grid: not offered to 小王
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url,
            {"dwelling": street.dwelling_a1.code, "kind": "door", "vendor_id": "0xa1", "is_entrance": "1"},
        )
    device = Device.objects.get(vendor_id="0xa1")
    assert response.status_code == 302 and response.url == reverse("sensors:device_detail", args=[device.pk])
    assert device.friendly_name == "new-door" and device.dwelling == street.dwelling_a1 and device.active
    assert list(device.residents.all()) == [zhang]
    (row,) = Installation.objects.filter(device=device)
    assert row.dwelling == street.dwelling_a1 and row.installed_by == personas["xiaowang"]
    assert UnknownDevice.objects.get().bound_device == device
    assert AuditEntry.objects.filter(object_type="sensors.device", object_id=str(device.pk)).exists()
    seen("new-door", 5)
    assert SensorEvent.objects.filter(device=device).count() == 1
    assert Watch.objects.filter(resident=zhang).count() == 0  # binding watches nobody by itself
    client.get(reverse("sensors:unknown_devices"))
    assert 'data-testid="unknown-row"' not in client.get(reverse("sensors:unknown_devices")).content.decode()


def test_the_address_drill_down_offers_the_units_dwellings(client, personas, street, unknown):
    unit = street.dwelling_a1.unit
    client.force_login(personas["chen"])
    url = reverse("sensors:bind_device", args=[unknown.pk])
    params = {"estate": unit.building.estate.pk, "building": unit.building.pk, "unit": unit.pk}
    html = client.get(url, params).content.decode()
    assert f'value="{street.dwelling_a1.code}"' in html
    assert f'value="{street.dwelling_b1.code}"' not in html


@pytest.mark.parametrize(
    ("post", "field"),
    [
        ({"kind": "door"}, "dwelling"),
        ({"kind": "door", "dwelling": "no-such-code"}, "dwelling"),
        ({"kind": "door", "dwelling": "B1"}, "dwelling"),  # another community's dwelling
        ({"kind": "lamp", "dwelling": "A1"}, "kind"),
        ({"kind": "door", "dwelling": "A1", "vendor_id": "0x00158d0001aa0001"}, "vendor_id"),  # taken
        ({"kind": "door", "dwelling": "A1", "vendor_id": "x" * 65}, "vendor_id"),
    ],
)
def test_a_bad_bind_names_the_field_and_writes_nothing(client, personas, street, unknown, door, post, field):
    codes = {"A1": street.dwelling_a1.code, "B1": street.dwelling_b1.code}
    post = {k: codes.get(v, v) for k, v in post.items()}
    client.force_login(personas["chen"])
    before = (Device.objects.count(), Installation.objects.count(), AuditEntry.objects.count())
    response = client.post(reverse("sensors:bind_device", args=[unknown.pk]), post)
    assert response.status_code == 400
    assert field_of_error(response.content.decode()) == field
    assert (Device.objects.count(), Installation.objects.count(), AuditEntry.objects.count()) == before
    assert UnknownDevice.objects.get(pk=unknown.pk).bound_device is None


def test_a_vendor_gateway_device_keeps_its_vendor_id_and_takes_the_friendly_name(client, personas, street):
    gateway, key = devices.register_gateway(personas["admin"], "vendor-x", GatewayKind.HTTP)
    body = {"messages": [{"device": "VX-001", "contact": True}]}
    client.post(
        "/api/sensors/gateway/messages", body, content_type="application/json", headers={"X-Api-Key": key}
    )
    unknown = UnknownDevice.objects.get(gateway_name="vendor-x")
    client.force_login(personas["chen"])
    response = client.post(
        reverse("sensors:bind_device", args=[unknown.pk]),
        {"dwelling": street.dwelling_a1.code, "kind": "smoke", "friendly_name": "厨房烟感"},
    )
    assert response.status_code == 302
    device = Device.objects.get(vendor_id="VX-001")
    assert (device.friendly_name, device.kind, device.gateway, device.is_entrance) == (
        "厨房烟感",
        "smoke",
        gateway,
        False,
    )


@pytest.mark.parametrize(("persona", "status"), [("xiaowang", 200), ("chen", 200), ("admin", 200)])
def test_the_device_page_for_managers_of_its_area(client, personas, door, persona, status):
    client.force_login(personas[persona])
    html = client.get(reverse("sensors:device_detail", args=[door.pk])).content.decode()
    assert 'data-testid="install-row"' in html and "张阿姨" in html


@pytest.mark.parametrize("persona", ["outsider", "li", "zhao", "qian", "zhang"])
def test_the_device_page_is_not_found_for_everyone_else(client, personas, door, street, persona):
    client.force_login(personas[persona])
    assert client.get(reverse("sensors:device_detail", args=[door.pk])).status_code == 404
    post = {"dwelling": street.dwelling_a1.code, "reason": "x"}
    assert client.post(reverse("sensors:device_install", args=[door.pk]), post).status_code == 404
    assert client.post(reverse("sensors:device_remove", args=[door.pk]), post).status_code == 404
    assert Device.objects.get(pk=door.pk).active


def test_moving_a_device_rebinds_it_to_the_new_dwellings_residents(client, personas, street, door):
    neighbour = factories.make_resident(street.dwelling_a2, "李大爷")
    client.force_login(personas["chen"])
    response = client.post(
        reverse("sensors:device_install", args=[door.pk]),
        {"dwelling": street.dwelling_a2.code, "note": "搬家"},
    )
    assert response.status_code == 302
    door.refresh_from_db()
    assert door.dwelling == street.dwelling_a2 and list(door.residents.all()) == [neighbour]
    old, new = Installation.objects.filter(device=door).order_by("installed_at", "id")
    assert old.removed_at is not None and old.removed_by == personas["chen"] and old.removed_reason
    assert new.removed_at is None and new.note == "搬家"
    html = client.get(reverse("sensors:device_detail", args=[door.pk])).content.decode()
    assert html.count('data-testid="install-row"') == 2


def test_a_grid_worker_cannot_move_a_device_out_of_his_grid(client, personas, street, door):
    client.force_login(personas["xiaowang"])
    response = client.post(
        reverse("sensors:device_install", args=[door.pk]), {"dwelling": street.dwelling_a2.code}
    )
    assert response.status_code == 400 and field_of_error(response.content.decode()) == "dwelling"
    door.refresh_from_db()
    assert door.dwelling == street.dwelling_a1 and Installation.objects.filter(device=door).count() == 1


def test_removing_needs_the_reason_and_keeps_it_in_the_history(client, personas, door):
    client.force_login(personas["xiaowang"])
    url = reverse("sensors:device_remove", args=[door.pk])
    response = client.post(url, {"reason": "  "})
    assert response.status_code == 400 and field_of_error(response.content.decode()) == "reason"
    assert Device.objects.get(pk=door.pk).active
    assert client.post(url, {"reason": "老人搬去养老院"}).status_code == 302
    door.refresh_from_db()
    assert not door.active and door.residents.count() == 0
    (row,) = Installation.objects.filter(device=door)
    assert row.removed_reason == "老人搬去养老院" and row.removed_by == personas["xiaowang"]
    assert AuditEntry.objects.filter(
        object_type="sensors.device", summary__contains="老人搬去养老院"
    ).exists()
    html = client.get(reverse("sensors:device_detail", args=[door.pk])).content.decode()
    assert 'data-active="0"' in html and "老人搬去养老院" in html
    response = client.post(url, {"reason": "again"})
    assert response.status_code == 400 and field_of_error(response.content.decode()) == "status"


def test_a_removed_device_can_be_installed_again(client, personas, street, door):
    devices.remove_device(personas["admin"], door, "battery swap")
    client.force_login(personas["xiaowang"])
    client.post(reverse("sensors:device_install", args=[door.pk]), {"dwelling": street.dwelling_a1.code})
    door.refresh_from_db()
    assert door.active and list(door.residents.all()) == [personas["zhang_record"]]
    assert Installation.objects.filter(device=door).count() == 2


def test_the_device_health_page_links_managers_to_device_pages(client, personas, door):
    client.force_login(personas["xiaowang"])
    html = client.get(reverse("sensors:devices")).content.decode()
    assert reverse("sensors:device_detail", args=[door.pk]) in html and 'data-testid="unknown-link"' in html
    client.force_login(personas["li"])
    html = client.get(reverse("sensors:devices")).content.decode()
    assert reverse("sensors:device_detail", args=[door.pk]) not in html


def test_the_lists_are_a_fixed_number_of_queries(
    client, personas, street, gateway, django_assert_max_num_queries
):
    for n in range(30):
        seen(f"stray-{n}", n)
    for n in range(20):
        devices.register_device(
            None,
            vendor_id=f"0xbulk{n}",
            friendly_name=f"bulk-{n}",
            gateway=gateway,
            dwelling=street.dwelling_a1,
        )
    client.force_login(personas["chen"])
    with django_assert_max_num_queries(8):
        html = client.get(reverse("sensors:unknown_devices")).content.decode()
    assert html.count('data-testid="unknown-row"') == 30
    with django_assert_max_num_queries(8):
        html = client.get(reverse("sensors:devices")).content.decode()
    assert html.count('data-testid="device-row"') == 20
    unknown = UnknownDevice.objects.first()
    with django_assert_max_num_queries(10):
        client.get(reverse("sensors:bind_device", args=[unknown.pk]), {"q": "小区"})
    device = Device.objects.first()
    with django_assert_max_num_queries(12):
        client.get(reverse("sensors:device_detail", args=[device.pk]), {"q": "小区"})


def test_the_api_binds_moves_and_removes_naming_the_field(client, personas, street, unknown, door):
    client.force_login(personas["li"])
    assert client.get("/api/sensors/unknown-devices").status_code == 404
    client.force_login(personas["chen"])
    (row,) = client.get("/api/sensors/unknown-devices").json()
    url = f"/api/sensors/unknown-devices/{row['id']}/bind"
    response = client.post(url, {"dwelling": street.dwelling_b1.code}, content_type="application/json")
    assert response.status_code == 400 and response.json()["error"]["field"] == "dwelling"
    response = client.post(
        url, {"dwelling": street.dwelling_a1.code, "vendor_id": "0xa2"}, content_type="application/json"
    )
    assert response.status_code == 200
    bound = response.json()
    assert (
        bound["residents"] == [personas["zhang_record"].pk] and bound["dwelling"] == street.dwelling_a1.code
    )
    response = client.post(
        f"/api/sensors/devices/{bound['id']}/install",
        {"dwelling": street.dwelling_a2.code},
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["residents"] == []
    response = client.post(f"/api/sensors/devices/{bound['id']}/remove", {}, content_type="application/json")
    assert response.status_code == 400
    response = client.post(
        f"/api/sensors/devices/{bound['id']}/remove", {"reason": "坏了"}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["active"] is False
    client.force_login(personas["outsider"])
    response = client.post(
        f"/api/sensors/devices/{door.pk}/remove", {"reason": "x"}, content_type="application/json"
    )
    assert response.status_code == 404
