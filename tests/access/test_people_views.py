"""The access manager's pages: people, their credentials and screening, and vehicles."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from havenwatch.access.choices import CredentialState, ProofingLevel, RecordCheckResult, VerificationStatus
from havenwatch.access.models import (
    Credential,
    CredentialStateChange,
    Person,
    RecordCheck,
    SecurityVerification,
    Vehicle,
)
from havenwatch.access.services import people as people_services
from havenwatch.core import clock
from havenwatch.core.choices import OrganisationKind, Role
from havenwatch.core.models import AuditRecord
from tests.access.factories import (
    CredentialFactory,
    FacilityEnrolmentFactory,
    PersonFactory,
    PortBanFactory,
    SecurityVerificationFactory,
    VehicleFactory,
)
from tests.factories import OrganisationFactory, principal

NN = "85.07.30-033.28"


def signed_in(client, who):
    client.force_login(who.user)
    return client


def text(response) -> str:
    return response.content.decode()


def local(moment, world) -> str:
    return moment.astimezone(ZoneInfo(world.port.time_zone)).strftime("%Y-%m-%dT%H:%M")


def audited(code: str) -> bool:
    return AuditRecord.objects.filter(code=code).exists()


@pytest.fixture
def manager(world):
    return principal(Role.COMPANY_ACCESS_MANAGER, world.company)


@pytest.fixture
def staff(world):
    """An employee of the haulier with an active badge for Port A."""
    person = PersonFactory(employer=world.company, first_name="Anna", last_name="Peeters")
    card = CredentialFactory(person=person, port=world.port, issued_by=world.company, number="ALFA-00000001")
    return person, card


@pytest.fixture
def stranger(world):
    """Someone employed by the other port's terminal operator, with a badge."""
    person = PersonFactory(employer=world.foreign_operator, first_name="Otto", last_name="Fremd")
    card = CredentialFactory(person=person, port=world.foreign_port, issued_by=world.foreign_operator)
    return person, card


def register_data(**overrides):
    data = {
        "first_name": "Maria", "last_name": "Janssens", "date_of_birth": "1985-07-30", "nationality": "be",
        "id_document_ref": "592123456789", "national_number": NN, "proofing_level": ProofingLevel.EID,
        "biometric_reference": "ALFA-TPL-7781",
    }
    data.update(overrides)
    return data


def issue_data(world, **overrides):
    start = (clock.now() + timedelta(hours=1)).replace(second=0, microsecond=0)
    data = {
        "issue-port": world.port.pk, "issue-number": "alfa-00000777", "issue-kind": "card",
        "issue-valid_from": local(start, world), "issue-valid_until": local(start + timedelta(days=365), world),
    }
    data.update(overrides)
    return data


# -- the list ------------------------------------------------------------------------------

def test_manager_sees_own_staff_with_credentials_and_not_other_companies_people(client, world, manager, staff,
                                                                                  stranger):
    person, card = staff
    CredentialFactory(person=person, port=world.foreign_port, issued_by=world.company,
                      state=CredentialState.BLOCKED)
    signed_in(client, manager)
    response = client.get(reverse("access:people"))
    assert response.status_code == 200
    body = text(response)
    assert "Peeters, Anna" in body and reverse("access:person_detail", args=[person.pk]) in body
    assert "Active: 1" in body and "Blocked (for good): 1" in body
    assert "Fremd" not in body
    assert "Register a person" in body
    # A haulier works in no port of its own: the ban check is left to the person's page.
    assert "Port ban check" not in body


