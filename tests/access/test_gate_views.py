"""The guard's pages: the gate screen, overrides, the access history and who is inside."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from havenwatch.access.choices import Reason
from havenwatch.access.models import AccessEvent
from havenwatch.core.choices import Role
from havenwatch.core.models import AuditRecord
from tests.access.factories import (
    AccessPointFactory,
    AuthorisationFactory,
    CredentialFactory,
    FacilityEnrolmentFactory,
    PersonFactory,
    PortBanFactory,
    ZoneFactory,
)
from tests.factories import FacilityFactory, MembershipFactory, principal


def _badge(world, zone, **person):
    someone = PersonFactory(employer=world.company, **person)
    card = CredentialFactory(person=someone, port=world.port, issued_by=world.company)
    FacilityEnrolmentFactory(credential=card, facility=world.facility)
    AuthorisationFactory(person=someone, zone=zone)
    return someone, card


@pytest.fixture
def gate(world):
    zone = ZoneFactory(facility=world.facility, name="Quay zone")
    point = AccessPointFactory(zone=zone, name="Main turnstile")
    person, card = _badge(world, zone, first_name="Anna", last_name="Peeters")
    membership = MembershipFactory(role=Role.GATE_GUARD, organisation=world.operator, facility=world.facility)
    client = Client()
    client.force_login(membership.user)
    return {"world": world, "zone": zone, "point": point, "person": person, "card": card, "client": client}


def decide(g, **data):
    body = {"point": g["point"].pk, "credential_number": g["card"].number, **data}
    return g["client"].post(reverse("access:gate_decide"), body)


def shown(g, response):
    assert response.status_code == 302, response.content.decode()
    return g["client"].get(response["Location"])


def test_guard_sees_only_their_facilitys_points(gate):
    world = gate["world"]
    other = FacilityFactory(port=world.port, operator=world.operator, name="Terminal A2")
    elsewhere = AccessPointFactory(zone=ZoneFactory(facility=other), name="Far gate")
    response = gate["client"].get(reverse("access:gate"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Main turnstile" in page
    assert "Far gate" not in page and elsewhere.code not in page


def test_authorised_badge_is_granted(gate):
    response = shown(gate, decide(gate))
    page = response.content.decode()
    assert "GRANTED" in page and "REFUSED" not in page
    assert "Anna Peeters" in page and gate["card"].number in page
    assert str(Reason.GRANTED.label) in page
    event = AccessEvent.objects.get()
    assert event.granted and event.person == gate["person"]


def test_banned_badge_is_refused_with_the_reason(gate):
    PortBanFactory(person=gate["person"])
    page = shown(gate, decide(gate)).content.decode()
    assert "REFUSED" in page
    assert str(Reason.PORT_BAN.label) in page
    assert "Override this refusal" in page
    assert not AccessEvent.objects.get().granted


def test_override_with_a_reason_is_its_own_event(gate):
    PortBanFactory(person=gate["person"])
    decide(gate)
    refusal = AccessEvent.objects.get()
    response = gate["client"].post(reverse("access:gate_override", args=[refusal.pk]),
                                   {"reason": "Escorted by the facility security officer in person"})
    page = shown(gate, response).content.decode()
    override = AccessEvent.objects.get(override_of=refusal)
    assert override.granted and override.override_reason.startswith("Escorted")
    assert AuditRecord.objects.filter(code="access.override", subject_id=str(override.pk)).exists()
    assert "GRANTED" in page and f"#{refusal.pk}" in page


def test_override_without_a_reason_shows_the_message_and_changes_nothing(gate):
    PortBanFactory(person=gate["person"])
    decide(gate)
    refusal = AccessEvent.objects.get()
    response = gate["client"].post(reverse("access:gate_override", args=[refusal.pk]), {"reason": ""})
    assert response.status_code == 400
    assert "Say why you let this person through" in response.content.decode()
    assert AccessEvent.objects.count() == 1
    assert not AuditRecord.objects.filter(code="access.override").exists()


def test_override_of_a_granted_decision_is_refused(gate):
    decide(gate)
    granted = AccessEvent.objects.get()
    response = gate["client"].post(reverse("access:gate_override", args=[granted.pk]),
                                   {"reason": "Just testing the override button here"})
    assert response.status_code == 400
    assert AccessEvent.objects.count() == 1


def test_guard_cannot_decide_at_another_facilitys_point(gate):
    world = gate["world"]
    other = FacilityFactory(port=world.port, operator=world.operator)
    elsewhere = AccessPointFactory(zone=ZoneFactory(facility=other))
    response = decide(gate, point=elsewhere.pk)
    assert response.status_code in (400, 404)
    foreign = AccessPointFactory(zone=ZoneFactory(facility=world.foreign_facility))
    assert decide(gate, point=foreign.pk).status_code in (400, 404)
    assert not AccessEvent.objects.exists()


def test_badge_or_plate_is_needed(gate):
    response = decide(gate, credential_number="", plate="")
    assert response.status_code == 400
    assert not AccessEvent.objects.exists()


def test_events_page_filters(gate):
    world = gate["world"]
    decide(gate)
    banned, card = _badge(world, gate["zone"], first_name="Bert", last_name="Banned")
    PortBanFactory(person=banned)
    decide(gate, credential_number=card.number)
    client = gate["client"]
    url = reverse("access:events")
    page = client.get(url).content.decode()
    assert "Peeters" in page and "Banned" in page
    page = client.get(url, {"outcome": "refused"}).content.decode()
    assert "Banned" in page and "Peeters" not in page
    page = client.get(url, {"reason": Reason.PORT_BAN.value}).content.decode()
    assert "Banned" in page and "Peeters" not in page
    page = client.get(url, {"outcome": "granted", "facility": world.facility.pk}).content.decode()
    assert "Peeters" in page and "Banned" not in page
    page = client.get(url, {"since": "2000-01-01", "until": "2000-01-02"}).content.decode()
    assert "Peeters" not in page and "Banned" not in page
    # a facility the principal cannot see is not a choice
    assert client.get(url, {"facility": world.foreign_facility.pk}).status_code == 200


def test_who_is_inside_follows_entries_and_exits(gate):
    url = reverse("access:inside")
    assert "Peeters" not in gate["client"].get(url).content.decode()
    decide(gate, direction="in")
    page = gate["client"].get(url).content.decode()
    assert "Peeters, Anna" in page and "Quay zone" in page
    decide(gate, direction="out")
    assert "Peeters" not in gate["client"].get(url).content.decode()


@pytest.mark.parametrize("name", ["gate", "events", "inside"])
def test_anonymous_is_sent_to_sign_in(world, name):
    response = Client().get(reverse(f"access:{name}"))
    assert response.status_code == 302 and "login" in response["Location"]


@pytest.mark.parametrize("name", ["gate", "events", "inside"])
def test_driver_is_forbidden(world, name):
    client = Client()
    client.force_login(principal(Role.DRIVER, world.company).user)
    assert client.get(reverse(f"access:{name}")).status_code == 403


def test_driver_cannot_post_a_decision(gate):
    client = Client()
    client.force_login(principal(Role.DRIVER, gate["world"].company).user)
    response = client.post(reverse("access:gate_decide"), {"point": gate["point"].pk, "credential_number": "X"})
    assert response.status_code == 403
    assert not AccessEvent.objects.exists()
