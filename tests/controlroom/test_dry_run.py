""""Would this rule have fired?": a rule's text over the stored events of a period, grouped
as alarms are, reading only what the officer may see and writing nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from havenwatch.controlroom import evaluation
from havenwatch.controlroom.models import Alarm, AlarmEntry, AlarmEvent, Rule
from havenwatch.controlroom.services.dry_run import rule_dry_run
from havenwatch.controlroom.services.ingestion import events_ingest
from havenwatch.controlroom.services.rules import rule_save, watchlist_change, watchlist_save
from havenwatch.core import clock
from havenwatch.core.choices import Role
from havenwatch.core.errors import PermissionRefused, ValidationFailed
from havenwatch.core.models import AuditRecord, OutboxEvent
from tests.controlroom.factories import camera, fence, sender
from tests.factories import principal

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 21, 23, 10, tzinfo=UTC)
WEEK = timedelta(days=7)

INTRUSION = """
code: verified-intrusion
kind: correlation
title: Verified intrusion over the fence
priority: 1
when:
  - kind: fence.alarm
  - kind: camera.detection
    where: {label: person, score: ">= 0.7"}
within: 60s
near: 150m
"""
FENCE = """
code: fence-alarm
kind: single
title: Fence alarm
priority: 3
when: {kind: fence.alarm}
suppress: {per: device, for: 10m}
"""
PLATES = """
code: listed-plate
kind: watchlist
title: Listed plate at the gate
priority: 2
when: {kind: anpr.read}
watchlist: stolen-plates
"""


@pytest.fixture(autouse=True)
def fresh_engine():
    evaluation.reset()
    yield
    evaluation.reset()


@pytest.fixture
def site(world):
    with clock.frozen(NOW):
        f12, cam = fence(world.facility), camera(world.facility)
        far = camera(world.facility, code="CAM-FAR", at=(4.40, 51.30))
        gate = camera(world.facility, code="ANPR-1", kind="anpr_camera")
        gateway = sender(world.pfso(), [f12, cam, far, gate])
        yield world, gateway


def send(gateway, *rows, at=NOW):
    """Events (device code, event id, kind, minutes before NOW, attributes) as a gateway sends
    them at ``at``."""
    with clock.frozen(at):
        return events_ingest(actor=gateway, events=[
            {"device": device, "event_id": eid, "kind": kind, "occurred_at": NOW - timedelta(minutes=ago),
             "attributes": attributes} for device, eid, kind, ago, attributes in rows])


def dry_run(world, text, actor=None, **kwargs):
    kwargs.setdefault("since", NOW - WEEK)
    kwargs.setdefault("until", NOW)
    return rule_dry_run(actor=actor or world.pso(), port=world.port, text=text, **kwargs)


def test_an_unsaved_rule_fires_on_last_weeks_events_with_its_events(site):
    world, gateway = site
    send(gateway, ("F-12", "f1", "fence.alarm", 3 * 24 * 60, {}),
         ("CAM-1", "c1", "camera.detection", 3 * 24 * 60 - 0.5, {"label": "person", "score": 0.91}))
    alarms = dry_run(world, INTRUSION)
    assert not Rule.objects.exists()  # the rule exists only as text
    assert len(alarms) == 1
    alarm = alarms[0]
    assert alarm["count"] == 1 and alarm["device_code"] == "F-12"
    assert alarm["first_event_at"] == NOW - timedelta(days=3)
    assert alarm["last_event_at"] == NOW - timedelta(days=3) + timedelta(seconds=30)
    assert len(alarm["events"]) == 2 and alarm["position"]["type"] == "Point"


@pytest.mark.parametrize("label, score, device", [("fox", 0.95, "CAM-1"), ("person", 0.4, "CAM-1"),
                                                  ("person", 0.9, "CAM-FAR")])
def test_what_does_not_correlate_would_not_have_fired(site, label, score, device):
    world, gateway = site
    send(gateway, ("F-12", "f1", "fence.alarm", 60, {}),
         (device, "c1", "camera.detection", 59.8, {"label": label, "score": score}))
    assert dry_run(world, INTRUSION) == []


def test_only_the_period_counts(site):
    world, gateway = site
    send(gateway, ("F-12", "old", "fence.alarm", 8 * 24 * 60, {}), at=NOW - timedelta(days=8))
    send(gateway, ("F-12", "new", "fence.alarm", 0, {}))
    assert dry_run(world, FENCE) == []  # one before the week, one at its (excluded) end
    assert len(dry_run(world, FENCE, since=NOW - 2 * WEEK, until=NOW + timedelta(minutes=1))) == 2


def test_firings_close_together_are_one_alarm_with_a_count_as_suppression_groups_them(site):
    world, gateway = site
    # three gusts on F-12 within ten minutes of each other, then a quiet hour, then one more;
    # 7 minutes apart each: each joins while it comes less than 10 minutes after the last
    send(gateway, ("F-12", "g1", "fence.alarm", 120, {}), ("F-12", "g2", "fence.alarm", 113, {}),
         ("F-12", "g3", "fence.alarm", 106, {}), ("F-12", "g4", "fence.alarm", 30, {}))
    alarms = dry_run(world, FENCE)
    assert [a["count"] for a in alarms] == [3, 1]
    assert alarms[0]["first_event_at"] == NOW - timedelta(minutes=120)
    assert alarms[0]["last_event_at"] == NOW - timedelta(minutes=106)
    assert len(alarms[0]["events"]) == 3 and len(alarms[1]["events"]) == 1


def test_the_dry_run_groups_as_the_evaluator_raises(site):
    """The same events through the live evaluator raise the same alarms with the same counts."""
    world, gateway = site
    with clock.frozen(NOW):
        send(gateway, ("F-12", "g1", "fence.alarm", 30, {}), ("F-12", "g2", "fence.alarm", 25, {}),
             ("F-12", "g3", "fence.alarm", 5, {}))
        predicted = dry_run(world, FENCE, until=NOW + timedelta(seconds=1))
        rule_save(actor=world.pso(), port=world.port, text=FENCE)
        evaluation.run()
    raised = list(Alarm.objects.order_by("first_event_at"))
    assert [(a["count"], a["first_event_at"], a["last_event_at"]) for a in predicted] == [
        (alarm.count, alarm.first_event_at, alarm.last_event_at) for alarm in raised]
    assert [sorted(a["events"]) for a in predicted] == [
        sorted(AlarmEvent.objects.filter(alarm=alarm).values_list("event_id", flat=True)) for alarm in raised]


def test_a_watch_list_rule_reads_the_ports_list(site):
    world, gateway = site
    with clock.frozen(NOW):
        plates = watchlist_save(actor=world.pso(), port=world.port, code="stolen-plates", name="Stolen plates")
        watchlist_change(actor=world.pso(), watchlist=plates, add=["1-ABC-123"], note="reported stolen")
    send(gateway, ("ANPR-1", "r1", "anpr.read", 50, {"plate": "1-ABC-123"}),
         ("ANPR-1", "r2", "anpr.read", 40, {"plate": "2-XYZ-999"}))
    alarms = dry_run(world, PLATES)
    assert len(alarms) == 1 and alarms[0]["device_code"] == "ANPR-1"


def test_another_organisations_events_are_not_looked_at(site):
    world, gateway = site
    neighbour = fence(world.foreign_facility, code="F-99")
    with clock.frozen(NOW):
        foreign_gateway = sender(world.foreign_pfso(), [neighbour])
    send(foreign_gateway, ("F-99", "x1", "fence.alarm", 60, {}))
    send(gateway, ("F-12", "f1", "fence.alarm", 60, {}))
    # the facility officer sees its own fence; the foreign port's events are not in this port
    assert [a["device_code"] for a in dry_run(world, FENCE, actor=world.pfso())] == ["F-12"]
    # a facility officer of another operator in the same port sees none of Terminal A's events
    rival = principal(Role.FACILITY_SECURITY_OFFICER, world.company)
    assert dry_run(world, FENCE, actor=rival) == []
    # and asking about the foreign port from here finds nothing of it either
    assert rule_dry_run(actor=world.pfso(), port=world.foreign_port, text=FENCE, since=NOW - WEEK,
                        until=NOW) == []


def test_a_facility_rule_looks_only_at_its_facility(site):
    world, gateway = site
    send(gateway, ("F-12", "f1", "fence.alarm", 60, {}))
    assert len(dry_run(world, FENCE, facility=world.facility)) == 1
    from tests.factories import FacilityFactory

    other = FacilityFactory(port=world.port, operator=world.operator, isps_number="BEAAA-0002")
    assert dry_run(world, FENCE, facility=other) == []
    with pytest.raises(ValidationFailed, match="is not in"):
        dry_run(world, FENCE, facility=world.foreign_facility)


def test_it_writes_nothing(site):
    world, gateway = site
    send(gateway, ("F-12", "f1", "fence.alarm", 60, {}), ("F-12", "f2", "fence.alarm", 10, {}),
         ("CAM-1", "c1", "camera.detection", 59.9, {"label": "person", "score": 0.9}))
    models = (Alarm, AlarmEvent, AlarmEntry, Rule, AuditRecord, OutboxEvent)
    before = [m.objects.count() for m in models]
    assert dry_run(world, FENCE) and dry_run(world, INTRUSION)
    assert [m.objects.count() for m in models] == before


def test_a_rule_that_does_not_compile_names_the_key_and_a_bad_period_is_refused(site):
    world, _gateway = site
    with pytest.raises(ValidationFailed, match="priority") as refused:
        dry_run(world, FENCE.replace("priority: 3", "priority: 9"))
    assert refused.value.field == "text"
    with pytest.raises(ValidationFailed, match="ends after it starts"):
        dry_run(world, FENCE, since=NOW, until=NOW - WEEK)


def test_it_needs_the_right_to_read_rules(site):
    world, _gateway = site
    with pytest.raises(PermissionRefused):
        dry_run(world, FENCE, actor=principal(Role.GATE_GUARD, world.operator))


def test_too_many_events_ask_for_a_shorter_period(site, monkeypatch):
    world, gateway = site
    from havenwatch.controlroom.services import dry_run as module

    monkeypatch.setattr(module, "MAX_EVENTS", 2)
    send(gateway, *[("F-12", f"f{i}", "fence.alarm", 60 - i, {}) for i in range(3)])
    with pytest.raises(ValidationFailed, match="shorter period"):
        dry_run(world, FENCE)
    send(gateway, ("CAM-1", "c1", "camera.detection", 1, {"label": "person", "score": 0.9}))
    # two fence alarms (the camera's event is of a kind the rule does not name): within the limit
    assert [a["count"] for a in dry_run(world, FENCE, since=NOW - timedelta(minutes=59))] == [2]
