"""People, credentials and vehicles through the services."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime, timedelta

import pytest

from havenwatch.access.choices import CredentialState
from havenwatch.access.models import (
    Credential,
    CredentialStateChange,
    Employment,
    FacilityEnrolment,
    Person,
    Vehicle,
)
from havenwatch.access.services import people
from havenwatch.core import clock, crypto
from havenwatch.core.choices import OrganisationKind, Role
from havenwatch.core.errors import Conflict, PermissionRefused, ValidationFailed
from havenwatch.core.models import AuditRecord, OutboxEvent
from tests.access.factories import CredentialFactory, PersonFactory
from tests.factories import OrganisationFactory, principal

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
NN = "85.07.30-033.28"


@pytest.fixture(autouse=True)
def _frozen():
    with clock.frozen(NOW) as frozen:
        yield frozen


def counts():
    return (Person.objects.count(), Employment.objects.count(), Credential.objects.count(),
            CredentialStateChange.objects.count(), FacilityEnrolment.objects.count(), Vehicle.objects.count(),
            AuditRecord.objects.count(), OutboxEvent.objects.count())


def last_audit(code):
    return AuditRecord.objects.filter(code=code).order_by("-sequence").first()


def manager(org):
    return principal(Role.COMPANY_ACCESS_MANAGER, org)


def register(actor, employer, **extra):
    fields = {"first_name": "An", "last_name": "Janssens", "date_of_birth": date(1985, 7, 30),
              "nationality": "BE", "employer": employer, **extra}
    return people.person_register(actor=actor, **fields)


def issue(actor, person, port, number="CARD-0000-0001", **extra):
    return people.credential_issue(actor=actor, person=person, port=port, number=number,
                                   valid_from=NOW - timedelta(hours=1), valid_until=NOW + timedelta(days=365),
                                   **extra)


# -- registering people -------------------------------------------------------------------

def test_registering_a_person_creates_their_employment_and_audit_record(world):
    person = register(manager(world.company), world.company, proofing_level="eid")
    assert person.employer == world.company
    assert list(person.employments.values_list("organisation_id", "ended_on")) == [(world.company.pk, None)]
    record = last_audit("access.person.registered")
    assert record.subject_id == str(person.pk)
    assert record.data["employer"] == world.company.pk
    assert record.data["proofing_level"] == "eid"
    assert record.data["name"].startswith("sha256:")
    assert "Janssens" not in json.dumps(record.data)


def test_national_number_is_stored_sealed_and_never_in_the_audit_chain(world):
    person = register(manager(world.company), world.company, national_number=NN, id_document_ref="592123456789")
    person.refresh_from_db()
    sealed = bytes(person.national_number_sealed)
    assert b"85073003328" not in sealed
    assert crypto.unseal(sealed) == "85073003328"
    assert person.national_number_digest == people.national_number_digest(NN)
    assert len(person.national_number_digest) == 64
    chain = json.dumps(list(AuditRecord.objects.values_list("data", flat=True)))
    events = json.dumps(list(OutboxEvent.objects.values_list("payload", flat=True)))
    for text in (chain, events):
        assert "85073003328" not in text
        assert "592123456789" not in text
        assert "1985-07-30" not in text
    assert last_audit("access.person.registered").data["national_number"].startswith("sha256:")
    assert people.person_national_number(actor=manager(world.company), person=person) == "85073003328"


def test_duplicate_national_number_is_refused(world):
    register(manager(world.company), world.company, national_number=NN)
    before = counts()
    with pytest.raises(Conflict, match="national register number is registered already"):
        register(manager(world.operator), world.operator, national_number="85073003328", first_name="Other")
    assert counts() == before


def test_national_number_with_a_wrong_check_digit_is_refused(world):
    before = counts()
    with pytest.raises(ValidationFailed, match="check digits do not match") as exc:
        register(manager(world.company), world.company, national_number="85073003329")
    assert exc.value.field == "national_number"
    assert counts() == before


def test_biometric_reference_is_kept_only_as_its_hash(world):
    person = register(manager(world.company), world.company, biometric_reference="chip-template-42")
    assert person.biometric_reference_hash == hashlib.sha256(b"chip-template-42").hexdigest()
    assert "chip-template-42" not in json.dumps(list(AuditRecord.objects.values_list("data", flat=True)))


def test_registering_for_another_organisation_is_refused(world):
    before = counts()
    with pytest.raises(PermissionRefused, match="for your own organisation only"):
        register(manager(world.company), world.operator)
    assert counts() == before


def test_a_role_without_manage_people_cannot_register(world):
    before = counts()
    with pytest.raises(PermissionRefused, match="Your role does not allow this"):
        register(principal(Role.GATE_GUARD, world.company), world.company)
    assert counts() == before


def test_date_of_birth_in_the_future_is_refused(world):
    before = counts()
    with pytest.raises(ValidationFailed, match="cannot be right"):
        register(manager(world.company), world.company, date_of_birth=date(2030, 1, 1))
    assert counts() == before


# -- employer changes ---------------------------------------------------------------------

def test_changing_employer_deactivates_credentials(world):
    person = PersonFactory(employer=world.company)
    active = CredentialFactory(person=person, port=world.port)
    blocked = CredentialFactory(person=person, port=world.foreign_port, state=CredentialState.BLOCKED)
    new_employer = OrganisationFactory(kind=OrganisationKind.TRANSPORT_COMPANY)
    people.person_change_employer(actor=manager(new_employer), person=person, employer=new_employer)
    person.refresh_from_db()
    active.refresh_from_db()
    blocked.refresh_from_db()
    assert person.employer == new_employer
    assert active.state == CredentialState.INACTIVE
    assert blocked.state == CredentialState.BLOCKED
    assert active.state_changes.get().reason == "employer changed"
    employments = dict(person.employments.values_list("organisation_id", "ended_on"))
    assert employments == {world.company.pk: NOW.date(), new_employer.pk: None}
    assert last_audit("access.person.employer_changed").data == {"previous": world.company.pk,
                                                                 "employer": new_employer.pk}
    change = last_audit("access.credential.state_changed")
    assert change.data == {"number": active.number, "previous_state": "active", "state": "inactive",
                           "reason": "employer changed"}


def test_the_old_employer_cannot_reactivate_a_credential_after_the_employer_changed(world):
    person = PersonFactory(employer=world.company)
    credential = CredentialFactory(person=person, port=world.port)
    new_employer = OrganisationFactory()
    people.person_change_employer(actor=manager(world.company), person=person, employer=new_employer)
    before = counts()
    with pytest.raises(ValidationFailed, match="no longer works for the issuer"):
        people.credential_set_state(actor=manager(world.company), credential=credential, state="active",
                                    reason="found again")
    assert counts() == before


def test_a_stranger_cannot_change_someones_employer(world):
    person = PersonFactory(employer=world.company)
    before = counts()
    with pytest.raises(PermissionRefused, match="current or new employer"):
        people.person_change_employer(actor=manager(world.operator), person=person,
                                      employer=OrganisationFactory())
    assert counts() == before
    person.refresh_from_db()
    assert person.employer == world.company


# -- issuing credentials ------------------------------------------------------------------

def test_the_employer_issues_a_credential_with_an_audit_record(world):
    person = PersonFactory(employer=world.company)
    credential = issue(manager(world.company), person, world.port, number="card-0000-0001")
    assert credential.number == "CARD-0000-0001"
    assert credential.issued_by == world.company
    assert credential.state == CredentialState.ACTIVE
    record = last_audit("access.credential.issued")
    assert record.data["number"] == "CARD-0000-0001"
    assert record.data["port"] == "BEAAA"
    assert record.port_id == world.port.pk


def test_second_active_card_for_the_same_port_is_refused(world):
    person = PersonFactory(employer=world.company)
    issue(manager(world.company), person, world.port)
    before = counts()
    with pytest.raises(Conflict, match="has an active badge for Port A already"):
        issue(manager(world.company), person, world.port, number="CARD-0000-0002")
    assert counts() == before
    # Another port is fine.
    issue(manager(world.company), person, world.foreign_port, number="CARD-0000-0003")


def test_a_card_can_be_reissued_once_the_old_one_is_blocked(world):
    person = PersonFactory(employer=world.company)
    old = issue(manager(world.company), person, world.port)
    people.credential_set_state(actor=manager(world.company), credential=old, state="blocked", reason="stolen")
    new = issue(manager(world.company), person, world.port, number="CARD-0000-0002")
    assert new.state == CredentialState.ACTIVE


def test_credential_number_in_use_is_refused(world):
    CredentialFactory(number="CARD-0000-0001")
    person = PersonFactory(employer=world.company)
    before = counts()
    with pytest.raises(Conflict, match="CARD-0000-0001 is in use already"):
        issue(manager(world.company), person, world.port)
    assert counts() == before


def test_only_the_employer_issues_credentials(world):
    person = PersonFactory(employer=world.company)
    before = counts()
    with pytest.raises(PermissionRefused, match="Only Haulier A, the employer"):
        issue(manager(world.operator), person, world.port)
    assert counts() == before


def test_credential_window_ending_before_it_starts_is_refused(world):
    person = PersonFactory(employer=world.company)
    before = counts()
    with pytest.raises(ValidationFailed, match="must end after it starts"):
        people.credential_issue(actor=manager(world.company), person=person, port=world.port,
                                number="CARD-0000-0001", valid_from=NOW, valid_until=NOW - timedelta(days=1))
    assert counts() == before


def test_malformed_credential_number_is_refused(world):
    person = PersonFactory(employer=world.company)
    before = counts()
    with pytest.raises(ValidationFailed, match="not a credential number"):
        issue(manager(world.company), person, world.port, number="ab")
    assert counts() == before


# -- credential states --------------------------------------------------------------------

def test_a_lost_credential_goes_inactive_and_back_with_each_change_kept(world):
    credential = CredentialFactory(person=PersonFactory(employer=world.company), port=world.port)
    actor = manager(world.company)
    people.credential_set_state(actor=actor, credential=credential, state="inactive", reason="left at home")
    people.credential_set_state(actor=actor, credential=credential, state="active", reason="found")
    credential.refresh_from_db()
    assert credential.state == CredentialState.ACTIVE
    assert list(credential.state_changes.order_by("pk").values_list("previous_state", "state", "reason")) == [
        ("active", "inactive", "left at home"), ("inactive", "active", "found")]
    assert last_audit("access.credential.state_changed").data["reason"] == "found"


def test_blocking_a_credential_is_published_to_issuer_and_authorities_at_priority_2(world):
    credential = CredentialFactory(person=PersonFactory(employer=world.company), port=world.port)
    people.credential_set_state(actor=manager(world.company), credential=credential, state="blocked",
                                reason="stolen")
    event = OutboxEvent.objects.filter(type="access.credential.state_changed").latest("sequence")
    assert event.priority == 2
    assert event.audience == "organisation"  # the issuer and the port's authorities, not every company
    assert event.port_id == world.port.pk
    assert last_audit("access.credential.state_changed").data["state"] == "blocked"


def test_a_blocked_credential_stays_blocked(world):
    credential = CredentialFactory(person=PersonFactory(employer=world.company), port=world.port,
                                   state=CredentialState.BLOCKED)
    before = counts()
    with pytest.raises(ValidationFailed, match="blocked for good"):
        people.credential_set_state(actor=manager(world.company), credential=credential, state="active",
                                    reason="found it after all")
    assert counts() == before


def test_changing_state_needs_a_reason(world):
    credential = CredentialFactory(person=PersonFactory(employer=world.company), port=world.port)
    before = counts()
    with pytest.raises(ValidationFailed, match="Say why"):
        people.credential_set_state(actor=manager(world.company), credential=credential, state="inactive",
                                    reason="  ")
    assert counts() == before


def test_another_organisation_cannot_block_a_credential(world):
    credential = CredentialFactory(person=PersonFactory(employer=world.company), port=world.port)
    before = counts()
    with pytest.raises(PermissionRefused, match="may not do this"):
        people.credential_set_state(actor=manager(world.operator), credential=credential, state="blocked",
                                    reason="just because")
    assert counts() == before


# -- facility activation ------------------------------------------------------------------

def test_the_facility_activates_a_credential_of_its_port(world):
    credential = CredentialFactory(person=PersonFactory(employer=world.company), port=world.port)
    enrolment = people.credential_activate(actor=world.pfso(), credential=credential, facility=world.facility)
    assert enrolment.is_active
    record = last_audit("access.credential.activated")
    assert record.data == {"number": credential.number, "facility": "BEAAA-0001"}
    people.credential_deactivate(actor=world.pfso(), credential=credential, facility=world.facility)
    enrolment.refresh_from_db()
    assert not enrolment.is_active
    assert last_audit("access.credential.deactivated").data["facility"] == "BEAAA-0001"


def test_credential_of_another_port_cannot_be_activated(world):
    credential = CredentialFactory(person=PersonFactory(employer=world.company), port=world.foreign_port)
    before = counts()
    with pytest.raises(ValidationFailed, match="credential of another port") as exc:
        people.credential_activate(actor=world.pfso(), credential=credential, facility=world.facility)
    assert exc.value.field == "credential"
    assert counts() == before


def test_only_the_facility_operator_activates_credentials_there(world):
    credential = CredentialFactory(person=PersonFactory(employer=world.company), port=world.port)
    before = counts()
    with pytest.raises(PermissionRefused, match="Only the operator of Terminal A"):
        people.credential_activate(actor=world.foreign_pfso(), credential=credential, facility=world.facility)
    with pytest.raises(PermissionRefused, match="Your role does not allow this"):
        people.credential_activate(actor=manager(world.operator), credential=credential, facility=world.facility)
    assert counts() == before


def test_a_blocked_credential_cannot_be_activated(world):
    credential = CredentialFactory(person=PersonFactory(employer=world.company), port=world.port,
                                   state=CredentialState.BLOCKED)
    before = counts()
    with pytest.raises(ValidationFailed, match="only an active credential can be activated"):
        people.credential_activate(actor=world.pfso(), credential=credential, facility=world.facility)
    assert counts() == before


# -- vehicles -----------------------------------------------------------------------------

def test_a_vehicle_is_registered_under_its_normalised_plate(world):
    driver = PersonFactory(employer=world.company)
    vehicle = people.vehicle_register(actor=manager(world.company), plate="1-abc-234", country="be",
                                      owner=world.company, drivers=[driver])
    assert vehicle.plate == "BE:1ABC234"
    assert list(vehicle.drivers.all()) == [driver]
    assert last_audit("access.vehicle.registered").data == {"plate": "BE:1ABC234", "owner": world.company.pk}


def test_malformed_plate_is_refused(world):
    before = counts()
    with pytest.raises(ValidationFailed, match="1-AB-23 is not a Belgian number plate") as exc:
        people.vehicle_register(actor=manager(world.company), plate="1-AB-23", country="BE", owner=world.company)
    assert exc.value.field == "plate"
    assert counts() == before


def test_the_same_plate_is_registered_once(world):
    people.vehicle_register(actor=manager(world.company), plate="ABC123", country="BE", owner=world.company)
    before = counts()
    with pytest.raises(Conflict, match="BE:ABC123 is registered already"):
        people.vehicle_register(actor=manager(world.company), plate="abc.123", country="BE", owner=world.company)
    assert counts() == before


def test_a_driver_of_another_employer_is_refused(world):
    stranger = PersonFactory(employer=world.operator)
    before = counts()
    with pytest.raises(ValidationFailed, match="does not work for Haulier A"):
        people.vehicle_register(actor=manager(world.company), plate="1ABC234", country="BE",
                                owner=world.company, drivers=[stranger])
    assert counts() == before
