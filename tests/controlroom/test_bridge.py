"""The other apps' refusals reach the control room through the outbox as events of
platform devices, so that rules count them like any sensor's."""

from __future__ import annotations

import pytest

from havenwatch.controlroom import evaluation
from havenwatch.controlroom.models import Alarm, Device, SensorEvent
from havenwatch.controlroom.services.rules import rule_save
from havenwatch.core import events

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_engine():
    evaluation.reset()
    yield
    evaluation.reset()


def decision(world, granted, reasons, point="G1", priority=3, type="access.decision"):
    payload = {"access_point": point, "granted": granted, "reasons": reasons, "plate": "1ABC123",
               "direction": "in", "credential": "B-1"}
    if type == "release.pickup":
        payload = {"container": "CSQU3054383", "granted": granted, "reasons": reasons, "plate": ""}
    events.publish(type=type, organisation_id=world.operator.pk, port_id=world.port.pk,
                   facility_id=world.facility.pk, payload=payload, priority=priority)


def test_five_denied_badges_at_one_gate_raise_the_threshold_alarm_and_grants_are_not_bridged(world):
    rule_save(actor=world.pso(), port=world.port, text=(
        "code: denied-badges\nkind: threshold\ntitle: Five denied badges at one gate\npriority: 2\n"
        "when: {kind: access.denied}\ncount: 5\nwithin: 10m\nper: device\n"))
    for _ in range(4):
        decision(world, False, ["unknown_credential"])
    decision(world, True, [])
    decision(world, False, ["expired"], point="G2")
    events.run_consumers_once()
    evaluation.run()
    assert not Alarm.objects.exists()
    decision(world, False, ["blocked"])
    events.run_consumers_once()
    evaluation.run()
    alarm = Alarm.objects.get()
    assert alarm.device.code == f"{world.facility.isps_number}/GATE-G1" and alarm.device.kind == "platform"
    assert SensorEvent.objects.filter(kind="access.denied").count() == 6
    assert Device.objects.filter(kind="platform").count() == 2


def test_a_ban_hit_and_a_pickup_fraud_get_kinds_of_their_own_and_are_bridged_once(world):
    decision(world, False, ["port_ban"])
    decision(world, False, ["wrong_driver"], priority=1, type="release.pickup")
    decision(world, False, ["not_discharged"], priority=3, type="release.pickup")
    events.run_consumers_once()
    events.run_consumers_once()
    kinds = sorted(SensorEvent.objects.values_list("kind", flat=True))
    assert kinds == ["access.ban_hit", "release.fraud", "release.refused"]
