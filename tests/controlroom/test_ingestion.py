"""Ingestion: events in, durably and once, from the devices a sender speaks for."""

from __future__ import annotations

import base64
import io
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image

from havenwatch.controlroom.models import Device, SensorEvent, Snapshot
from havenwatch.controlroom.services.devices import device_retire
from havenwatch.controlroom.services.ingestion import events_ingest
from havenwatch.core import clock
from havenwatch.core.errors import PermissionRefused, ValidationFailed
from tests.controlroom.factories import camera, fence, sender

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 21, 23, 10, tzinfo=UTC)


@pytest.fixture
def frozen():
    with clock.frozen(NOW) as f:
        yield f


def event(n=1, device="F-12", kind="fence.alarm", at=None, **more):
    return {"device": device, "event_id": f"e-{n}", "kind": kind, "occurred_at": at or NOW - timedelta(seconds=5),
            "attributes": {"zone": "north"}, **more}


def jpeg_with_exif() -> bytes:
    image = Image.new("RGB", (16, 12), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "SecretCam Inc."  # Make
    exif[0x8825] = {2: (51.0, 17.0, 0.0)}  # GPS
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def test_a_batch_is_stored_once_and_the_same_events_again_are_listed_as_duplicates(world, frozen):
    f12 = fence(world.facility)
    gateway = sender(world.pfso(), [f12])
    first = events_ingest(actor=gateway, events=[event(n) for n in range(1, 4)])
    assert (first.accepted, first.duplicates) == (3, [])
    again = events_ingest(actor=gateway, events=[event(n) for n in range(2, 6)])
    assert (again.accepted, sorted(again.duplicates)) == (2, ["e-2", "e-3"])
    stored = SensorEvent.objects.filter(device=f12)
    assert stored.count() == 5
    row = stored.get(external_id="e-1")
    assert (row.port_id, row.facility_id, row.owner_id) == (world.port.pk, world.facility.pk, world.operator.pk)
    assert row.received_at == NOW and row.attributes == {"zone": "north"}
    assert Device.objects.get(pk=f12.pk).last_seen_at == NOW - timedelta(seconds=5)


def test_one_bad_row_refuses_the_batch_naming_every_row_and_writes_nothing(world, frozen):
    f12 = fence(world.facility)
    gateway = sender(world.pfso(), [f12])
    rows = [event(1), event(2, kind="Fence Alarm"), event(3, device="NOPE"),
            event(4, at=NOW + timedelta(hours=1)), event(5, attributes={"position": [999, 1]}),
            {**event(6), "event_id": "has space"}]
    with pytest.raises(ValidationFailed) as refused:
        events_ingest(actor=gateway, events=rows)
    errors = refused.value.errors
    assert [(e["index"], e["field"]) for e in errors] == [
        (1, "kind"), (2, "device"), (3, "occurred_at"), (4, "attributes.position"), (5, "event_id")]
    assert "5 of 6 events are refused" in str(refused.value.message)
    assert not SensorEvent.objects.exists()
    assert Device.objects.get(pk=f12.pk).last_seen_at is None


def test_a_token_speaks_only_for_its_own_devices(world, frozen):
    mine, other = fence(world.facility), fence(world.facility, code="F-13")
    gateway = sender(world.pfso(), [mine])
    with pytest.raises(ValidationFailed) as refused:
        events_ingest(actor=gateway, events=[event(1, device="F-13")])
    assert refused.value.errors[0]["code"] == "unknown_device"
    foreign = fence(world.foreign_facility, code="F-12")
    with pytest.raises(ValidationFailed):
        events_ingest(actor=gateway, events=[{**event(1), "device": None, "device_id": foreign.pk}])
    assert not SensorEvent.objects.exists() and other.pk


def test_a_retired_device_is_heard_no_more(world, frozen):
    f12 = fence(world.facility)
    gateway = sender(world.pfso(), [f12])
    device_retire(actor=world.pfso(), device=f12, reason="Fence replaced")
    with pytest.raises(ValidationFailed) as refused:
        events_ingest(actor=gateway, events=[event(1)])
    assert refused.value.errors[0]["code"] == "device_retired"


def test_heartbeats_say_a_device_lives_and_are_not_stored(world, frozen):
    f12 = fence(world.facility)
    result = events_ingest(actor=sender(world.pfso(), [f12]), events=[event(1, kind="device.heartbeat", at=NOW)])
    assert (result.accepted, result.heartbeats) == (0, 1)
    assert not SensorEvent.objects.exists()
    assert Device.objects.get(pk=f12.pk).last_seen_at == NOW


def test_a_snapshot_is_stored_without_its_metadata(world, frozen):
    cam = camera(world.facility)
    data = jpeg_with_exif()
    assert b"SecretCam" in data
    events_ingest(actor=sender(world.pfso(), [cam]), events=[
        event(1, device="CAM-1", kind="camera.detection", snapshot=base64.b64encode(data).decode())])
    snapshot = Snapshot.objects.get()
    stored = bytes(snapshot.data)
    assert snapshot.content_type == "image/jpeg" and b"SecretCam" not in stored and b"Exif" not in stored
    assert Image.open(io.BytesIO(stored)).size == (16, 12)
    assert SensorEvent.objects.get().has_snapshot


@pytest.mark.parametrize("payload, words", [
    (base64.b64encode(b"%PDF-1.7 not an image").decode(), "not a JPEG or PNG"),
    (base64.b64encode(b"\xff\xd8\xff\xe0 truncated").decode(), "does not decode"),
    ("***", "not valid base64"),
])
def test_a_snapshot_that_is_not_what_it_claims_is_refused(world, frozen, payload, words):
    cam = camera(world.facility)
    with pytest.raises(ValidationFailed) as refused:
        events_ingest(actor=sender(world.pfso(), [cam]), events=[
            event(1, device="CAM-1", kind="camera.detection", snapshot=payload)])
    assert words in refused.value.errors[0]["message"]
    assert not SensorEvent.objects.exists() and not Snapshot.objects.exists()


def test_batches_are_bounded_and_a_person_without_ingest_is_refused(world, frozen):
    f12 = fence(world.facility)
    gateway = sender(world.pfso(), [f12])
    with pytest.raises(ValidationFailed, match="At most 5000"):
        events_ingest(actor=gateway, events=[event(n) for n in range(5001)])
    from havenwatch.core.choices import Role
    from tests.factories import principal

    with pytest.raises(PermissionRefused):
        events_ingest(actor=principal(Role.CONTROL_ROOM_OPERATOR, world.operator), events=[event(1)])


def test_a_gateway_batch_across_hundreds_of_devices_marks_each_one_seen(world, frozen):
    devices = [fence(world.facility, code=f"F-{n}") for n in range(250)]
    gateway = sender(world.pfso(), devices)
    result = events_ingest(actor=gateway, events=[event(n, device=f"F-{n}", kind="device.heartbeat", at=NOW)
                                                  for n in range(250)])
    assert result.heartbeats == 250
    assert Device.objects.filter(last_seen_at=NOW).count() == 250