def test_people_are_found_by_name_credential_number_and_credential_state(client, world, manager, staff):
    person, card = staff
    other = PersonFactory(employer=world.company, first_name="Bram", last_name="Claes")
    CredentialFactory(person=other, port=world.port, issued_by=world.company, number="ALFA-00000099",
                      state=CredentialState.INACTIVE)
    signed_in(client, manager)

    def names(**params):
        body = text(client.get(reverse("access:people"), params))
        return {name for name in ("Peeters", "Claes") if name in body}

    assert names(q="anna peet") == {"Peeters"}
    assert names(q="00000099") == {"Claes"}
    assert names(state=CredentialState.INACTIVE) == {"Claes"}
    assert names(employer=world.company.pk) == {"Peeters", "Claes"}
    assert "No person matches these filters." in text(client.get(reverse("access:people"), {"q": "nobody"}))


def test_facility_officer_sees_the_ban_result_in_their_port_but_never_the_file(client, world):
    banned = PersonFactory(employer=world.operator, first_name="Karel", last_name="Verbannen")
    PortBanFactory(person=banned, legal_reference="Corr. Antwerpen 2026/00042")
    PersonFactory(employer=world.operator, first_name="Els", last_name="Vrij")
    signed_in(client, world.pfso())
    body = text(client.get(reverse("access:people")))
    assert "Port ban check (Port A)" in body
    assert '<span class="tag danger">Hit</span>' in body and '<span class="tag ok">No hit</span>' in body
    assert "Corr. Antwerpen" not in body
    detail = text(client.get(reverse("access:person_detail", args=[banned.pk])))
    assert '<span class="tag danger">Hit</span>' in detail and "Corr. Antwerpen" not in detail


def test_people_list_costs_the_same_queries_for_more_people(client, world, manager):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("access:people")).status_code == 200
        return len(captured)

    signed_in(client, manager)
    for _ in range(2):
        CredentialFactory(person=PersonFactory(employer=world.company), port=world.port, issued_by=world.company)
    few = queries()
    for _ in range(4):
        CredentialFactory(person=PersonFactory(employer=world.company), port=world.port, issued_by=world.company)
    assert queries() == few


def test_role_without_people_permission_gets_403(client, world, staff):
    person, card = staff
    signed_in(client, principal(Role.DRIVER, world.company))
    assert client.get(reverse("access:people")).status_code == 403
    assert client.get(reverse("access:person_detail", args=[person.pk])).status_code == 403
    assert client.get(reverse("access:vehicles")).status_code == 403
    assert client.get(reverse("access:person_new")).status_code == 403


def test_gate_guard_may_look_but_not_register_or_change(client, world):
    person = PersonFactory(employer=world.operator)
    card = CredentialFactory(person=person, port=world.port, issued_by=world.operator)
    signed_in(client, principal(Role.GATE_GUARD, world.operator))
    listing = text(client.get(reverse("access:people")))
    assert person.last_name in listing and "Register a person" not in listing
    detail = client.get(reverse("access:person_detail", args=[person.pk]))
    assert detail.status_code == 200
    assert "Issue a credential" not in text(detail) and "Show national number" not in text(detail)
    assert client.get(reverse("access:person_new")).status_code == 403
    assert client.get(reverse("access:vehicle_new")).status_code == 403
    response = client.post(reverse("access:credential_state", args=[card.pk]),
                           {f"credential-{card.pk}-state": "blocked", f"credential-{card.pk}-reason": "lost"})
    assert response.status_code == 403
    assert client.post(reverse("access:person_national_number", args=[person.pk])).status_code == 403
    card.refresh_from_db()
    assert card.state == CredentialState.ACTIVE


@pytest.mark.parametrize("name", ["access:people", "access:person_new", "access:vehicles", "access:vehicle_new"])
def test_anonymous_is_sent_to_sign_in(client, db, name):
    response = client.get(reverse(name))
    assert response.status_code == 302 and response.url.startswith(reverse("core:login"))


# -- registering ---------------------------------------------------------------------------

