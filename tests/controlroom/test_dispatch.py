"""Dispatch and escalation, on a frozen clock: the posted operator is told, an alarm nobody
acknowledges goes to the backups, an acknowledged one goes nowhere."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from havenwatch.controlroom import evaluation
from havenwatch.controlroom.models import Alarm, AlarmEntry, OperatorPost
from havenwatch.controlroom.services.alarms import alarm_acknowledge, alarm_close, escalate_due
from havenwatch.controlroom.services.ingestion import events_ingest
from havenwatch.controlroom.services.rules import rule_save, sop_save
from havenwatch.core import clock, events
from havenwatch.core.choices import Role
from havenwatch.core.models import AuditRecord, Notification
from tests.controlroom.factories import fence, sender
from tests.factories import principal

pytestmark = pytest.mark.django_db
NIGHT = datetime(2026, 11, 21, 23, 10, tzinfo=UTC)  # Sunday 00:10 in Antwerp


@pytest.fixture(autouse=True)
def fresh_engine():
    evaluation.reset()
    yield
    evaluation.reset()


@pytest.fixture
def raised(world):
    with clock.frozen(NIGHT) as frozen:
        rule_save(actor=world.pso(), port=world.port, text="code: fence\nkind: single\ntitle: Fence alarm\n"
                                                            "priority: 1\nsop: fence\nwhen: {kind: fence.alarm}\n")
        sop_save(actor=world.pso(), port=world.port, code="fence", title="Fence", steps=["Look", "Send patrol"])
        night = principal(Role.CONTROL_ROOM_OPERATOR, world.operator)
        day = principal(Role.CONTROL_ROOM_OPERATOR, world.operator)
        backup = principal(Role.CONTROL_ROOM_OPERATOR, world.authority)
        officer = principal(Role.FACILITY_SECURITY_OFFICER, world.operator)
        OperatorPost.objects.create(port=world.port, facility=world.facility, organisation=world.operator,
                                    user=night.user, hours={"sun": [["00:00", "08:00"]]})
        OperatorPost.objects.create(port=world.port, facility=world.facility, organisation=world.operator,
                                    user=day.user, hours={"sun": [["08:00", "20:00"]]})
        OperatorPost.objects.create(port=world.port, organisation=world.authority, user=backup.user, backup=True)
        device = fence(world.facility)
        events_ingest(actor=sender(world.pfso(), [device]), events=[
            {"device": "F-12", "event_id": "1", "kind": "fence.alarm", "occurred_at": NIGHT}])
        evaluation.run()
        events.run_consumers_once()
        yield world, Alarm.objects.get(), frozen, {"night": night, "day": day, "backup": backup,
                                                    "officer": officer}


def told(person, kind):
    return Notification.objects.filter(user=person.user, kind=kind).count()


def test_the_operator_on_shift_for_the_area_is_told_and_not_the_one_off_shift(raised):
    world, alarm, frozen, people = raised
    assert told(people["night"], "controlroom.alarm") == 1
    assert told(people["day"], "controlroom.alarm") == 0
    assert told(people["backup"], "controlroom.alarm") == 0
    note = Notification.objects.get(user=people["night"].user)
    assert note.link == f"/controlroom/alarms/{alarm.pk}/"


def test_an_alarm_nobody_acknowledges_escalates_to_the_backups_once_per_deadline(raised):
    world, alarm, frozen, people = raised
    frozen.advance(seconds=119)
    assert escalate_due() == 0
    frozen.advance(seconds=2)
    assert escalate_due() == 1
    assert escalate_due() == 0  # a new deadline is set
    events.run_consumers_once()
    alarm.refresh_from_db()
    assert alarm.escalation == 1 and alarm.acknowledge_by == clock.now() + timedelta(minutes=2)
    assert told(people["backup"], "controlroom.escalation") == 1
    assert AuditRecord.objects.filter(code="controlroom.alarm.escalated").count() == 1
    frozen.advance(minutes=3)
    assert escalate_due() == 1
    alarm.refresh_from_db()
    assert alarm.escalation == 2


def test_an_acknowledged_alarm_does_not_escalate_and_a_skipped_step_tells_the_officers(raised):
    world, alarm, frozen, people = raised
    alarm_acknowledge(actor=people["night"], alarm=alarm)
    frozen.advance(minutes=10)
    assert escalate_due() == 0
    alarm_close(actor=people["night"], alarm=alarm, reason="A bird on the fence; camera confirms")
    events.run_consumers_once()
    assert list(AlarmEntry.objects.filter(alarm=alarm, kind="step_skipped").values_list("step", flat=True)) == [0, 1]
    assert told(people["officer"], "controlroom.step_skipped") == 2
    assert told(people["backup"], "controlroom.escalation") == 0


def test_a_silent_camera_gets_one_silence_event_and_an_absence_alarm(world):
    from havenwatch.controlroom.jobs import silent_devices
    from havenwatch.controlroom.models import SensorEvent
    from tests.controlroom.factories import camera

    with clock.frozen(NIGHT) as frozen:
        rule_save(actor=world.pso(), port=world.port, text="code: camera-silent\nkind: absence\n"
                                                            "title: Camera silent\ndevices: [thermal_camera]\n")
        cam = camera(world.facility, silent_after=15)
        fence(world.facility, silent_after=15)  # not a camera: silent, but no alarm
        events_ingest(actor=sender(world.pfso(), [cam]), events=[
            {"device": "CAM-1", "event_id": "hb", "kind": "device.heartbeat", "occurred_at": NIGHT}])
        frozen.advance(minutes=14)
        assert silent_devices() == 0
        frozen.advance(minutes=2)
        assert silent_devices() == 2  # the camera, and the fence registered and never heard
        assert silent_devices() == 0  # the same silence is written once
        assert SensorEvent.objects.filter(kind="device.silent").count() == 2
        alarm = Alarm.objects.get()
        assert (alarm.rule_code, alarm.device_id) == ("camera-silent", cam.pk)


def test_the_operator_told_gets_an_email_in_their_language_with_links_and_the_gateway_an_event(world, mailoutbox):
    import base64
    import io

    from PIL import Image

    from havenwatch.core.models import OutboxEvent

    with clock.frozen(NIGHT):
        rule_save(actor=world.pso(), port=world.port, text="code: person\nkind: single\ntitle: Person on thermal\n"
                                                            "priority: 1\nwhen: {kind: camera.detection}\n")
        from tests.controlroom.factories import camera

        cam = camera(world.facility)
        operator = principal(Role.CONTROL_ROOM_OPERATOR, world.operator)
        operator.user.email, operator.user.preferred_language = "nachtdienst@terminal.example", "nl"
        operator.user.save()
        out = io.BytesIO()
        Image.new("RGB", (8, 8)).save(out, format="JPEG")
        events_ingest(actor=sender(world.pfso(), [cam]), events=[
            {"device": "CAM-1", "event_id": "1", "kind": "camera.detection", "occurred_at": NIGHT,
             "attributes": {"label": "person"}, "snapshot": base64.b64encode(out.getvalue()).decode()}])
        evaluation.run()
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr("django.db.transaction.on_commit", lambda f, *a, **k: f())
            events.run_consumers_once()
    alarm = Alarm.objects.get()
    [mail] = mailoutbox
    assert mail.to == ["nachtdienst@terminal.example"] and f"#{alarm.pk}" in mail.subject
    assert "Nieuw alarm" in mail.subject and "Open het alarm" in mail.body  # the operator reads Dutch
    assert f"/controlroom/alarms/{alarm.pk}/" in mail.body and "/controlroom/s/" in mail.body
    notify = OutboxEvent.objects.get(type="controlroom.alarm.notify")
    [recipient] = notify.payload["recipients"]
    assert recipient["username"] == operator.user.username and len(recipient["snapshots"]) == 1
    assert AuditRecord.objects.filter(code="controlroom.alarm.notify").count() == 1


def test_a_snapshot_link_opens_only_for_its_person_signed_in_and_expires(world, client):
    from havenwatch.controlroom import links
    from havenwatch.controlroom.models import SensorEvent, Snapshot
    from tests.controlroom.factories import camera
    from tests.core.test_api import session_for

    cam = camera(world.facility)
    now = clock.now()
    event = SensorEvent.objects.create(device=cam, port=world.port, facility=world.facility, owner=world.operator,
                                       external_id="x", kind="camera.detection", occurred_at=now, received_at=now,
                                       has_snapshot=True)
    Snapshot.objects.create(event=event, content_type="image/jpeg", data=b"\xff\xd8\xff jpeg", size=8, sha256="0")
    alarm = Alarm.objects.create(port=world.port, facility=world.facility, owner=world.operator, rule_code="r",
                                 rule_version=1, title="T", priority=1, suppress_key="k", first_event_at=now,
                                 last_event_at=now, raised_at=now, acknowledge_by=now)
    alarm.links.create(event=event)
    operator = principal(Role.CONTROL_ROOM_OPERATOR, world.operator)
    other = principal(Role.CONTROL_ROOM_OPERATOR, world.operator)
    foreign = principal(Role.CONTROL_ROOM_OPERATOR, world.foreign_operator)
    path = links.snapshot_url(event.pk, operator.user.pk).split("8000", 1)[1]
    assert client.get(path).status_code == 302  # sign in first
    assert session_for(operator).get(path).status_code == 200
    assert session_for(other).get(path).status_code == 404  # forwarded
    foreign_path = links.snapshot_url(event.pk, foreign.user.pk).split("8000", 1)[1]
    assert session_for(foreign).get(foreign_path).status_code == 404  # may not see the alarm
    assert session_for(operator).get(path[:-3] + "xx/").status_code == 404
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(links, "MAX_AGE", -1)
        assert session_for(operator).get(path).status_code == 410
