"""The control room's rules: each kind fires on what it describes and on nothing else;
a rule that cannot be compiled says which key is wrong and why."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from havenwatch.controlroom.rules import Evaluator, Event, RuleError, distance_m, inside, parse_rule

T0 = datetime(2026, 11, 21, 23, 0, tzinfo=UTC)
FENCE, CAMERA, OTHER_CAMERA = (4.3000, 51.2800), (4.3010, 51.2805), (4.3300, 51.3000)  # ~90 m, ~2.8 km apart

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
suppress: {per: device, for: 10m}
"""


def event(n, kind, seconds=0, *, device=1, position=FENCE, level=1, facility="BEANR-1742", zone="QUAY", **attrs):
    return Event(id=n, kind=kind, occurred_at=T0 + timedelta(seconds=seconds), device_id=device,
                 facility=facility, zone=zone, position=position, level=level, attributes=attrs)


def fire(rules, events, watchlists=None):
    evaluator = Evaluator([parse_rule(r) for r in rules], watchlists)
    return [firing for e in events for firing in evaluator.offer(e)]


# --- correlation ------------------------------------------------------------------------------


def test_a_fence_alarm_and_a_person_nearby_within_a_minute_is_a_verified_intrusion():
    firings = fire([INTRUSION], [event(1, "fence.alarm"),
                                 event(2, "camera.detection", 40, device=7, position=CAMERA, label="person",
                                       score=0.91)])
    assert len(firings) == 1
    assert [e.id for e in firings[0].events] == [1, 2] and firings[0].key == ("verified-intrusion", 1)


@pytest.mark.parametrize("second", [
    event(2, "camera.detection", 61, device=7, position=CAMERA, label="person", score=0.91),  # too late
    event(2, "camera.detection", 40, device=7, position=OTHER_CAMERA, label="person", score=0.91),  # too far
    event(2, "camera.detection", 40, device=7, position=CAMERA, label="fox", score=0.91),  # an animal
    event(2, "camera.detection", 40, device=7, position=CAMERA, label="person", score=0.4),  # unsure
    event(2, "camera.detection", -5, device=7, position=CAMERA, label="person", score=0.91),  # before the fence
])
def test_no_verified_intrusion_without_each_condition(second):
    events = sorted([event(1, "fence.alarm"), second], key=lambda e: e.occurred_at)
    assert fire([INTRUSION], events) == []


def test_wind_on_the_fence_alone_is_not_an_intrusion():
    assert fire([INTRUSION], [event(n, "fence.alarm", n) for n in range(20)]) == []


# --- threshold -----------------------------------------------------------------------------------

DENIED = """
code: denied-badges
kind: threshold
title: Five denied badges at one gate in ten minutes
priority: 2
when: {kind: access.denied}
count: 5
within: 10m
per: device
"""


def test_five_denials_at_one_gate_in_ten_minutes_fire_once():
    denials = [event(n, "access.denied", n * 60, device=3) for n in range(5)]
    firings = fire([DENIED], denials)
    assert len(firings) == 1 and len(firings[0].events) == 5


def test_denials_spread_out_or_over_several_gates_do_not_fire():
    slow = [event(n, "access.denied", n * 180, device=3) for n in range(5)]  # 12 minutes
    spread = [event(n, "access.denied", n, device=n) for n in range(5)]
    assert fire([DENIED], slow) == [] and fire([DENIED], spread) == []


def test_the_next_firing_needs_five_new_denials():
    denials = [event(n, "access.denied", n, device=3) for n in range(9)]
    assert len(fire([DENIED], denials)) == 1


# --- levels, areas, geofence, watchlist, single -------------------------------------------------

FENCE_AT_LEVEL_2 = """
code: fence-at-level-2
kind: single
title: Fence alarm at security level 2
when: {kind: fence.alarm}
at_level: ">= 2"
area: {facility: beanr-1742}
"""


def test_a_single_rule_keeps_to_its_level_and_area():
    assert fire([FENCE_AT_LEVEL_2], [event(1, "fence.alarm", level=1)]) == []
    assert fire([FENCE_AT_LEVEL_2], [event(1, "fence.alarm", level=2, facility="BEANR-0001")]) == []
    assert len(fire([FENCE_AT_LEVEL_2], [event(1, "fence.alarm", level=2)])) == 1


DRONE = """
code: drone-over-terminal
kind: geofence
title: Drone over the terminal
priority: 1
when: {kind: drone.detected}
polygons:
  - [[4.29, 51.27], [4.31, 51.27], [4.31, 51.29], [4.29, 51.29], [4.29, 51.27]]
"""


