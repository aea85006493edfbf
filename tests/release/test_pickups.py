"""Driver assignments and the pickup at the gate: every refusal with its reason code."""

from __future__ import annotations

from datetime import timedelta

import pytest

from havenwatch.access.choices import CredentialState
from havenwatch.access.services import people as people_services
from havenwatch.access.services import screening
from havenwatch.core import clock, events
from havenwatch.core.choices import OrganisationKind, Role
from havenwatch.core.errors import ServiceError
from havenwatch.core.models import Jurisdiction, OutboxEvent
from havenwatch.release.choices import AssignmentStatus, PickupReason, ReleaseStatus
from havenwatch.release.models import DriverAssignment, PickupAttempt
from havenwatch.release.selectors import holder
from havenwatch.release.services.assignments import assignment_create
from havenwatch.release.services.holds import discharge_confirm, hold_place
from havenwatch.release.services.pickups import pickup_decide, pickup_override
from havenwatch.release.services.releases import release_block
from havenwatch.release.services.rights import right_accept, right_revoke, right_transfer
from tests.access.factories import CredentialFactory, PersonFactory
from tests.factories import OrganisationFactory, principal
from tests.release.test_rights import DAY, T0, Chain

NUMBER = "CSQU3054383"


@pytest.fixture(autouse=True)
def frozen():
    with clock.frozen(T0) as state:
        yield state


class Pickup(Chain):
    """A release passed to the haulier, a driver with a badge, the container discharged."""

    def __init__(self, world) -> None:
        super().__init__(world)
        self.release = self.issue(NUMBER)
        right_accept(actor=self.acting["consignee"], right=self.right_of(self.release, "consignee"))
        offer = right_transfer(actor=self.acting["consignee"], right=holder(self.release), to=self.orgs["haulier"])
        right_accept(actor=self.acting["haulier"], right=offer)
        self.driver = PersonFactory(employer=self.orgs["haulier"], first_name="Dirk", last_name="Mertens")
        self.badge = CredentialFactory(person=self.driver, port=world.port, issued_by=self.orgs["haulier"])
        discharge_confirm(actor=world.pfso(), container=self.release.container)
        self.gate = principal(Role.GATE_GUARD, world.operator)

    def assign(self, **overrides):
        fields = {"actor": self.acting["haulier"], "release": self.release, "credential_number": self.badge.number,
                  "plate": "1ABC234", "slot_start": T0 - timedelta(hours=1), "slot_end": T0 + timedelta(hours=3)}
        fields.update(overrides)
        return assignment_create(**fields)

    def pick(self, **overrides):
        fields = {"actor": self.gate, "terminal": self.world.facility, "container_number": NUMBER,
                  "credential_number": self.badge.number, "plate": "1ABC234"}
        fields.update(overrides)
        return pickup_decide(**fields)


@pytest.fixture
def p(world):
    return Pickup(world)


def refused(attempt, reason):
    assert not attempt.granted, attempt.reasons
    assert reason in attempt.reasons, attempt.reasons


def pickup_event(attempt):
    return OutboxEvent.objects.filter(type="release.pickup", subject_id=str(attempt.pk)).get()


def test_the_assigned_driver_picks_the_container_up_and_the_release_closes(p):
    assignment = p.assign()
    attempt = p.pick()
    assert attempt.granted and attempt.reasons == ["granted"]
    p.release.refresh_from_db()
    assignment.refresh_from_db()
    assert p.release.status == ReleaseStatus.PICKED_UP and assignment.status == AssignmentStatus.USED
    assert pickup_event(attempt).priority == 3


def test_a_second_pickup_is_refused_as_fraud(p):
    p.assign()
    p.pick()
    attempt = p.pick()
    refused(attempt, PickupReason.ALREADY_PICKED_UP)
    assert pickup_event(attempt).priority == 1


def test_another_driver_of_the_haulier_is_refused_as_fraud(p):
    p.assign()
    colleague = CredentialFactory(person=PersonFactory(employer=p.orgs["haulier"]), port=p.world.port,
                                  issued_by=p.orgs["haulier"])
    attempt = p.pick(credential_number=colleague.number)
    refused(attempt, PickupReason.WRONG_DRIVER)
    assert pickup_event(attempt).priority == 1
    assert PickupAttempt.objects.count() == 1 and not attempt.granted


