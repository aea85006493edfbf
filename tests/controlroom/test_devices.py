"""The device registry: who registers what where, what a device's place must look like,
and the tokens devices send events with."""

from __future__ import annotations

import pytest

from havenwatch.controlroom.choices import DeviceKind
from havenwatch.controlroom.models import Device, DeviceCredential
from havenwatch.controlroom.services.devices import (
    device_register,
    device_retire,
    device_token_issue,
    device_update,
)
from havenwatch.core.choices import Role
from havenwatch.core.errors import Conflict, PermissionRefused, ValidationFailed
from havenwatch.core.models import ApiToken, AuditRecord, OutboxEvent
from tests.controlroom.factories import DeviceFactory
from tests.factories import principal

pytestmark = pytest.mark.django_db

POINT = {"type": "Point", "coordinates": [4.30, 51.28]}
LINE = {"type": "LineString", "coordinates": [[4.30, 51.28], [4.31, 51.28]]}


def register(world, actor=None, **overrides):
    fields = {"actor": actor or world.pfso(), "port": world.port, "facility": world.facility,
              "kind": DeviceKind.FENCE, "code": "f-12", "name": "Fence segment 12, north quay", "geometry": LINE}
    fields.update(overrides)
    return device_register(**fields)


def test_the_facility_officer_registers_a_fence_segment_owned_by_its_operator(world):
    device = register(world)
    assert (device.code, device.owner_id, device.port_id) == ("F-12", world.operator.pk, world.port.pk)
    record = AuditRecord.objects.get(code="controlroom.device.registered")
    assert record.data["facility"] == world.facility.isps_number
    assert OutboxEvent.objects.filter(type="controlroom.device.registered", organisation_id=world.operator.pk).exists()


def test_an_authority_registers_the_ports_own_device(world):
    radar = register(world, actor=world.pso(), facility=None, kind=DeviceKind.RADAR, code="RAD-1",
                     name="Breakwater radar", geometry=POINT)
    assert radar.facility is None and radar.owner_id == world.authority.pk


@pytest.mark.parametrize("overrides, field, words", [
    ({"geometry": POINT}, "geometry", "LineString"),
    ({"kind": DeviceKind.CAMERA, "geometry": LINE}, "geometry", "Point"),
    ({"geometry": {"type": "Point", "coordinates": [200, 51]}}, "geometry", "out of range"),
    ({"kind": "toaster"}, "kind", "kind of device"),
    ({"code": "  "}, "code", "code"),
    ({"silent_after": 0}, "silent_after", "1 minute to 7 days"),
    ({"kind": DeviceKind.CAMERA, "geometry": POINT, "field_of_view": LINE}, "field_of_view", "Polygon"),
])
def test_a_device_that_cannot_be_placed_is_refused_with_the_field_and_nothing_is_written(world, overrides, field,
                                                                                       words):
    with pytest.raises(ValidationFailed, match=words) as refused:
        register(world, **overrides)
    assert refused.value.field == field
    assert not Device.objects.exists() and not AuditRecord.objects.filter(code__startswith="controlroom.").exists()


def test_a_code_is_unique_in_the_port(world):
    register(world)
    with pytest.raises(Conflict, match="has a device F-12 already"):
        register(world, code="F-12")


def test_another_facility_cannot_register_here_and_a_guard_cannot_at_all(world):
    with pytest.raises(PermissionRefused, match="Only the operator of"):
        register(world, actor=world.foreign_pfso())
    with pytest.raises(PermissionRefused):
        register(world, actor=principal(Role.GATE_GUARD, world.operator))
    with pytest.raises(ValidationFailed, match="is not in"):
        register(world, facility=world.foreign_facility)


def test_a_device_is_changed_then_retired_and_a_retired_one_cannot_change(world):
    device = register(world)
    device_update(actor=world.pfso(), device=device, name="Fence 12", silent_after=30)
    assert AuditRecord.objects.get(code="controlroom.device.updated").data["changes"] == ["name", "silent_after"]
    device_update(actor=world.pfso(), device=device, name="Fence 12")  # no change: nothing recorded
    assert AuditRecord.objects.filter(code="controlroom.device.updated").count() == 1
    with pytest.raises(ValidationFailed, match="cannot be changed: code"):
        device_update(actor=world.pfso(), device=device, code="X")
    with pytest.raises(ValidationFailed, match="Say why"):
        device_retire(actor=world.pfso(), device=device, reason=" ")
    device_retire(actor=world.pfso(), device=device, reason="replaced by a thermal camera")
    with pytest.raises(Conflict, match="retired"):
        device_update(actor=world.pfso(), device=device, name="Again")


def test_a_gateway_token_speaks_for_its_devices_only_and_is_shown_once(world):
    cameras = [DeviceFactory(facility=world.facility) for _ in range(3)]
    token, raw = device_token_issue(actor=world.pfso(), devices=cameras, name="north quay gateway")
    assert raw.startswith("hw_") and token.permissions == ["controlroom.ingest"]
    assert token.token_hash != raw and raw not in str(ApiToken.objects.filter(pk=token.pk).values().first())
    assert sorted(DeviceCredential.objects.filter(token=token).values_list("device_id", flat=True)) == sorted(
        c.pk for c in cameras)
    record = AuditRecord.objects.get(code="controlroom.device.token_issued")
    assert len(record.data["devices"]) == 3
    assert not OutboxEvent.objects.filter(type="controlroom.device.token_issued").exists()


def test_a_token_is_refused_across_owners_for_retired_devices_and_to_others(world):
    own = DeviceFactory(facility=world.facility)
    foreign = DeviceFactory(facility=world.foreign_facility)
    with pytest.raises(ValidationFailed, match="one owner"):
        device_token_issue(actor=world.pfso(), devices=[own, foreign], name="mixed")
    with pytest.raises(PermissionRefused):
        device_token_issue(actor=world.foreign_pfso(), devices=[own], name="not theirs")
    device_retire(actor=world.pfso(), device=own, reason="broken")
    with pytest.raises(Conflict, match="retired"):
        device_token_issue(actor=world.pfso(), devices=[own], name="late")
    assert not ApiToken.objects.filter(name__in=["mixed", "not theirs", "late"]).exists()