def test_manager_registers_an_employee_with_their_national_number_sealed(client, world, manager):
    signed_in(client, manager)
    page = client.get(reverse("access:person_new"))
    assert page.status_code == 200 and "Haulier A" in text(page) and "only a hash" in text(page)
    response = client.post(reverse("access:person_new"), register_data())
    person = Person.objects.get(last_name="Janssens")
    assert response.status_code == 302 and response.url == reverse("access:person_detail", args=[person.pk])
    assert person.employer == world.company and person.nationality == "BE"
    assert person.proofing_level == ProofingLevel.EID
    assert person.national_number_sealed and person.biometric_reference_hash
    assert person.biometric_reference_hash != "ALFA-TPL-7781"
    assert audited("access.person.registered")
    # Not on the page until the manager asks for it.
    detail = text(client.get(response.url))
    assert "Show national number" in detail
    assert "85073003328" not in detail and "85.07.30" not in detail


def test_register_with_a_wrong_national_number_shows_why_and_registers_nobody(client, world, manager):
    signed_in(client, manager)
    response = client.post(reverse("access:person_new"), register_data(national_number="85.07.30-033.29"))
    assert response.status_code == 400
    assert "is not a valid national register number: its check digits do not match" in text(response)
    assert not Person.objects.exists()
    assert not audited("access.person.registered")


def test_register_with_a_bad_nationality_shows_the_message_on_that_field(client, world, manager):
    signed_in(client, manager)
    response = client.post(reverse("access:person_new"), register_data(nationality="Belgian"))
    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors["nationality"] == ["Country must be a two-letter ISO 3166 code such as BE."]
    assert not Person.objects.exists()


# -- one person ----------------------------------------------------------------------------

def test_person_page_shows_credentials_activations_vehicles_and_employment(client, world, manager, staff):
    person, card = staff
    people_services.credential_set_state(actor=manager, credential=card, state=CredentialState.INACTIVE,
                                         reason="left at home")
    FacilityEnrolmentFactory(credential=card, facility=world.facility)
    vehicle = VehicleFactory(owner=world.company)
    vehicle.drivers.add(person)
    signed_in(client, manager)
    response = client.get(reverse("access:person_detail", args=[person.pk]))
    assert response.status_code == 200
    body = text(response)
    assert "ALFA-00000001" in body and "Inactive (temporarily missing)" in body and "left at home" in body
    assert "Terminal A" in body
    assert vehicle.plate in body
    assert "Haulier A" in body
    # The ban check for the card's port: the file is never shown.
    assert '<span class="tag ok">No hit</span>' in body


def test_another_organisations_person_is_404_everywhere(client, world, manager, stranger):
    person, card = stranger
    signed_in(client, manager)
    assert client.get(reverse("access:person_detail", args=[person.pk])).status_code == 404
    assert client.post(reverse("access:person_national_number", args=[person.pk])).status_code == 404
    assert client.post(reverse("access:credential_issue", args=[person.pk]), issue_data(world)).status_code == 404
    assert client.post(reverse("access:credential_state", args=[card.pk]),
                       {f"credential-{card.pk}-state": "blocked",
                        f"credential-{card.pk}-reason": "lost"}).status_code == 404
    assert client.post(reverse("access:person_employer", args=[person.pk]),
                       {"employer-employer": world.company.pk}).status_code == 404
    assert client.post(reverse("access:person_verification_request", args=[person.pk]),
                       {"verification-function": "IT"}).status_code == 404
    assert client.post(reverse("access:person_record_check", args=[person.pk]),
                       {"check-checked_on": "2026-01-05", "check-result": "no_entries"}).status_code == 404
    card.refresh_from_db()
    person.refresh_from_db()
    assert card.state == CredentialState.ACTIVE and person.employer == world.foreign_operator
    assert not Credential.objects.filter(person=person).exclude(pk=card.pk).exists()
    assert not SecurityVerification.objects.exists() and not RecordCheck.objects.exists()