@pytest.mark.parametrize(("change", "reason"), [
    ({"plate": "9ZZZ999"}, PickupReason.PLATE_MISMATCH),
    ({"plate": None}, PickupReason.PLATE_MISMATCH),
    ({"credential_number": "NOBODY-1"}, PickupReason.UNKNOWN_CREDENTIAL),
    ({"container_number": "MSCU1234566"}, PickupReason.UNKNOWN_CONTAINER),
    ({"container_number": "not a number"}, PickupReason.MALFORMED_REQUEST),
    ({"biometric_match": False}, PickupReason.BIOMETRIC_FAILED),
])
def test_each_mismatch_at_the_gate_is_refused_with_its_reason(p, change, reason):
    p.assign()
    refused(p.pick(**change), reason)


def test_outside_the_slot_is_refused(p, frozen):
    p.assign()
    frozen.advance(hours=4)
    refused(p.pick(), PickupReason.OUTSIDE_SLOT)


def test_every_light_must_be_green(p, world):
    p.assign()
    customs = principal(Role.AUTHORITY_INVESTIGATOR, OrganisationFactory(name="Customs", kind=OrganisationKind.CUSTOMS))
    hold_place(actor=customs, container=p.release.container, reason="selected for a scan")
    refused(p.pick(), PickupReason.CUSTOMS_HOLD)
    release_block(actor=p.line, release=p.release, reason="freight unpaid")
    attempt = p.pick()
    refused(attempt, PickupReason.COMMERCIAL_RED)
    assert pickup_event(attempt).priority == 1


def test_taking_the_right_back_from_the_haulier_cancels_its_driver(p):
    assignment = p.assign()
    haulier_right = holder(p.release)
    right_revoke(actor=p.acting["consignee"], right=haulier_right, reason="wrong haulier chosen")
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.CANCELLED
    told = OutboxEvent.objects.filter(type="release.assignment.cancelled").order_by("-sequence").first()
    assert told.organisation_id == p.orgs["haulier"].pk and told.payload["reason"]
    refused(p.pick(), PickupReason.NO_ASSIGNMENT)


def test_a_reissued_release_keeps_its_driver(p):
    from havenwatch.release.services.releases import release_reissue

    first = p.assign()
    successor = release_reissue(actor=p.line, release=p.release, valid_from=p.release.valid_from,
                                valid_until=p.release.valid_until + timedelta(days=5), reason="validity extended")
    first.refresh_from_db()
    kept = DriverAssignment.objects.get(release=successor, status=AssignmentStatus.ACTIVE)
    assert first.status == AssignmentStatus.CANCELLED
    assert (kept.credential_id, kept.plate, kept.slot_end) == (first.credential_id, first.plate, first.slot_end)
    attempt = p.pick()  # the same driver, truck and slot: the reissued release goes out
    assert attempt.granted and attempt.release_id == successor.pk


def test_a_revoked_release_cancels_its_driver(p):
    from havenwatch.release.services.releases import release_revoke

    assignment = p.assign()
    release_revoke(actor=p.line, release=p.release, reason="sold to another consignee")
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.CANCELLED
    refused(p.pick(), PickupReason.NO_RELEASE)


def test_only_the_holding_haulier_assigns_its_own_drivers(p):
    with pytest.raises(ServiceError, match="Only the haulier that holds the release right"):
        p.assign(actor=principal(Role.HAULIER_PLANNER, OrganisationFactory(
            name="Other Haulage", kind=OrganisationKind.TRANSPORT_COMPANY)))
    stranger = CredentialFactory(port=p.world.port)
    with pytest.raises(ServiceError, match="is not the credential of one of your drivers"):
        p.assign(credential_number=stranger.number)
    assert not DriverAssignment.objects.exists()


