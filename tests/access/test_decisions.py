"""The gate decision engine and the gate services: every reason a guard can read, and the trail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from havenwatch.access.choices import (
    CredentialKind,
    CredentialState,
    Direction,
    LevelMode,
    Reason,
    VisitStatus,
)
from havenwatch.access.decisions import decide
from havenwatch.access.models import AccessEvent, Presence
from havenwatch.access.services import gate
from havenwatch.core import clock
from havenwatch.core.choices import Role
from havenwatch.core.errors import Conflict, PermissionRefused, ValidationFailed
from havenwatch.core.models import AuditRecord, OutboxEvent
from havenwatch.core.principal import principal_for_token
from havenwatch.core.services import security_levels, tokens
from tests.access.factories import (
    AccessPointFactory,
    AuthorisationFactory,
    CredentialFactory,
    FacilityEnrolmentFactory,
    PersonFactory,
    PortBanFactory,
    SecurityVerificationFactory,
    VehicleFactory,
    VisitFactory,
    ZoneFactory,
    ZoneLevelRuleFactory,
)
from tests.factories import FacilityFactory, OrganisationFactory, PortFactory, principal

# A Wednesday, 12:00 in Antwerp (summer time).
NOON = datetime(2026, 6, 17, 10, 0, tzinfo=UTC)


@pytest.fixture
def frozen():
    with clock.frozen(NOON) as f:
        yield f


@dataclass
class Gate:
    world: object
    zone: object
    point: object
    person: object
    card: object
    authorisation: object

    def decide(self, **kwargs):
        kwargs.setdefault("credential_number", self.card.number)
        return decide(access_point=self.point, **kwargs)

    def guard(self):
        return principal(Role.GATE_GUARD, self.world.operator)


@pytest.fixture
def g(world, frozen):
    zone = ZoneFactory(facility=world.facility)
    point = AccessPointFactory(zone=zone)
    person = PersonFactory(employer=world.company)
    card = CredentialFactory(person=person, port=world.port, issued_by=world.company)
    FacilityEnrolmentFactory(credential=card, facility=world.facility)
    authorisation = AuthorisationFactory(person=person, zone=zone)
    return Gate(world, zone, point, person, card, authorisation)


def refused_for(decision, reason):
    assert not decision.granted
    assert reason in decision.reasons, decision.reasons


# --- granted ---------------------------------------------------------------------------


def test_authorised_person_is_let_in(g):
    decision = g.decide()
    assert decision.granted
    assert decision.reasons == [Reason.GRANTED]
    assert decision.person == g.person
    assert decision.security_level == 1


def test_employer_wide_authorisation_lets_an_employee_in(g):
    g.authorisation.delete()
    AuthorisationFactory(person=None, organisation=g.world.company, zone=g.zone)
    assert g.decide().granted


# --- one test per reason ------------------------------------------------------------------


def test_unknown_credential_is_refused(g):
    refused_for(g.decide(credential_number="NOBODY-123"), Reason.UNKNOWN_CREDENTIAL)


def test_credential_of_another_port_is_refused(g):
    other = CredentialFactory(person=g.person, port=g.world.foreign_port, issued_by=g.world.company)
    FacilityEnrolmentFactory(credential=other, facility=g.world.facility)
    refused_for(g.decide(credential_number=other.number), Reason.CREDENTIAL_OTHER_PORT)


@pytest.mark.parametrize(("state", "reason"), [
    (CredentialState.INACTIVE, Reason.CREDENTIAL_INACTIVE),
    (CredentialState.BLOCKED, Reason.CREDENTIAL_BLOCKED),
    (CredentialState.EXPIRED, Reason.CREDENTIAL_EXPIRED),
])
def test_blocked_credential_is_refused(g, state, reason):
    g.card.state = state
    g.card.save()
    refused_for(g.decide(), reason)


def test_credential_past_its_validity_is_refused_as_expired(g, frozen):
    frozen.set(g.card.valid_until + timedelta(minutes=1))
    g.authorisation.valid_until = g.card.valid_until + timedelta(days=30)
    g.authorisation.save()
    refused_for(g.decide(), Reason.CREDENTIAL_EXPIRED)


def test_credential_not_activated_at_this_facility_is_refused(g):
    g.card.enrolments.update(is_active=False)
    refused_for(g.decide(), Reason.NOT_ACTIVATED)


def test_banned_driver_is_refused_at_gate(g):
    PortBanFactory(person=g.person)
    decision = g.decide()
    refused_for(decision, Reason.PORT_BAN)


def test_ban_from_another_port_only_does_not_refuse(g):
    PortBanFactory(person=g.person, ports=[g.world.foreign_port])
    assert g.decide().granted


def test_lifted_ban_does_not_refuse(g):
    PortBanFactory(person=g.person, lifted_at=NOON - timedelta(hours=1), lifted_reason="appeal")
    assert g.decide().granted


def test_person_without_authorisation_for_the_zone_is_refused(g):
    g.authorisation.revoked_at = NOON - timedelta(minutes=5)
    g.authorisation.save()
    refused_for(g.decide(), Reason.NO_AUTHORISATION)


def test_outside_schedule_is_refused_in_local_time(g, frozen):
    # Weekdays 07:00–12:00 Antwerp time. 10:30 UTC is 12:30 in Antwerp (but 10:30 UTC would fit).
    g.authorisation.schedule = {"wed": [["07:00", "12:00"]]}
    g.authorisation.save()
    frozen.set(datetime(2026, 6, 17, 9, 30, tzinfo=UTC))  # 11:30 local
    assert g.decide().granted
    frozen.set(datetime(2026, 6, 17, 10, 30, tzinfo=UTC))  # 12:30 local
    refused_for(g.decide(), Reason.OUTSIDE_SCHEDULE)


def test_zone_closed_at_level_3_refuses_and_opens_again_at_level_1(g):
    ZoneLevelRuleFactory(zone=g.zone, level=3, mode=LevelMode.CLOSED)
    pso = g.world.pso()
    security_levels.security_level_set(actor=pso, port=g.world.port, level=3, reason="threat reported today")
    refused_for(g.decide(), Reason.LEVEL_CLOSED)
    assert g.decide().security_level == 3
    security_levels.security_level_set(actor=pso, port=g.world.port, level=1, reason="threat is over now")
    assert g.decide().granted


def test_listed_purpose_passes_at_level_3(g):
    ZoneLevelRuleFactory(zone=g.zone, level=3, mode=LevelMode.LISTED_ONLY, allowed_purposes=["maintenance"])
    security_levels.security_level_set(actor=g.world.pso(), port=g.world.port, level=3, reason="threat reported")
    refused_for(g.decide(), Reason.LEVEL_NOT_LISTED)  # purpose "work"
    g.authorisation.purpose = "maintenance"
    g.authorisation.save()
    assert g.decide().granted


def test_access_point_closed_at_the_level_in_force_is_refused(g):
    g.point.open_at_levels = [1]
    g.point.save()
    g.world.facility.security_level = 2
    g.world.facility.save()
    refused_for(g.decide(), Reason.POINT_CLOSED)


def test_escort_required_zone_refuses_for_the_guard_to_override(g):
    g.zone.escort_required = True
    g.zone.save()
    refused_for(g.decide(), Reason.ESCORT_REQUIRED)


def test_verification_required_without_positive_verification_is_refused(g):
    g.authorisation.requires_verification = True
    g.authorisation.save()
    refused_for(g.decide(), Reason.VERIFICATION_REQUIRED)
    SecurityVerificationFactory(person=g.person, valid_until=NOON - timedelta(days=1))  # expired
    refused_for(g.decide(), Reason.VERIFICATION_REQUIRED)
    SecurityVerificationFactory(person=g.person)
    assert g.decide().granted


def test_biometric_required_and_failed_are_refused(g):
    g.point.requires_biometric = True
    g.point.save()
    refused_for(g.decide(), Reason.BIOMETRIC_REQUIRED)
    refused_for(g.decide(biometric_match=False), Reason.BIOMETRIC_FAILED)
    assert g.decide(biometric_match=True).granted


def test_vehicle_gate_without_plate_is_refused(g):
    g.point.requires_plate = True
    g.point.save()
    refused_for(g.decide(), Reason.PLATE_REQUIRED)


def test_unknown_plate_is_refused(g):
    refused_for(g.decide(plate="BE:9ZZZ999"), Reason.UNKNOWN_PLATE)


def test_plate_of_a_stranger_is_refused_and_drivers_and_employer_vehicles_pass(g):
    vehicle = VehicleFactory(plate="BE:1ABC234")
    refused_for(g.decide(plate="BE:1ABC234"), Reason.PLATE_MISMATCH)
    vehicle.drivers.add(g.person)
    assert g.decide(plate="1-abc-234").granted  # raw, in the port's country
    VehicleFactory(plate="BE:2DEF567", owner=g.world.company)
    assert g.decide(plate="BE:2DEF567").granted


def test_anti_passback_refuses_a_second_entry(g):
    guard = g.guard()
    first = gate.gate_decide(actor=guard, access_point=g.point, credential_number=g.card.number, direction="in")
    assert first.granted
    second = gate.gate_decide(actor=guard, access_point=g.point, credential_number=g.card.number, direction="in")
    assert not second.granted
    assert second.reasons == [Reason.ANTI_PASSBACK]


def test_visitor_inside_window_and_zone_passes_and_outside_window_is_refused(g, frozen):
    visitor = PersonFactory(employer=None)
    visit = VisitFactory(facility=g.world.facility, status=VisitStatus.APPROVED, plate="BE:1VIS001",
                         window_start=NOON + timedelta(hours=1))
    visit.zones.add(g.zone)
    qr = CredentialFactory(person=visitor, port=g.world.port, issued_by=g.world.operator,
                           kind=CredentialKind.VISITOR_QR, visit=visit)
    FacilityEnrolmentFactory(credential=qr, facility=g.world.facility)
    refused_for(g.decide(credential_number=qr.number), Reason.OUTSIDE_VISIT_WINDOW)
    frozen.advance(hours=2)
    assert g.decide(credential_number=qr.number).granted
    assert g.decide(credential_number=qr.number, plate="BE:1VIS001").granted
    refused_for(g.decide(credential_number=qr.number, plate="BE:1OTH001"), Reason.PLATE_MISMATCH)
    other_zone = ZoneFactory(facility=g.world.facility)
    refused_for(decide(access_point=AccessPointFactory(zone=other_zone), credential_number=qr.number),
                Reason.NO_AUTHORISATION)


def test_malformed_request_is_refused(g):
    refused_for(g.decide(credential_number="\x00DROP"), Reason.MALFORMED_REQUEST)
    refused_for(g.decide(direction="sideways"), Reason.MALFORMED_REQUEST)
    refused_for(g.decide(credential_number=None), Reason.MALFORMED_REQUEST)


def test_every_reason_is_shown_not_only_the_first(g):
    g.card.state = CredentialState.BLOCKED
    g.card.save()
    PortBanFactory(person=g.person)
    g.zone.escort_required = True
    g.zone.save()
    decision = g.decide(biometric_match=False)
    assert {Reason.CREDENTIAL_BLOCKED, Reason.PORT_BAN, Reason.ESCORT_REQUIRED, Reason.BIOMETRIC_FAILED} <= set(
        decision.reasons)


def test_exit_is_never_held_by_rights_or_levels(g):
    g.authorisation.revoked_at = NOON - timedelta(minutes=1)
    g.authorisation.save()
    ZoneLevelRuleFactory(zone=g.zone, level=1, mode=LevelMode.CLOSED)
    assert g.decide(direction=Direction.OUT).granted


# --- the services: stored, audited, published ------------------------------------------------


def test_every_decision_is_stored_and_audited_whatever_the_answer(g):
    guard = g.guard()
    granted = gate.gate_decide(actor=guard, access_point=g.point, credential_number=g.card.number)
    refused = gate.gate_decide(actor=guard, access_point=g.point, credential_number="NOBODY-1")
    assert AccessEvent.objects.count() == 2
    assert granted.granted and granted.reasons == ["granted"]
    assert not refused.granted and refused.reasons == ["unknown_credential"]
    records = AuditRecord.objects.filter(code="access.decision").order_by("sequence")
    assert [r.subject_id for r in records] == [str(granted.pk), str(refused.pk)]
    events = OutboxEvent.objects.filter(type="access.decision").order_by("sequence")
    assert [e.priority for e in events] == [3, 2]  # an unknown credential is urgent
    assert events[1].payload["reasons"] == ["unknown_credential"]
    assert events[1].payload["credential"] == "NOBODY-1"
    assert events[1].facility_id == g.world.facility.pk


def test_refusal_for_schedule_is_published_at_normal_priority(g):
    g.authorisation.schedule = {"sun": [["07:00", "08:00"]]}
    g.authorisation.save()
    gate.gate_decide(actor=g.guard(), access_point=g.point, credential_number=g.card.number)
    assert OutboxEvent.objects.get(type="access.decision").priority == 3


def test_exit_clears_presence_for_mustering(g):
    guard = g.guard()
    gate.gate_decide(actor=guard, access_point=g.point, credential_number=g.card.number, direction="in")
    assert [p.person for p in gate.who_is_inside(principal=guard, zone=g.zone)] == [g.person]
    out = gate.gate_decide(actor=guard, access_point=g.point, credential_number=g.card.number, direction="out")
    assert out.granted
    assert not Presence.objects.filter(zone=g.zone).exists()


def test_who_is_inside_shows_nothing_to_another_operator(g):
    gate.gate_decide(actor=g.guard(), access_point=g.point, credential_number=g.card.number)
    foreign_guard = principal(Role.GATE_GUARD, g.world.foreign_operator)
    assert list(gate.who_is_inside(principal=foreign_guard, zone=g.zone)) == []


def test_guard_override_is_its_own_event_and_audited(g):
    g.zone.escort_required = True
    g.zone.save()
    guard = g.guard()
    refused = gate.gate_decide(actor=guard, access_point=g.point, credential_number=g.card.number)
    assert refused.reasons == ["escort_required"]
    override = gate.gate_override(actor=guard, event=refused, reason="Escorted by the duty officer J. Claes")
    assert override.pk != refused.pk and override.override_of == refused
    assert override.granted and override.reasons == ["escort_required"]
    refused.refresh_from_db()
    assert not refused.granted  # the refusal itself never changes
    assert AuditRecord.objects.filter(code="access.override", subject_id=str(override.pk)).exists()
    assert OutboxEvent.objects.get(type="access.override").priority == 1
    assert Presence.objects.filter(person=g.person, zone=g.zone).exists()
    with pytest.raises(Conflict):
        gate.gate_override(actor=guard, event=refused, reason="Escorted again by the duty officer")


def test_override_needs_a_reason_and_the_facility_operator(g):
    refused = gate.gate_decide(actor=g.guard(), access_point=g.point, credential_number="NOBODY-2")
    with pytest.raises(ValidationFailed):
        gate.gate_override(actor=g.guard(), event=refused, reason="ok")
    with pytest.raises(PermissionRefused):
        gate.gate_override(actor=principal(Role.GATE_GUARD, g.world.foreign_operator), event=refused,
                           reason="I know this man from before")
    granted = gate.gate_decide(actor=g.guard(), access_point=g.point, credential_number=g.card.number)
    with pytest.raises(Conflict):
        gate.gate_override(actor=g.guard(), event=granted, reason="Nothing to override here really")


def test_gate_controller_token_cannot_decide_at_another_facility(g):
    other_facility = FacilityFactory(port=g.world.port, operator=g.world.operator)
    pfso = g.world.pfso()
    api_token, _raw = tokens.token_create(actor=pfso, name="gate 7", permissions=["access.decide"],
                                          facility=other_facility)
    controller = principal_for_token(api_token)
    with pytest.raises(PermissionRefused):
        gate.gate_decide(actor=controller, access_point=g.point, credential_number=g.card.number)
    assert AccessEvent.objects.count() == 0
    bound_here, _raw = tokens.token_create(actor=pfso, name="gate 1", permissions=["access.decide"],
                                           facility=g.world.facility)
    assert gate.gate_decide(actor=principal_for_token(bound_here), access_point=g.point,
                            credential_number=g.card.number).granted


def test_role_without_access_decide_cannot_ask(g):
    with pytest.raises(PermissionRefused):
        gate.gate_decide(actor=principal(Role.AUDITOR, g.world.authority), access_point=g.point,
                         credential_number=g.card.number)


# --- constant cost -------------------------------------------------------------------


def _queries(g, **kwargs) -> int:
    with CaptureQueriesContext(connection) as ctx:
        decision = g.decide(**kwargs)
    return len(ctx.captured_queries), decision


def test_decision_query_count_is_constant(g):
    VehicleFactory(plate="BE:1AAA111", owner=g.world.company)
    g.zone.requires_verification = True
    g.zone.save()
    SecurityVerificationFactory(person=g.person)
    kwargs = {"plate": "BE:1AAA111", "biometric_match": True}
    small, decision = _queries(g, **kwargs)
    assert decision.granted, decision.reasons
    # 200 more people with credentials, authorisations, bans and vehicles; more rights of our own.
    company = OrganisationFactory()
    other_port = PortFactory()
    for i in range(200):
        person = PersonFactory(employer=company)
        card = CredentialFactory(person=person, port=g.world.port if i % 2 else other_port, issued_by=company)
        FacilityEnrolmentFactory(credential=card, facility=g.world.facility)
        AuthorisationFactory(person=person, zone=g.zone)
        PortBanFactory(person=person)
        VehicleFactory(owner=company).drivers.add(person)
    for _ in range(20):
        AuthorisationFactory(person=g.person, zone=g.zone, schedule={"sun": [["01:00", "02:00"]]})
    large, decision = _queries(g, **kwargs)
    assert decision.granted, decision.reasons
    assert small == large
    assert large <= 10