def test_manager_shows_the_national_number_once_on_request(client, world, manager):
    person = people_services.person_register(
        actor=manager, first_name="Maria", last_name="Janssens", date_of_birth=clock.now().date().replace(year=1985),
        nationality="BE", employer=world.company, national_number=NN,
    )
    signed_in(client, manager)
    response = client.post(reverse("access:person_national_number", args=[person.pk]))
    assert response.status_code == 200
    assert "85.07.30-033.28" in text(response)
    assert "no-store" in response["Cache-Control"]
    assert "85.07.30-033.28" not in text(client.get(reverse("access:person_detail", args=[person.pk])))
    assert client.get(reverse("access:person_national_number", args=[person.pk])).status_code == 405
    # Every read is audited: who looked at whose number (never the number itself).
    read = AuditRecord.objects.get(code="access.person.national_number_read")
    assert read.subject_id == str(person.pk) and read.data == {} and "85" not in str(read.data)


# -- credentials ---------------------------------------------------------------------------

def test_manager_issues_a_badge_valid_from_the_port_time_given(client, world, manager):
    person = PersonFactory(employer=world.company)
    signed_in(client, manager)
    data = issue_data(world)
    response = client.post(reverse("access:credential_issue", args=[person.pk]), data)
    assert response.status_code == 302 and response.url == reverse("access:person_detail", args=[person.pk])
    credential = Credential.objects.get(person=person)
    assert credential.number == "ALFA-00000777" and credential.port == world.port
    assert credential.issued_by == world.company and credential.state == CredentialState.ACTIVE
    assert local(credential.valid_from, world) == data["issue-valid_from"]
    assert audited("access.credential.issued")
    assert "ALFA-00000777" in text(client.get(response.url))


def test_banned_person_gets_no_credential_and_the_page_says_why(client, world, manager):
    person = PersonFactory(employer=world.company)
    PortBanFactory(person=person)
    signed_in(client, manager)
    response = client.post(reverse("access:credential_issue", args=[person.pk]), issue_data(world))
    assert response.status_code == 400
    assert "is banned from Port A: no credential can be issued." in text(response)
    assert not Credential.objects.filter(person=person).exists()
    assert not audited("access.credential.issued")


def test_badly_written_credential_number_is_refused_on_its_field(client, world, manager):
    person = PersonFactory(employer=world.company)
    signed_in(client, manager)
    response = client.post(reverse("access:credential_issue", args=[person.pk]),
                           issue_data(world, **{"issue-number": "AB 12"}))
    assert response.status_code == 400
    assert response.context["issue_form"].errors["number"] == [
        "AB 12 is not a credential number: 8 to 40 letters, digits and dashes."]
    assert not Credential.objects.exists()


def test_manager_blocks_a_lost_card_with_a_reason(client, world, manager, staff):
    person, card = staff
    signed_in(client, manager)
    detail = client.get(reverse("access:person_detail", args=[person.pk]))
    offered = [value for value, _label in detail.context["credential_rows"][0]["form"].fields["state"].choices
               if value]
    assert offered == [CredentialState.INACTIVE, CredentialState.BLOCKED, CredentialState.EXPIRED]

    response = client.post(reverse("access:credential_state", args=[card.pk]),
                           {f"credential-{card.pk}-state": "blocked",
                            f"credential-{card.pk}-reason": "reported stolen on 3 March"})
    assert response.status_code == 302 and response.url == reverse("access:person_detail", args=[person.pk])
    card.refresh_from_db()
    assert card.state == CredentialState.BLOCKED
    change = CredentialStateChange.objects.get(credential=card)
    assert change.reason == "reported stolen on 3 March" and change.changed_by == manager.label
    assert audited("access.credential.state_changed")
    page = client.get(response.url)
    assert "reported stolen on 3 March" in text(page)
    assert page.context["credential_rows"][0]["form"] is None  # blocked for good: nothing to choose
    assert "A blocked credential stays blocked" in text(page)