def test_a_new_assignment_replaces_the_active_one(p):
    first = p.assign()
    second = p.assign(plate="NL:AB123C")
    first.refresh_from_db()
    assert first.status == AssignmentStatus.CANCELLED and second.status == AssignmentStatus.ACTIVE
    assert second.plate == "NL:AB123C"


def _run_release_consumer():
    item = events.consumers()["release.driver_safety"]
    while events.run_consumer(item):
        pass


def test_a_ban_cancels_the_drivers_assignment_and_tells_the_haulier(p):
    assignment = p.assign()
    police = principal(Role.AUTHORITY_INVESTIGATOR, OrganisationFactory(name="Police", kind=OrganisationKind.POLICE))
    screening.ban_issue(actor=police, person=p.driver, valid_from=T0, valid_until=T0 + 365 * DAY,
                        legal_reference="Corr. Antwerpen 2026/77")
    _run_release_consumer()
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.CANCELLED
    told = OutboxEvent.objects.get(type="release.assignment.cancelled", organisation_id=p.orgs["haulier"].pk)
    assert told.priority == 1
    attempt = p.pick()
    refused(attempt, PickupReason.NO_ASSIGNMENT)
    refused(attempt, PickupReason.PORT_BAN)


def test_a_blocked_badge_cancels_the_assignment(p):
    assignment = p.assign()
    manager = principal(Role.COMPANY_ACCESS_MANAGER, p.orgs["haulier"])
    people_services.credential_set_state(actor=manager, credential=p.badge, state=CredentialState.BLOCKED,
                                         reason="reported stolen")
    _run_release_consumer()
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.CANCELLED
    refused(p.pick(), PickupReason.CREDENTIAL_INVALID)


def test_only_the_terminals_own_gate_decides(p, world):
    p.assign()
    with pytest.raises(ServiceError, match="Only Terminal A's gate"):
        p.pick(actor=principal(Role.GATE_GUARD, world.foreign_operator))
    assert not PickupAttempt.objects.exists()


def test_the_terminal_lets_a_blocked_release_through_with_a_reason(p, world):
    p.assign()
    release_block(actor=p.line, release=p.release, reason="freight unpaid")
    refusal = p.pick()
    refused(refusal, PickupReason.COMMERCIAL_RED)
    with pytest.raises(ServiceError, match="Say why the pickup is let through"):
        pickup_override(actor=world.pfso(), attempt=refusal, reason=" ")
    with pytest.raises(ServiceError, match="Your role does not allow this"):
        pickup_override(actor=p.gate, attempt=refusal, reason="line confirmed payment by phone")
    override = pickup_override(actor=world.pfso(), attempt=refusal, reason="line confirmed payment by phone")
    assert override.granted and override.override_of == refusal and override.reasons == ["override"]
    p.release.refresh_from_db()
    assert p.release.status == ReleaseStatus.PICKED_UP
    event = OutboxEvent.objects.get(type="release.pickup.override")
    assert event.priority == 1
    with pytest.raises(ServiceError, match="not overridden yet"):
        pickup_override(actor=world.pfso(), attempt=refusal, reason="again")


def test_the_terminal_cannot_override_customs_or_the_wrong_driver(p, world):
    p.assign()
    colleague = CredentialFactory(person=PersonFactory(employer=p.orgs["haulier"]), port=p.world.port,
                                  issued_by=p.orgs["haulier"])
    refusal = p.pick(credential_number=colleague.number)
    with pytest.raises(ServiceError, match="cannot be overridden by the terminal: Not the assigned driver"):
        pickup_override(actor=world.pfso(), attempt=refusal, reason="looks fine")
    assert PickupAttempt.objects.count() == 1


