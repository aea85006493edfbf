"""Zones and access points: who may create them, and what the facility's plan must hold.

Each change writes its audit record; each refusal says why and changes nothing.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, datetime

import pytest

from havenwatch.access.models import (
    AccessPoint,
    Announcer,
    Authorisation,
    Credential,
    CredentialStateChange,
    FacilityEnrolment,
    Person,
    Visit,
    Visitor,
    Zone,
    ZoneLevelRule,
)
from havenwatch.access.services.places import access_point_create, zone_create
from havenwatch.core import clock
from havenwatch.core.choices import Role
from havenwatch.core.errors import Conflict, PermissionRefused, ValidationFailed
from havenwatch.core.models import AuditRecord, OutboxEvent
from tests.access.factories import AccessPointFactory, ZoneFactory
from tests.factories import FacilityFactory, principal

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
MODELS = [Zone, ZoneLevelRule, AccessPoint, Authorisation, Announcer, Visit, Visitor, Person, Credential,
          FacilityEnrolment, CredentialStateChange, AuditRecord, OutboxEvent]


def snapshot():
    return {m.__name__: m.objects.count() for m in MODELS}


@contextmanager
def unchanged():
    """``with unchanged(): <refused call>``: nothing was written."""
    before = snapshot()
    yield
    assert snapshot() == before


def audited(code: str) -> AuditRecord | None:
    return AuditRecord.objects.filter(code=code).order_by("-sequence").first()


@pytest.fixture
def frozen():
    with clock.frozen(T0) as state:
        yield state


# --- zones ---------------------------------------------------------------------------


def test_pfso_creates_a_zone_with_its_level_rules_and_it_is_audited(world, frozen):
    outline = {"type": "Polygon", "coordinates": [[[4.3, 51.2], [4.4, 51.2], [4.4, 51.3], [4.3, 51.2]]]}
    zone = zone_create(actor=world.pfso(), facility=world.facility, code="QUAY", name="Quay apron",
                       geometry=outline, escort_required=True,
                       level_rules={3: {"mode": "listed_only", "allowed_purposes": ["emergency", "port security"]},
                                    2: {"mode": "open"}})
    assert zone.facility == world.facility and zone.escort_required and zone.geometry == outline
    rules = {r.level: (r.mode, r.allowed_purposes) for r in zone.level_rules.all()}
    assert rules == {2: ("open", []), 3: ("listed_only", ["emergency", "port security"])}
    record = audited("access.zone.created")
    assert record.data == {"facility": "BEAAA-0001", "code": "QUAY", "name": "Quay apron", "escort_required": True,
                           "requires_verification": False,
                           "level_rules": {"2": {"mode": "open", "allowed_purposes": []},
                                           "3": {"mode": "listed_only",
                                                 "allowed_purposes": ["emergency", "port security"]}}}
    assert record.organisation_id == world.operator.pk and record.port_id == world.port.pk


def test_zone_at_another_operators_facility_is_refused(world, frozen):
    with unchanged(), pytest.raises(PermissionRefused, match="Only the operator of Terminal A can create its zones."):
        zone_create(actor=world.foreign_pfso(), facility=world.facility, code="QUAY", name="Quay")


def test_role_without_zone_management_cannot_create_zones(world, frozen):
    with unchanged(), pytest.raises(PermissionRefused,
                                    match="Your role does not allow this: Create zones and access points."):
        zone_create(actor=world.pso(), facility=world.facility, code="QUAY", name="Quay")


def test_malformed_zone_outline_is_refused(world, frozen):
    with unchanged(), pytest.raises(ValidationFailed, match="A coordinate is out of range"):
        zone_create(actor=world.pfso(), facility=world.facility, code="QUAY", name="Quay",
                    geometry={"type": "Polygon", "coordinates": [[[200, 51], [4, 51], [4, 52]]]})


@pytest.mark.parametrize("shape", [
    {"type": "Point", "coordinates": [4.3, 51.2]},
    {"type": "LineString", "coordinates": [[4.3, 51.2], [4.4, 51.3]]},
    {"type": "Feature", "geometry": {"type": "Point", "coordinates": [4.3, 51.2]}},
])
def test_zone_outline_that_is_not_an_area_is_refused(world, frozen, shape):
    with unchanged(), pytest.raises(ValidationFailed, match="A zone's outline is an area"):
        zone_create(actor=world.pfso(), facility=world.facility, code="QUAY", name="Quay", geometry=shape)


@pytest.mark.parametrize(("rules", "message"), [
    ({3: {"mode": "listed_only"}}, "At security level 3 only listed purposes enter: list at least one."),
    ({4: {"mode": "closed"}}, "4 is not a security level: use 1, 2 or 3."),
    ({2: {"mode": "shut"}}, "shut is not a mode: use open, listed_only or closed."),
    ({1: {"mode": "open", "allowed_purposes": ["work"]}}, "Purposes are listed only for the mode listed_only"),
])
def test_malformed_level_rules_are_refused(world, frozen, rules, message):
    with unchanged(), pytest.raises(ValidationFailed, match=message):
        zone_create(actor=world.pfso(), facility=world.facility, code="QUAY", name="Quay", level_rules=rules)


def test_zone_code_is_unique_within_its_facility(world, frozen):
    ZoneFactory(facility=world.facility, code="QUAY")
    with unchanged(), pytest.raises(Conflict, match="Terminal A has a zone QUAY already."):
        zone_create(actor=world.pfso(), facility=world.facility, code="QUAY", name="Quay")


def test_zone_needs_a_code_and_a_name(world, frozen):
    with unchanged(), pytest.raises(ValidationFailed, match="Give the zone a name."):
        zone_create(actor=world.pfso(), facility=world.facility, code="QUAY", name="  ")


# --- access points -------------------------------------------------------------------


def test_pfso_creates_an_access_point_and_it_is_audited(world, frozen):
    zone = ZoneFactory(facility=world.facility, code="YARD")
    point = access_point_create(actor=world.pfso(), zone=zone, code="G1", name="Main gate", kind="vehicle_gate",
                                direction="in", requires_plate=True, open_at_levels=[2, 1],
                                position={"type": "Point", "coordinates": [4.35, 51.25]})
    assert point.open_at_levels == [1, 2] and point.requires_plate and point.anti_passback
    assert audited("access.access_point.created").data == {
        "zone": "YARD", "code": "G1", "kind": "vehicle_gate", "direction": "in", "requires_biometric": False,
        "requires_plate": True, "open_at_levels": [1, 2]}


def test_only_one_access_point_open_at_level_3(world, frozen):
    yard = ZoneFactory(facility=world.facility, code="YARD")
    quay = ZoneFactory(facility=world.facility, code="QUAY", name="Quay apron")
    AccessPointFactory(zone=world.foreign_facility.zones.create(code="X", name="X"), open_at_levels=[1, 2, 3])
    access_point_create(actor=world.pfso(), zone=quay, code="T1", name="Turnstile 1", kind="turnstile")
    with unchanged(), pytest.raises(
        Conflict, match=r"single controlled point, and Turnstile 1 \(zone Quay apron\) is open at level 3 already."
    ):
        access_point_create(actor=world.pfso(), zone=yard, code="G1", name="Main gate", kind="vehicle_gate",
                            open_at_levels=(1, 2, 3))
    point = access_point_create(actor=world.pfso(), zone=yard, code="G1", name="Main gate", kind="vehicle_gate",
                                open_at_levels=(1, 2))
    assert point.open_at_levels == [1, 2]


def test_only_a_vehicle_gate_can_require_a_number_plate(world, frozen):
    zone = ZoneFactory(facility=world.facility)
    with unchanged(), pytest.raises(ValidationFailed, match="Only a vehicle gate can require a number plate."):
        access_point_create(actor=world.pfso(), zone=zone, code="T1", name="Turnstile", kind="turnstile",
                            requires_plate=True)


@pytest.mark.parametrize(("levels", "message"), [
    ((), "An access point is open at one security level at least."),
    ((1, 4), "4 is not a security level: use 1, 2 or 3."),
])
def test_access_point_is_open_at_valid_levels_and_at_least_one(world, frozen, levels, message):
    zone = ZoneFactory(facility=world.facility)
    with unchanged(), pytest.raises(ValidationFailed, match=message):
        access_point_create(actor=world.pfso(), zone=zone, code="T1", name="Turnstile", kind="turnstile",
                            open_at_levels=levels)


def test_access_point_position_must_be_a_point(world, frozen):
    zone = ZoneFactory(facility=world.facility)
    with unchanged(), pytest.raises(ValidationFailed, match="The position must be a GeoJSON Point."):
        access_point_create(actor=world.pfso(), zone=zone, code="T1", name="Turnstile", kind="turnstile",
                            position={"type": "Polygon", "coordinates": [[[4, 51], [4, 52], [5, 52]]]})


def test_access_point_at_another_operators_zone_is_refused(world, frozen):
    zone = ZoneFactory(facility=world.facility)
    with unchanged(), pytest.raises(PermissionRefused,
                                    match="Only the operator of Terminal A can create its access points."):
        access_point_create(actor=world.foreign_pfso(), zone=zone, code="T1", name="Turnstile", kind="turnstile")


def test_unknown_access_point_kind_is_refused(world, frozen):
    zone = ZoneFactory(facility=FacilityFactory(operator=world.operator, port=world.port))
    with unchanged(), pytest.raises(ValidationFailed, match="door is not a kind of access point"):
        access_point_create(actor=principal(Role.FACILITY_SECURITY_OFFICER, world.operator), zone=zone, code="T1",
                            name="Door", kind="door")