def test_state_change_without_reason_is_refused_and_changes_nothing(client, world, manager, staff):
    person, card = staff
    signed_in(client, manager)
    response = client.post(reverse("access:credential_state", args=[card.pk]),
                           {f"credential-{card.pk}-state": "inactive", f"credential-{card.pk}-reason": "  "})
    assert response.status_code == 400
    assert "Say why the credential&#x27;s state changes." in text(response)
    card.refresh_from_db()
    assert card.state == CredentialState.ACTIVE
    assert not CredentialStateChange.objects.exists() and not audited("access.credential.state_changed")


def test_state_change_needs_a_chosen_state(client, world, manager, staff):
    person, card = staff
    signed_in(client, manager)
    response = client.post(reverse("access:credential_state", args=[card.pk]),
                           {f"credential-{card.pk}-state": "", f"credential-{card.pk}-reason": "lost"})
    assert response.status_code == 400
    assert "Choose the new state." in text(response)
    card.refresh_from_db()
    assert card.state == CredentialState.ACTIVE


def test_blocked_card_cannot_be_made_active_again(client, world, manager, staff):
    person, card = staff
    people_services.credential_set_state(actor=manager, credential=card, state=CredentialState.BLOCKED,
                                         reason="stolen")
    signed_in(client, manager)
    response = client.post(reverse("access:credential_state", args=[card.pk]),
                           {f"credential-{card.pk}-state": "active", f"credential-{card.pk}-reason": "found"})
    assert response.status_code == 400
    assert "is blocked for good: its issuer can issue a new credential." in text(response)
    card.refresh_from_db()
    assert card.state == CredentialState.BLOCKED


def test_change_of_employer_sets_credentials_inactive_and_hands_the_person_over(client, world, manager, staff):
    person, card = staff
    new_employer = OrganisationFactory(name="Stevedore C", kind=OrganisationKind.COMPANY)
    signed_in(client, manager)
    response = client.post(reverse("access:person_employer", args=[person.pk]),
                           {"employer-employer": new_employer.pk})
    assert response.status_code == 302 and response.url == reverse("access:people")
    person.refresh_from_db()
    card.refresh_from_db()
    assert person.employer == new_employer and card.state == CredentialState.INACTIVE
    assert audited("access.person.employer_changed")
    assert client.get(reverse("access:person_detail", args=[person.pk])).status_code == 404


def test_change_to_an_unknown_employer_is_refused(client, world, manager, staff):
    person, card = staff
    signed_in(client, manager)
    response = client.post(reverse("access:person_employer", args=[person.pk]), {"employer-employer": ""})
    assert response.status_code == 400
    person.refresh_from_db()
    assert person.employer == world.company and not audited("access.person.employer_changed")


# -- screening -----------------------------------------------------------------------------

def test_manager_requests_a_security_verification(client, world, manager, staff):
    person, card = staff
    SecurityVerificationFactory(person=person, function="port information",
                                valid_until=clock.now() - timedelta(days=1))
    signed_in(client, manager)
    response = client.post(reverse("access:person_verification_request", args=[person.pk]),
                           {"verification-function": "access to the terminal operating system"})
    assert response.status_code == 302
    verification = SecurityVerification.objects.get(function="access to the terminal operating system")
    assert verification.status == VerificationStatus.REQUESTED and verification.requested_by == world.company
    assert audited("access.verification.requested")
    body = text(client.get(response.url))
    assert ">Requested</span>" in body
    assert "port information" in body and ">Expired<" in body  # positive, but past its expiry


def test_verification_without_a_function_is_refused(client, world, manager, staff):
    person, card = staff
    signed_in(client, manager)
    response = client.post(reverse("access:person_verification_request", args=[person.pk]),
                           {"verification-function": " "})
    assert response.status_code == 400
    assert "Name the critical function the verification is for." in text(response)
    assert not SecurityVerification.objects.exists()


