"""The control room of the demo port: what the seeder leaves, and the simulated sensors."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

# Importing the scenario registers it, and (through the seed it reads) the seeder, until apps.py does.
from havenwatch.controlroom import evaluation, simulation  # noqa: F401
from havenwatch.controlroom.choices import AlarmState, DeviceKind, RuleStatus
from havenwatch.controlroom.models import (
    Alarm,
    AlarmEvent,
    Device,
    OperatorPost,
    Rule,
    SensorEvent,
    Sop,
    Watchlist,
)
from havenwatch.controlroom.services.rules import compile_text
from havenwatch.core import clock
from havenwatch.core.audit import verify_chain
from havenwatch.core.models import Facility
from havenwatch.core.principal import system_principal
from havenwatch.core.simulation.engine import Simulator
from havenwatch.demo.generator import SeedContext, seed
from havenwatch.demo.registry import seeders
from havenwatch.demo.scales import SCALES

# A Saturday, 15:00 in Antwerp: the seeded day spans last night.
SEEDED_AT = datetime(2026, 11, 21, 14, 0, tzinfo=UTC)
# A Saturday night, 23:30 in Antwerp: foxes about, an intrusion first.
NIGHT = datetime(2026, 11, 21, 22, 30, tzinfo=UTC)
STEP = 10


@pytest.fixture(autouse=True)
def fresh_engine():
    evaluation.reset()
    yield
    evaluation.reset()


@pytest.mark.django_db
def test_the_demo_port_has_a_working_control_room_with_a_day_of_alarms():
    with clock.frozen(SEEDED_AT):
        seed(scale="small", seed=1)

    facilities = list(Facility.objects.order_by("pk"))
    for facility in facilities:
        kinds = Counter(Device.objects.filter(facility=facility).values_list("kind", flat=True))
        assert kinds[DeviceKind.FENCE] >= 4
        assert 2 <= kinds[DeviceKind.THERMAL_CAMERA] + kinds[DeviceKind.CAMERA] <= 4
        assert kinds[DeviceKind.ANPR_CAMERA] == 1 and kinds[DeviceKind.ALARM_PANEL] == 1
    cameras = Device.objects.filter(kind__in=[DeviceKind.THERMAL_CAMERA, DeviceKind.CAMERA])
    assert all(c.field_of_view["type"] == "Polygon" and c.external_name for c in cameras)
    assert all(f.geometry["type"] == "LineString" for f in Device.objects.filter(kind=DeviceKind.FENCE))
    panels = Device.objects.filter(kind=DeviceKind.ALARM_PANEL).order_by("pk")
    assert [p.external_name for p in panels] == [str(3456 + n) for n in range(len(facilities))]
    assert Device.objects.filter(kind=DeviceKind.DRONE_DETECTOR, facility__isnull=True).count() == 1
    assert not Device.objects.filter(last_seen_at__isnull=True).exists()  # every device has been heard

    rules = Rule.objects.filter(status=RuleStatus.ACTIVE)
    assert set(rules.values_list("code", flat=True)) == {
        "fence-alarm", "verified-intrusion", "denied-badges", "watchlisted-plate", "drone-over-terminal",
        "panel-burglary", "camera-silent"}
    for rule in rules:
        assert compile_text(rule.text).code == rule.code
    drone = compile_text(rules.get(code="drone-over-terminal").text)
    assert len(drone.polygons) == len(facilities)  # the small port's facilities are all terminals
    sops = {s.code: s.steps for s in Sop.objects.all()}
    assert set(sops) == {"intrusion", "drone", "plate", "fence"}
    assert all(3 <= len(steps) <= 5 for steps in sops.values())
    plates = Watchlist.objects.get(code="plates").entries.order_by("value")
    assert [e.value for e in plates] == ["1DPL905", "1KZW482", "2HTR731"]  # kept as cameras read them
    assert all(e.note for e in plates)
    posts = list(OperatorPost.objects.values_list("user__username", "backup"))
    assert sorted(posts) == [("operator", False), ("operator", False), ("pso", True)]  # day, night, backup

    events = SensorEvent.objects.all()
    assert 150 <= events.count() <= 250
    assert all(SEEDED_AT - timedelta(hours=24) <= e.occurred_at <= SEEDED_AT for e in events)
    states = Counter(Alarm.objects.values_list("state", flat=True))
    assert set(states) == set(AlarmState.values)  # the queue shows every state
    assert states[AlarmState.FALSE_ALARM] == 1
    intrusion = Alarm.objects.get(rule_code="verified-intrusion")
    assert intrusion.state == AlarmState.RESOLVED and intrusion.priority == 1
    assert intrusion.entries.filter(kind="step_done").count() == len(intrusion.sop_steps) == 5
    assert Alarm.objects.filter(rule_code="fence-alarm", state=AlarmState.NEW, count__gt=1).exists()  # grouped
    assert verify_chain().ok


def _small_control_room() -> None:
    """The core's seeder (ports, facilities, users) and the control room's: all the
    scenario needs, without the other apps' seeding."""
    ctx = SeedContext(scale=SCALES["small"], seed=1, rng=random.Random(1), actor=system_principal("demo-seed"))
    for item in seeders():
        if item.name in ("core", "controlroom"):
            item.func(ctx)


@pytest.mark.django_db
def test_simulated_sensors_raise_a_verified_intrusion_and_never_an_alarm_for_a_fox():
    with clock.frozen(NIGHT) as frozen:
        _small_control_room()
        seeded = Alarm.objects.order_by("-pk").values_list("pk", flat=True).first()
        last_seeded_event = SensorEvent.objects.order_by("-pk").values_list("pk", flat=True).first()
        simulator = Simulator(seed=1, start=NIGHT, only=["controlroom.sensors"])
        for _step in range(int(15 * 60 / STEP)):
            frozen.advance(seconds=STEP)
            simulator.advance(STEP)
        assert not simulator.errors, simulator.errors

    raised = Alarm.objects.filter(pk__gt=seeded)
    intrusion = raised.get(rule_code="verified-intrusion")
    kinds = [link.event.kind for link in AlarmEvent.objects.filter(alarm=intrusion).select_related("event")]
    assert kinds[0] == "fence.alarm" and "camera.detection" in kinds
    assert intrusion.first_event_at <= NIGHT + timedelta(minutes=3)  # a newcomer sees it at once
    noise = SensorEvent.objects.filter(pk__gt=last_seeded_event)
    wildlife = [e.pk for e in noise.filter(kind="camera.detection") if e.attributes.get("label") in ("fox", "bird")]
    assert wildlife and noise.filter(kind="anpr.read").exists()
    assert not AlarmEvent.objects.filter(event_id__in=wildlife).exists()