def test_the_trace_lists_every_party_and_act_in_order(p):
    from havenwatch.release.trace import container_trace, trace_export

    p.assign()
    p.pick(credential_number="NOBODY-1")
    p.pick()
    customs = OrganisationFactory(name="Customs", kind=OrganisationKind.CUSTOMS)
    stranger = principal(Role.AUTHORITY_INVESTIGATOR, customs)
    with pytest.raises(ServiceError, match="may not do this"):  # no jurisdiction over the port
        container_trace(principal=stranger, container=p.release.container)
    Jurisdiction.objects.create(organisation=customs, port=p.world.port)
    investigator = principal(Role.AUTHORITY_INVESTIGATOR, customs)
    steps = container_trace(principal=investigator, container=p.release.container)
    codes = [step.code for step in steps]
    assert codes[:3] == ["release.container.registered", "release.issued", "release.right.offered"]
    assert codes.count("release.pickup") == 2 and codes[-1] == "release.pickup"
    assert "release.assignment.created" in codes and "release.container.discharged" in codes
    assert [s.sequence for s in steps] == sorted(s.sequence for s in steps)
    assert {s.organisation for s in steps} >= {"Oceanic Lines", "Consignee NV", "Flanders Haulage", "Terminal Operator A"}
    document = trace_export(principal=investigator, container=p.release.container)
    assert document["container"] == NUMBER and len(document["steps"]) == len(steps)
    with pytest.raises(ServiceError, match="may not do this"):
        container_trace(principal=p.acting["haulier"], container=p.release.container)


def test_a_foreign_truck_is_assigned_and_recognised_at_the_gate(p):
    assignment = p.assign(plate="NL:AB-123-C")
    assert assignment.plate == "NL:AB123C"
    assert p.pick(plate="nl:ab 123 c").granted


def test_an_attempt_keeps_the_number_in_its_standard_form_and_who_was_presented(p):
    p.assign()
    granted = p.pick(container_number="csqu 305438 3")
    assert granted.granted and granted.container_number == NUMBER
    again = p.pick()
    assert again.reasons == [PickupReason.ALREADY_PICKED_UP]
    assert again.credential_id == p.badge.pk  # the driver is named even when the container is gone


# --- security verifications -----------------------------------------------------------------


def _police(world):
    police = OrganisationFactory(name="Federal Maritime Police", kind=OrganisationKind.POLICE)
    Jurisdiction.objects.create(organisation=police, port=world.port)
    return principal(Role.AUTHORITY_INVESTIGATOR, police)


def test_a_refused_verification_cancels_the_drivers_assignment_and_stops_the_gate(p, world):
    from havenwatch.access.choices import VerificationStatus
    from tests.access.factories import SecurityVerificationFactory

    assignment = p.assign()
    asked = SecurityVerificationFactory(person=p.driver, status=VerificationStatus.REQUESTED, decided_at=None,
                                        valid_until=None)
    screening.verification_decide(actor=_police(world), verification=asked, status=VerificationStatus.NEGATIVE)
    _run_release_consumer()
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.CANCELLED and "verification" in assignment.cancelled_reason
    told = OutboxEvent.objects.filter(type="release.assignment.cancelled").order_by("-sequence").first()
    assert told.organisation_id == p.orgs["haulier"].pk and told.priority == 1
    with pytest.raises(ServiceError, match="security verification was refused or has expired"):
        p.assign()
    refused(p.pick(), PickupReason.NO_ASSIGNMENT)


def test_an_expired_verification_cancels_the_assignment_when_its_time_passes(p, frozen):
    from havenwatch.access.choices import VerificationStatus
    from havenwatch.release.consumers import cancel_for_lapsed_verifications
    from tests.access.factories import SecurityVerificationFactory

    SecurityVerificationFactory(person=p.driver, status=VerificationStatus.POSITIVE,
                                valid_until=clock.now() + timedelta(minutes=30))
    assignment = p.assign()  # valid now: the driver may be assigned
    assert cancel_for_lapsed_verifications() == 0
    frozen.advance(minutes=31)  # nobody acts; the verification lapses
    assert p.pick().reasons == [PickupReason.VERIFICATION_LAPSED]  # the gate knows at once
    assert cancel_for_lapsed_verifications() == 1  # and the periodic job tells the haulier
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.CANCELLED
    assert cancel_for_lapsed_verifications() == 0  # idempotent


def test_a_driver_never_verified_is_not_concerned(p):
    from havenwatch.release.consumers import cancel_for_lapsed_verifications

    p.assign()
    assert cancel_for_lapsed_verifications() == 0
    assert p.pick().granted
