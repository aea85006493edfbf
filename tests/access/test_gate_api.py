"""The gate API as a gate controller and a guard's screen use it."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from havenwatch.access.choices import Reason
from havenwatch.access.models import AccessEvent, Presence
from havenwatch.core.choices import Role
from havenwatch.core.models import AuditRecord
from havenwatch.core.services import tokens
from tests.access.factories import (
    AccessPointFactory,
    AuthorisationFactory,
    CredentialFactory,
    FacilityEnrolmentFactory,
    PersonFactory,
    PortBanFactory,
    ZoneFactory,
)
from tests.factories import MembershipFactory


@pytest.fixture
def gate_world(world):
    zone = ZoneFactory(facility=world.facility, escort_required=False)
    point = AccessPointFactory(zone=zone)
    person = PersonFactory(employer=world.company)
    card = CredentialFactory(person=person, port=world.port, issued_by=world.company)
    FacilityEnrolmentFactory(credential=card, facility=world.facility)
    AuthorisationFactory(person=person, zone=zone)
    _, raw = tokens.token_create(actor=world.pfso(), name="gate controller 1", permissions=["access.decide"],
                                 facility=world.facility)
    return {"world": world, "zone": zone, "point": point, "person": person, "card": card, "token": raw}


def post(client, path, body, token=None, **headers):
    if token:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    data = body if isinstance(body, str) else json.dumps(body)
    return client.post(path, data, content_type="application/json", **headers)


def ask(gw, token=None, language="en", **body):
    body = {"access_point_id": gw["point"].pk, **body}
    return post(Client(), "/api/v1/access/decisions", body, token=token or gw["token"],
                HTTP_ACCEPT_LANGUAGE=language)


def test_gate_controller_is_granted_and_the_event_is_stored(gate_world):
    response = ask(gate_world, credential=gate_world["card"].number)
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["granted"] is True
    assert data["reasons"] == [{"code": "granted", "label": "Access granted"}]
    assert data["security_level"] == 1
    event = AccessEvent.objects.get(pk=data["event_id"])
    assert event.granted and event.actor.startswith("token:")
    assert Presence.objects.filter(person=gate_world["person"], zone=gate_world["zone"]).exists()


def test_refusal_is_a_200_with_the_reason_and_an_english_message(gate_world):
    PortBanFactory(person=gate_world["person"])
    response = ask(gate_world, credential=gate_world["card"].number)
    assert response.status_code == 200
    data = response.json()
    assert data["granted"] is False
    assert [r["code"] for r in data["reasons"]] == [Reason.PORT_BAN]
    assert data["message"] == str(Reason.PORT_BAN.label) == "Person is banned from the port"


def test_guard_language_is_answered(gate_world):
    response = ask(gate_world, language="nl", credential="NOBODY-0001")
    assert response.status_code == 200
    assert response.json()["message"]  # Dutch once the access catalogue exists; English until then


def test_unknown_access_point_is_a_404_problem(gate_world):
    response = post(Client(), "/api/v1/access/decisions", {"access_point_id": 999999, "credential": "X-1"},
                    token=gate_world["token"])
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert not AccessEvent.objects.exists()


def test_malformed_body_is_a_422_and_still_an_access_event(gate_world):
    response = ask(gate_world, credential=gate_world["card"].number, biometric_match="perhaps")
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    event = AccessEvent.objects.get()
    assert not event.granted and event.reasons == [Reason.MALFORMED_REQUEST]
    assert AuditRecord.objects.filter(code="access.decision", subject_id=str(event.pk)).exists()


def test_body_that_is_not_json_is_a_422_without_event(gate_world):
    response = post(Client(), "/api/v1/access/decisions", "{not json", token=gate_world["token"])
    assert response.status_code == 422
    assert not AccessEvent.objects.exists()


def test_gate_controller_token_cannot_decide_at_another_facility_over_the_api(gate_world):
    world = gate_world["world"]
    from tests.factories import FacilityFactory

    elsewhere = FacilityFactory(port=world.port, operator=world.operator)
    point = AccessPointFactory(zone=ZoneFactory(facility=elsewhere))
    response = post(Client(), "/api/v1/access/decisions", {"access_point_id": point.pk, "credential": "X-12345678"},
                    token=gate_world["token"])
    assert response.status_code == 403
    assert not AccessEvent.objects.exists()


def _guard_client(world):
    membership = MembershipFactory(role=Role.GATE_GUARD, organisation=world.operator)
    client = Client()
    client.force_login(membership.user)
    return client


def test_guard_overrides_a_refusal_with_a_reason(gate_world):
    gate_world["zone"].escort_required = True
    gate_world["zone"].save()
    refused = ask(gate_world, credential=gate_world["card"].number).json()
    assert [r["code"] for r in refused["reasons"]] == ["escort_required"]
    client = _guard_client(gate_world["world"])
    path = f"/api/v1/access/decisions/{refused['event_id']}/override"
    assert post(client, path, {"reason": "ok"}).status_code == 422
    response = post(client, path, {"reason": "Escorted by the duty officer J. Claes"})
    assert response.status_code == 201, response.content
    assert response.json()["override_of_id"] == refused["event_id"]
    assert response.json()["granted"] is True
    assert post(client, path, {"reason": "Escorted by the duty officer again"}).status_code == 409


def test_events_are_listed_with_filters_and_who_is_inside(gate_world):
    ask(gate_world, credential=gate_world["card"].number)
    ask(gate_world, credential="NOBODY-0002")
    client = _guard_client(gate_world["world"])
    all_events = client.get("/api/v1/access/events").json()
    assert all_events["count"] == 2
    refused = client.get("/api/v1/access/events", {"granted": "false", "reason": "unknown_credential"}).json()
    assert [e["presented"] for e in refused["items"]] == ["NOBODY-0002"]
    assert client.get("/api/v1/access/events", {"reason": "nonsense"}).status_code == 422
    inside = client.get(f"/api/v1/access/zones/{gate_world['zone'].pk}/inside").json()
    assert [p["person_id"] for p in inside["items"]] == [gate_world["person"].pk]
    membership = MembershipFactory(role=Role.GATE_GUARD, organisation=gate_world["world"].foreign_operator)
    foreign = Client()
    foreign.force_login(membership.user)
    assert foreign.get(f"/api/v1/access/zones/{gate_world['zone'].pk}/inside").status_code == 404
    assert foreign.get("/api/v1/access/events").json()["count"] == 0