def test_manager_records_a_criminal_record_extract_check(client, world, manager, staff):
    person, card = staff
    signed_in(client, manager)
    checked_on = (clock.now() - timedelta(days=2)).date()
    response = client.post(reverse("access:person_record_check", args=[person.pk]),
                           {"check-checked_on": checked_on.isoformat(), "check-result": RecordCheckResult.NO_ENTRIES})
    assert response.status_code == 302
    check = RecordCheck.objects.get(person=person)
    assert check.checked_on == checked_on and check.checked_by == world.company
    assert audited("access.record_check.recorded")
    body = text(client.get(response.url))
    assert checked_on.isoformat() in body and "No relevant entries" in body


def test_record_check_dated_in_the_future_is_refused(client, world, manager, staff):
    person, card = staff
    signed_in(client, manager)
    tomorrow = (clock.now() + timedelta(days=2)).date().isoformat()
    response = client.post(reverse("access:person_record_check", args=[person.pk]),
                           {"check-checked_on": tomorrow, "check-result": RecordCheckResult.ENTRIES})
    assert response.status_code == 400
    assert "The check cannot be dated in the future." in text(response)
    assert not RecordCheck.objects.exists() and not audited("access.record_check.recorded")


def test_facility_officer_may_not_record_extract_checks(client, world):
    person = PersonFactory(employer=world.operator)
    signed_in(client, world.pfso())
    assert "Record a check" not in text(client.get(reverse("access:person_detail", args=[person.pk])))
    response = client.post(reverse("access:person_record_check", args=[person.pk]),
                           {"check-checked_on": "2026-01-05", "check-result": "no_entries"})
    assert response.status_code == 403
    assert not RecordCheck.objects.exists()


# -- vehicles ------------------------------------------------------------------------------

def test_vehicle_list_shows_own_vehicles_only(client, world, manager, staff):
    person, card = staff
    own = VehicleFactory(owner=world.company)
    own.drivers.add(person)
    other = VehicleFactory(owner=world.foreign_operator)
    signed_in(client, manager)
    body = text(client.get(reverse("access:vehicles")))
    assert own.plate in body and "Anna Peeters" in body and other.plate not in body
    assert "Register a vehicle" in body
    found = text(client.get(reverse("access:vehicles"), {"q": own.plate[3:6].lower()}))
    assert own.plate in found


def test_manager_registers_a_foreign_truck_with_its_driver(client, world, manager, staff):
    person, card = staff
    signed_in(client, manager)
    page = client.get(reverse("access:vehicle_new"))
    assert page.status_code == 200 and "Anna Peeters" in text(page)
    response = client.post(reverse("access:vehicle_new"), {"plate": "NL:AB-123-C", "drivers": [person.pk]})
    assert response.status_code == 302 and response.url == reverse("access:vehicles")
    vehicle = Vehicle.objects.get()
    assert vehicle.plate == "NL:AB123C" and vehicle.country == "NL" and vehicle.owner == world.company
    assert list(vehicle.drivers.all()) == [person]
    assert audited("access.vehicle.registered")


def test_plate_without_prefix_is_read_in_the_organisations_country(client, world, manager):
    signed_in(client, manager)
    response = client.post(reverse("access:vehicle_new"), {"plate": "1-abc-234"})
    assert response.status_code == 302
    assert Vehicle.objects.get().plate == "BE:1ABC234"


def test_malformed_plate_is_refused_with_the_services_message(client, world, manager):
    signed_in(client, manager)
    response = client.post(reverse("access:vehicle_new"), {"plate": "12345678"})
    assert response.status_code == 400
    assert "12345678 is not a Belgian number plate such as 1-ABC-234 or ABC-123." in text(response)
    assert not Vehicle.objects.exists() and not audited("access.vehicle.registered")


def test_another_organisations_employee_cannot_be_linked_as_driver(client, world, manager, stranger):
    person, card = stranger
    signed_in(client, manager)
    response = client.post(reverse("access:vehicle_new"), {"plate": "1-ABC-234", "drivers": [person.pk]})
    assert response.status_code == 400
    assert not Vehicle.objects.exists()

