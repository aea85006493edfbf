"""The access API's people, places, screening and visit endpoints: each resource's happy path
(201, the body, the audit record), one refusal with the service's own message as
problem+json and nothing changed, foreign rows as 404, and no national number anywhere."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client

from havenwatch.access.models import (
    AccessPoint,
    Authorisation,
    Credential,
    FacilityEnrolment,
    Person,
    PortBan,
    RecordCheck,
    SecurityVerification,
    Vehicle,
    Visit,
)
from havenwatch.core import clock
from havenwatch.core.choices import OrganisationKind, Role
from havenwatch.core.middleware import SESSION_MEMBERSHIP
from havenwatch.core.models import AuditRecord, Membership
from tests.access.factories import (
    AccessPointFactory,
    AnnouncerFactory,
    AuthorisationFactory,
    CredentialFactory,
    PersonFactory,
    PortBanFactory,
    SecurityVerificationFactory,
    VisitFactory,
    VisitorFactory,
    ZoneFactory,
)
from tests.factories import OrganisationFactory, principal

API = "/api/v1/access"
PROBLEM = "application/problem+json"


def national_number(born: str = "900402", serial: str = "001") -> str:
    base = born + serial
    return base + f"{97 - int(base) % 97:02d}"


NN = national_number()


def client_as(role, organisation) -> Client:
    actor = principal(role, organisation)
    client = Client()
    client.force_login(actor.user)
    session = client.session
    session[SESSION_MEMBERSHIP] = Membership.objects.get(user=actor.user, organisation=organisation).pk
    session.save()
    return client


def post(client, path, body=None):
    return client.post(f"{API}{path}", json.dumps(body or {}), content_type="application/json")


def get(client, path, **params):
    return client.get(f"{API}{path}", params)


def audited(code: str, subject) -> bool:
    return AuditRecord.objects.filter(code=code, subject_id=str(subject)).exists()


def refused(response, status: int, message: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert message in body["detail"], body
    return body


def later(**delta):
    return (clock.now() + timedelta(**delta)).isoformat()


@pytest.fixture
def ctx(world):
    world.police = OrganisationFactory(name="Police A", kind=OrganisationKind.POLICE)
    world.agency = OrganisationFactory(name="Agency A", kind=OrganisationKind.SHIPPING_LINE)
    world.zone = ZoneFactory(facility=world.facility, code="Q1", name="Quay 1")
    world.foreign_zone = ZoneFactory(facility=world.foreign_facility, code="Q1", name="Quay B1")
    world.am = client_as(Role.COMPANY_ACCESS_MANAGER, world.company)
    world.foreign_am = client_as(Role.COMPANY_ACCESS_MANAGER, world.foreign_operator)
    world.pfso_client = client_as(Role.FACILITY_SECURITY_OFFICER, world.operator)
    world.foreign_pfso_client = client_as(Role.FACILITY_SECURITY_OFFICER, world.foreign_operator)
    world.investigator = client_as(Role.AUTHORITY_INVESTIGATOR, world.police)
    world.agent = client_as(Role.SHIPPING_AGENT, world.agency)
    return world


def person_body(**extra):
    return {"first_name": "Mira", "last_name": "Janssens", "date_of_birth": "1990-04-02", "nationality": "BE",
            **extra}


# --- people -------------------------------------------------------------------------------


def test_register_a_person_without_ever_showing_the_national_number(ctx):
    response = post(ctx.am, "/people", person_body(national_number=NN, biometric_reference="template-ref-1"))
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["employer_id"] == ctx.company.pk and data["last_name"] == "Janssens"
    assert not {"national_number", "national_number_sealed", "national_number_digest",
                "biometric_reference_hash"} & set(data)
    assert audited("access.person.registered", data["id"])
    person = Person.objects.get(pk=data["id"])
    for text in (response.content, get(ctx.am, "/people").content, get(ctx.am, f"/people/{person.pk}").content):
        assert NN.encode() not in text and NN[:6].encode() + b"-" not in text
        assert person.biometric_reference_hash.encode() not in text
        assert person.national_number_digest.encode() not in text


def test_a_second_registration_of_the_same_national_number_is_refused(ctx):
    assert post(ctx.am, "/people", person_body(national_number=NN)).status_code == 201
    before = Person.objects.count()
    body = refused(post(ctx.am, "/people", person_body(first_name="Other", national_number=NN)), 409,
                   "is registered already")
    assert NN not in json.dumps(body)
    assert Person.objects.count() == before


def test_people_of_another_employer_are_not_found(ctx):
    other = PersonFactory(employer=ctx.foreign_operator)
    refused(get(ctx.am, f"/people/{other.pk}"), 404, "No person")
    refused(post(ctx.am, f"/people/{other.pk}/employer", {"employer_id": ctx.company.pk}), 404, "No person")
    assert other.pk not in [p["id"] for p in get(ctx.am, "/people").json()["items"]]


def test_change_of_employer_deactivates_the_credentials(ctx):
    person = PersonFactory(employer=ctx.company)
    card = CredentialFactory(person=person, port=ctx.port, issued_by=ctx.company)
    response = post(ctx.am, f"/people/{person.pk}/employer", {"employer_id": ctx.operator.pk})
    assert response.status_code == 200, response.content
    assert response.json()["employer_id"] == ctx.operator.pk
    card.refresh_from_db()
    assert card.state == "inactive"
    assert audited("access.person.employer_changed", person.pk)


# --- credentials ----------------------------------------------------------------------------


def credential_body(person, port, number="CARD-API-1"):
    return {"person_id": person.pk, "port_id": port.pk, "number": number, "valid_from": clock.now().isoformat(),
            "valid_until": later(days=365)}


def test_issue_a_credential_and_change_its_state(ctx):
    person = PersonFactory(employer=ctx.company)
    response = post(ctx.am, "/credentials", credential_body(person, ctx.port))
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["number"] == "CARD-API-1" and data["state"] == "active" and data["issued_by_id"] == ctx.company.pk
    assert audited("access.credential.issued", data["id"])
    response = post(ctx.am, f"/credentials/{data['id']}/state", {"state": "blocked", "reason": "stolen"})
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "blocked"
    assert audited("access.credential.state_changed", data["id"])
    refused(post(ctx.am, f"/credentials/{data['id']}/state", {"state": "active", "reason": "found"}), 422,
            "is blocked for good")


def test_a_banned_person_gets_no_credential(ctx):
    person = PersonFactory(employer=ctx.company)
    PortBanFactory(person=person)
    refused(post(ctx.am, "/credentials", credential_body(person, ctx.port)), 422, "is banned from Port A")
    assert not Credential.objects.filter(person=person).exists()


def test_credentials_of_another_issuer_are_not_found(ctx):
    card = CredentialFactory(person=PersonFactory(employer=ctx.foreign_operator), port=ctx.foreign_port,
                             issued_by=ctx.foreign_operator)
    refused(get(ctx.am, f"/credentials/{card.pk}"), 404, "No credential")
    refused(post(ctx.am, f"/credentials/{card.pk}/state", {"state": "blocked", "reason": "x"}), 404, "No credential")


def test_facility_activates_a_port_wide_credential_and_ends_it(ctx):
    card = CredentialFactory(person=PersonFactory(employer=ctx.company), port=ctx.port, issued_by=ctx.company)
    response = post(ctx.pfso_client, f"/credentials/{card.pk}/activations", {"facility_id": ctx.facility.pk})
    assert response.status_code == 201, response.content
    assert response.json()["is_active"] is True
    assert audited("access.credential.activated", response.json()["id"])
    response = ctx.pfso_client.delete(f"{API}/credentials/{card.pk}/activations/{ctx.facility.pk}")
    assert response.status_code == 200, response.content
    assert response.json()["is_active"] is False
    # Another facility's operator cannot reach this port's credential, nor our facility.
    refused(post(ctx.foreign_pfso_client, f"/credentials/{card.pk}/activations",
                 {"facility_id": ctx.foreign_facility.pk}), 404, "No credential")
    refused(post(ctx.foreign_pfso_client, f"/credentials/{card.pk}/activations",
                 {"facility_id": ctx.facility.pk}), 404, "No facility")


def test_a_credential_of_another_port_cannot_be_activated(ctx):
    card = CredentialFactory(person=PersonFactory(employer=ctx.operator), port=ctx.foreign_port,
                             issued_by=ctx.operator)
    refused(post(ctx.pfso_client, f"/credentials/{card.pk}/activations", {"facility_id": ctx.facility.pk}), 422,
            "is a credential of another port")
    assert not FacilityEnrolment.objects.filter(credential=card).exists()


# --- vehicles -----------------------------------------------------------------------------


def test_register_a_vehicle_once(ctx):
    driver = PersonFactory(employer=ctx.company)
    response = post(ctx.am, "/vehicles", {"plate": "1-abc-234", "country": "BE", "driver_ids": [driver.pk]})
    assert response.status_code == 201, response.content
    assert response.json()["plate"] == "BE:1ABC234" and response.json()["driver_ids"] == [driver.pk]
    assert audited("access.vehicle.registered", response.json()["id"])
    refused(post(ctx.am, "/vehicles", {"plate": "1ABC234", "country": "BE"}), 409, "is registered already")
    assert Vehicle.objects.count() == 1
    assert [v["plate"] for v in get(ctx.foreign_am, "/vehicles").json()["items"]] == []


# --- zones, access points, authorisations -------------------------------------------------------


def test_create_a_zone_and_an_access_point(ctx):
    response = post(ctx.pfso_client, "/zones", {
        "facility_id": ctx.facility.pk, "code": "Q2", "name": "Quay 2",
        "level_rules": {"3": {"mode": "listed_only", "allowed_purposes": ["emergency"]}}})
    assert response.status_code == 201, response.content
    zone = response.json()
    assert zone["level_rules"] == [{"level": 3, "mode": "listed_only", "allowed_purposes": ["emergency"]}]
    assert audited("access.zone.created", zone["id"])
    refused(post(ctx.pfso_client, "/zones", {"facility_id": ctx.facility.pk, "code": "Q2", "name": "Again"}), 409,
            "has a zone Q2 already")
    response = post(ctx.pfso_client, "/access-points",
                    {"zone_id": zone["id"], "code": "G1", "name": "Gate 1", "kind": "turnstile"})
    assert response.status_code == 201, response.content
    assert response.json()["open_at_levels"] == [1, 2, 3] and response.json()["facility_id"] == ctx.facility.pk
    assert audited("access.access_point.created", response.json()["id"])


def test_a_second_access_point_open_at_level_3_is_refused(ctx):
    AccessPointFactory(zone=ctx.zone, code="G1", name="Main gate")
    before = AccessPoint.objects.count()
    refused(post(ctx.pfso_client, "/access-points",
                 {"zone_id": ctx.zone.pk, "code": "G2", "name": "Side gate", "kind": "turnstile"}), 409,
            "single controlled point")
    assert AccessPoint.objects.count() == before


def test_zones_of_another_facility_are_not_found(ctx):
    refused(get(ctx.pfso_client, f"/zones/{ctx.foreign_zone.pk}"), 404, "No zone")
    refused(post(ctx.pfso_client, "/access-points",
                 {"zone_id": ctx.foreign_zone.pk, "code": "X", "name": "X", "kind": "turnstile"}), 404, "No zone")
    refused(post(ctx.pfso_client, "/zones", {"facility_id": ctx.foreign_facility.pk, "code": "X", "name": "X"}),
            404, "No facility")
    assert ctx.foreign_zone.pk not in [z["id"] for z in get(ctx.pfso_client, "/zones").json()["items"]]


def authorisation_body(ctx, **extra):
    return {"zone_id": ctx.zone.pk, "valid_from": clock.now().isoformat(), "valid_until": later(days=30),
            "purpose": "maintenance", "schedule": {"mon": [["07:00", "19:00"]]}, **extra}


def test_grant_and_revoke_an_authorisation(ctx):
    contractor = PersonFactory(employer=ctx.company)
    CredentialFactory(person=contractor, port=ctx.port, issued_by=ctx.company)
    response = post(ctx.pfso_client, "/authorisations", authorisation_body(ctx, person_id=contractor.pk))
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["person_id"] == contractor.pk and data["schedule"] == {"mon": [["07:00", "19:00"]]}
    assert audited("access.authorisation.granted", data["id"])
    before = Authorisation.objects.count()
    refused(post(ctx.pfso_client, "/authorisations", authorisation_body(ctx, person_id=contractor.pk)), 409,
            "overlapping windows are not allowed")
    assert Authorisation.objects.count() == before
    # The employer sees its staff's authorisation.
    assert data["id"] in [a["id"] for a in get(ctx.am, "/authorisations").json()["items"]]
    response = post(ctx.pfso_client, f"/authorisations/{data['id']}/revoke")
    assert response.status_code == 200 and response.json()["revoked_at"]
    assert audited("access.authorisation.revoked", data["id"])


def test_authorisations_of_another_facility_are_not_found(ctx):
    foreign = AuthorisationFactory(zone=ctx.foreign_zone, person=None, organisation=ctx.foreign_operator)
    refused(post(ctx.pfso_client, f"/authorisations/{foreign.pk}/revoke"), 404, "No authorisation")
    foreign.refresh_from_db()
    assert foreign.revoked_at is None


# --- screening -----------------------------------------------------------------------------


def ban_body(person, **extra):
    return {"person_id": person.pk, "valid_from": clock.now().isoformat(), "valid_until": later(days=365),
            "legal_reference": "Corr. Antwerpen 2026/00042", **extra}


def test_authority_issues_and_lifts_a_ban_and_companies_learn_only_hit_or_clear(ctx):
    person = PersonFactory(employer=ctx.company)
    card = CredentialFactory(person=person, port=ctx.port, issued_by=ctx.company)
    response = post(ctx.investigator, "/bans", ban_body(person, port_ids=[ctx.port.pk]))
    assert response.status_code == 201, response.content
    ban = response.json()
    assert ban["port_ids"] == [ctx.port.pk] and ban["all_ports"] is False
    assert audited("access.ban.issued", ban["id"])
    card.refresh_from_db()
    assert card.state == "blocked"

    status = get(ctx.am, f"/people/{person.pk}/ban-status", port_id=ctx.port.pk)
    assert status.status_code == 200 and status.json() == {"result": "hit"}
    assert b"Corr. Antwerpen" not in status.content
    assert get(ctx.am, f"/people/{person.pk}/ban-status", port_id=ctx.foreign_port.pk).json() == {"result": "clear"}
    refused(get(ctx.am, "/bans"), 403, "does not allow")
    assert [b["id"] for b in get(ctx.investigator, "/bans").json()["items"]] == [ban["id"]]

    response = post(ctx.investigator, f"/bans/{ban['id']}/lift", {"reason": "overturned on appeal"})
    assert response.status_code == 200 and response.json()["lifted_at"]
    assert audited("access.ban.lifted", ban["id"])
    assert get(ctx.am, f"/people/{person.pk}/ban-status", port_id=ctx.port.pk).json() == {"result": "clear"}


def test_a_ban_without_legal_reference_is_refused(ctx):
    person = PersonFactory(employer=ctx.company)
    refused(post(ctx.investigator, "/bans", ban_body(person, legal_reference="  ")), 422, "needs its legal reference")
    assert not PortBan.objects.exists()


def test_ban_status_of_someone_else_s_employee_is_not_found(ctx):
    other = PersonFactory(employer=ctx.foreign_operator)
    PortBanFactory(person=other)
    refused(get(ctx.am, f"/people/{other.pk}/ban-status", port_id=ctx.port.pk), 404, "No person")


def test_verification_requested_and_decided(ctx):
    person = PersonFactory(employer=ctx.company)
    response = post(ctx.am, "/verifications", {"person_id": person.pk, "function": "crane operator"})
    assert response.status_code == 201, response.content
    verification = response.json()
    assert verification["status"] == "requested"
    assert audited("access.verification.requested", verification["id"])
    refused(post(ctx.am, "/verifications", {"person_id": person.pk, "function": "crane operator"}), 409,
            "under way already")
    assert SecurityVerification.objects.count() == 1
    response = post(ctx.investigator, f"/verifications/{verification['id']}/decision",
                    {"status": "positive", "valid_until": later(days=365)})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "positive"
    assert audited("access.verification.decided", verification["id"])


def test_verifications_of_another_employer_are_not_shown(ctx):
    foreign = SecurityVerificationFactory(person=PersonFactory(employer=ctx.foreign_operator))
    assert foreign.pk not in [v["id"] for v in get(ctx.am, "/verifications").json()["items"]]
    refused(post(ctx.am, "/verifications", {"person_id": foreign.person_id, "function": "x"}), 404, "No person")


def test_record_check_keeps_the_date_and_result_only(ctx):
    person = PersonFactory(employer=ctx.company)
    response = post(ctx.am, "/record-checks",
                    {"person_id": person.pk, "checked_on": "2026-01-05", "result": "no_entries"})
    assert response.status_code == 201, response.content
    assert response.json()["result"] == "no_entries"
    assert audited("access.record_check.recorded", response.json()["id"])
    refused(post(ctx.am, "/record-checks", {"person_id": person.pk, "checked_on": later(days=3)[:10],
                                            "result": "entries"}), 422, "cannot be dated in the future")
    assert RecordCheck.objects.count() == 1


# --- visits -----------------------------------------------------------------------------


IDENTITY = {"first_name": "Ana", "last_name": "Silva", "date_of_birth": "1985-06-01", "nationality": "PT",
            "id_document_ref": "PT-P1234567"}


def visit_body(ctx, **extra):
    return {"facility_id": ctx.facility.pk, "zone_ids": [ctx.zone.pk], "reason": "crew change",
            "window_start": later(days=1), "window_end": later(days=1, hours=8), "visitors": [IDENTITY], **extra}


def test_announce_approve_and_cancel_a_visit(ctx):
    AnnouncerFactory(organisation=ctx.agency, facility=ctx.facility, valid_from=clock.now() - timedelta(days=1),
                     valid_until=clock.now() + timedelta(days=90))
    known = PersonFactory(employer=None)
    response = post(ctx.agent, "/visits", visit_body(ctx, visitors=[IDENTITY, known.pk]))
    assert response.status_code == 201, response.content
    visit = response.json()
    assert visit["status"] == "announced" and visit["zone_ids"] == [ctx.zone.pk]
    assert sorted(v["screening"] for v in visit["visitors"]) == ["clear", "clear"]
    assert audited("access.visit.announced", visit["id"])
    assert [v["id"] for v in get(ctx.pfso_client, "/visits/to-approve").json()["items"]] == [visit["id"]]

    response = post(ctx.pfso_client, f"/visits/{visit['id']}/approve", {})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "approved"
    assert audited("access.visit.approved", visit["id"])
    assert Credential.objects.filter(visit_id=visit["id"], kind="visitor_qr").count() == 2

    response = post(ctx.agent, f"/visits/{visit['id']}/cancel")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    assert audited("access.visit.cancelled", visit["id"])


def test_announcing_without_approval_and_rejecting_without_reason_are_refused(ctx):
    refused(post(ctx.agent, "/visits", visit_body(ctx)), 404, "No facility")  # not an announcer there
    AnnouncerFactory(organisation=ctx.agency, facility=ctx.facility, valid_from=clock.now() - timedelta(days=1),
                     valid_until=clock.now() + timedelta(days=2))
    refused(post(ctx.agent, "/visits", visit_body(ctx, window_end=later(days=5))), 403, "is not an approved announcer")
    assert not Visit.objects.exists()
    visit = VisitFactory(announcer=ctx.agency, facility=ctx.facility)
    VisitorFactory(visit=visit)
    refused(post(ctx.pfso_client, f"/visits/{visit.pk}/reject", {"reason": " "}), 422, "Say why the visit is rejected")
    visit.refresh_from_db()
    assert visit.status == "announced"


def test_a_hit_blocks_approval(ctx):
    visit = VisitFactory(announcer=ctx.agency, facility=ctx.facility)
    banned = VisitorFactory(visit=visit).person
    PortBanFactory(person=banned)
    refused(post(ctx.pfso_client, f"/visits/{visit.pk}/approve", {}), 409, "is banned from the port")
    visit.refresh_from_db()
    assert visit.status == "announced" and not Credential.objects.filter(visit=visit).exists()


def test_visits_of_another_facility_are_not_found(ctx):
    visit = VisitFactory(announcer=ctx.foreign_operator, facility=ctx.foreign_facility)
    for path in (f"/visits/{visit.pk}/approve", f"/visits/{visit.pk}/cancel"):
        refused(post(ctx.pfso_client, path, {}), 404, "No visit")
    refused(get(ctx.agent, f"/visits/{visit.pk}"), 404, "No visit")
    visit.refresh_from_db()
    assert visit.status == "announced"


def test_ship_call_visit_named_agent_approves_then_the_terminal_over_the_api(ctx):
    supplier = OrganisationFactory(name="Chandlers NV", kind=OrganisationKind.COMPANY)
    AnnouncerFactory(organisation=supplier, facility=ctx.facility, valid_from=clock.now() - timedelta(days=1),
                     valid_until=clock.now() + timedelta(days=90))
    chandler = client_as(Role.COMPANY_ACCESS_MANAGER, supplier)
    response = ctx.pfso_client.put(f"{API}/facilities/{ctx.facility.pk}/visit-policy",
                                   json.dumps({"terminal_approves_ship_calls": True}),
                                   content_type="application/json")
    assert response.status_code == 200 and response.json()["terminal_approves_ship_calls"] is True
    body = visit_body(ctx, window_start=None, window_end=None, ship_call="MSC ANNA 2611E", eta=later(days=1),
                      etd=later(days=1, hours=8))
    refused(post(chandler, "/visits", body), 422, "Name the ship's agent of the call")
    refused(post(chandler, "/visits", {**body, "ship_agent_id": ctx.company.pk}), 404, "No ship_agent")
    response = post(chandler, "/visits", {**body, "ship_agent_id": ctx.agency.pk})
    assert response.status_code == 201, response.content
    visit = response.json()
    assert visit["ship_agent_id"] == ctx.agency.pk and visit["status"] == "announced"

    refused(post(ctx.pfso_client, f"/visits/{visit['id']}/approve", {}), 403, "approves this ship-call visit first")
    assert [v["id"] for v in get(ctx.agent, "/visits/to-approve").json()["items"]] == [visit["id"]]
    response = post(ctx.agent, f"/visits/{visit['id']}/approve", {})
    assert response.status_code == 200 and response.json()["status"] == "agent_approved"
    response = post(ctx.pfso_client, f"/visits/{visit['id']}/approve", {})
    assert response.status_code == 200 and response.json()["status"] == "approved"
    assert Credential.objects.filter(visit_id=visit["id"], kind="visitor_qr").count() == 1