def test_a_drone_inside_the_no_fly_polygon_fires_and_outside_does_not():
    assert len(fire([DRONE], [event(1, "drone.detected", position=(4.30, 51.28))])) == 1
    assert fire([DRONE], [event(1, "drone.detected", position=(4.35, 51.28))]) == []
    assert fire([DRONE], [event(1, "drone.detected", position=None)]) == []


PLATES = """
code: watched-plate
kind: watchlist
title: Watch-listed plate at a gate
when: {kind: anpr.read}
watchlist: police-hotlist
"""


def test_a_watch_listed_plate_fires_and_another_does_not():
    lists = {"police-hotlist": frozenset({"BE:1ABC234"})}
    assert len(fire([PLATES], [event(1, "anpr.read", plate="be:1abc234")], lists)) == 1
    assert fire([PLATES], [event(1, "anpr.read", plate="BE:9ZZZ999")], lists) == []


def test_an_event_is_offered_only_to_the_rules_that_name_its_kind():
    evaluator = Evaluator([parse_rule(r) for r in (INTRUSION, DENIED, DRONE)])
    assert {r.code for r in evaluator.by_kind["fence.alarm"]} == {"verified-intrusion"}
    assert "anpr.read" not in evaluator.by_kind


# --- refusals say where and why ---------------------------------------------------------------------


@pytest.mark.parametrize("text, where, words", [
    ("", "", "empty"),
    ("code: [unclosed", "line 1", "not valid YAML"),
    ("- a list", "", "set of keys"),
    (INTRUSION.replace("verified-intrusion", "Verified Intrusion!"), "code", "lower-case"),
    (INTRUSION.replace("kind: correlation", "kind: magic"), "kind", "one of"),
    (INTRUSION.replace("within: 60s", "within: a minute"), "within", "duration"),
    (INTRUSION.replace("near: 150m", "near: close"), "near", "distance"),
    (INTRUSION.replace("kind: fence.alarm", "kind: Fence Alarm"), "when[0].kind", "dotted"),
    (INTRUSION.replace("priority: 1", "priority: 9"), "priority", "1 (highest) to 5"),
    (INTRUSION + "colour: red\n", "", "unknown key"),
    (DENIED.replace("count: 5", "count: 1"), "count", "2 to 10,000"),
    (DENIED + "near: 10m\n", "near", "no near"),
    (DRONE.replace("[[4.29, 51.27], [4.31, 51.27], [4.31, 51.29], [4.29, 51.29], [4.29, 51.27]]",
                   "[[4.29, 51.27], [4.31, 51.27]]"), "polygons[0]", "three points"),
    (FENCE_AT_LEVEL_2.replace('">= 2"', '"level two"'), "at_level", "lowest security level"),
])
def test_a_rule_that_cannot_be_compiled_names_the_key_and_the_reason(text, where, words):
    with pytest.raises(RuleError) as refused:
        parse_rule(text)
    assert refused.value.where == where and words in refused.value.message


# --- the geometry under the rules ---------------------------------------------------------------


def test_distances_at_port_scale():
    assert 80 < distance_m(FENCE, CAMERA) < 100
    assert 2_500 < distance_m(FENCE, OTHER_CAMERA) < 3_200


@given(st.floats(4.2901, 4.3099), st.floats(51.2701, 51.2899))
def test_every_point_inside_a_square_is_inside_and_its_mirror_outside_is_not(lon, lat):
    square = ((4.29, 51.27), (4.31, 51.27), (4.31, 51.29), (4.29, 51.29))
    assert inside((lon, lat), square)
    assert not inside((lon + 0.05, lat), square) and not inside((lon, lat - 0.05), square)


def test_an_absence_rule_fires_on_the_silence_of_the_kinds_of_device_it_names():
    rule = parse_rule("code: camera-silent\nkind: absence\ntitle: Camera silent\ndevices: [thermal_camera, camera]\n")
    assert rule.kinds == {"device.silent"}
    evaluator = Evaluator([rule])
    base = dict(occurred_at=T0, device_id=1)
    assert evaluator.offer(Event(id=1, kind="device.silent", attributes={"device_kind": "camera"}, **base))
    assert not evaluator.offer(Event(id=2, kind="device.silent", attributes={"device_kind": "fence"}, **base))
    with pytest.raises(RuleError, match="devices"):
        parse_rule("code: x-silent\nkind: absence\ntitle: X\ndevices: camera\n")
    with pytest.raises(RuleError, match="when"):
        parse_rule("code: x-silent\nkind: absence\ntitle: X\nwhen: {kind: fence.alarm}\n")
    with pytest.raises(RuleError, match="devices"):
        parse_rule("code: xx\nkind: single\ntitle: X\nwhen: {kind: fence.alarm}\ndevices: [camera]\n")
