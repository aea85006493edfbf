"""Authorisations: granting, revoking, and whether one applies at a moment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from havenwatch.access.models import Authorisation
from havenwatch.access.services.rights import authorisation_applies, authorisation_grant, authorisation_revoke
from havenwatch.core import clock
from havenwatch.core.choices import Role
from havenwatch.core.errors import Conflict, PermissionRefused, ValidationFailed
from tests.access.factories import AuthorisationFactory, PersonFactory, ZoneFactory
from tests.access.test_places_services import T0, audited, unchanged
from tests.factories import principal

DAY = timedelta(days=1)


@pytest.fixture
def frozen():
    with clock.frozen(T0) as state:
        yield state


@pytest.fixture
def zone(world):
    return ZoneFactory(facility=world.facility, code="YARD", name="Yard")


@pytest.fixture
def person(world):
    return PersonFactory(employer=world.company)


def test_pfso_grants_a_person_an_authorisation_with_a_schedule_and_it_is_audited(world, frozen, zone):
    person = PersonFactory(employer=world.company)
    authorisation = authorisation_grant(
        actor=world.pfso(), zone=zone, person=person, valid_from=T0, valid_until=T0 + 30 * DAY, purpose="work",
        schedule={"mon": [["07:00", "19:00"]]}, escort_required=True,
    )
    assert authorisation.granted_by == world.operator and authorisation.revoked_at is None
    assert authorisation.schedule == {"mon": [["07:00", "19:00"]]}
    record = audited("access.authorisation.granted")
    assert record.data == {"zone": "YARD", "holder": f"person:{person.pk}", "valid_from": T0.isoformat(),
                           "valid_until": (T0 + 30 * DAY).isoformat(), "schedule": {"mon": [["07:00", "19:00"]]},
                           "purpose": "work", "conditions": {"escort_required": True, "vehicle_only": False,
                                                             "requires_verification": False}}
    assert record.organisation_id == world.operator.pk


def test_organisation_wide_authorisation_is_granted(world, frozen, zone):
    authorisation = authorisation_grant(actor=world.pfso(), zone=zone, organisation=world.company, valid_from=T0,
                                        valid_until=T0 + DAY, purpose="deliveries", vehicle_only=True)
    assert authorisation.organisation == world.company and authorisation.person is None
    assert audited("access.authorisation.granted").data["holder"] == f"organisation:{world.company.pk}"


@pytest.mark.parametrize("holders", ["none", "both"])
def test_authorisation_needs_exactly_one_holder(world, frozen, zone, holders):
    extra = {} if holders == "none" else {"person": PersonFactory(), "organisation": world.company}
    with unchanged(), pytest.raises(ValidationFailed,
                                    match="Grant the authorisation to one person or to one organisation."):
        authorisation_grant(actor=world.pfso(), zone=zone, valid_from=T0, valid_until=T0 + DAY, purpose="work",
                            **extra)


def test_overlapping_authorisation_windows_are_refused(world, frozen, zone):
    person = PersonFactory(employer=world.company)
    pfso = world.pfso()
    first = authorisation_grant(actor=pfso, zone=zone, person=person, valid_from=T0, valid_until=T0 + 10 * DAY,
                                purpose="work")
    # 2026-03-02 08:00 UTC is 09:00 in Brussels: the message speaks the port's time.
    with unchanged(), pytest.raises(Conflict, match="already holds an authorisation for Yard from 2026-03-02 09:00 "
                                                    "to 2026-03-12 09:00: overlapping windows are not allowed."):
        authorisation_grant(actor=pfso, zone=zone, person=person, valid_from=T0 + 9 * DAY,
                            valid_until=T0 + 20 * DAY, purpose="work")
    # Back to back is no overlap; another zone or another holder neither.
    authorisation_grant(actor=pfso, zone=zone, person=person, valid_from=T0 + 10 * DAY, valid_until=T0 + 20 * DAY,
                        purpose="work")
    authorisation_grant(actor=pfso, zone=ZoneFactory(facility=world.facility), person=person, valid_from=T0,
                        valid_until=T0 + DAY, purpose="work")
    # A revoked authorisation no longer blocks a new one.
    authorisation_revoke(actor=pfso, authorisation=first)
    authorisation_grant(actor=pfso, zone=zone, person=person, valid_from=T0, valid_until=T0 + 5 * DAY,
                        purpose="work")


def test_malformed_schedule_is_refused_with_its_message(world, frozen, zone, person):
    with unchanged(), pytest.raises(ValidationFailed, match="'25:00' is not a time of day written HH:MM") as exc:
        authorisation_grant(actor=world.pfso(), zone=zone, person=person, valid_from=T0,
                            valid_until=T0 + DAY, purpose="work", schedule={"mon": [["07:00", "25:00"]]})
    assert exc.value.field == "schedule"


@pytest.mark.parametrize(("start", "end", "message"), [
    (T0 + DAY, T0, "The end must come after the start."),
    (T0 - 3 * DAY, T0 - DAY, "The window has ended already."),
    (datetime(2026, 3, 2, 8, 0), T0 + DAY, "Give the start as a date and time with its time zone."),
])
def test_authorisation_window_must_be_valid(world, frozen, zone, person, start, end, message):
    with unchanged(), pytest.raises(ValidationFailed, match=message):
        authorisation_grant(actor=world.pfso(), zone=zone, person=person, valid_from=start,
                            valid_until=end, purpose="work")


def test_authorisation_needs_a_purpose(world, frozen, zone, person):
    with unchanged(), pytest.raises(ValidationFailed, match=r"Say what the authorisation is for \(its purpose\)."):
        authorisation_grant(actor=world.pfso(), zone=zone, person=person, valid_from=T0,
                            valid_until=T0 + DAY, purpose=" ")


def test_another_operator_cannot_grant_access_to_the_zone(world, frozen, zone, person):
    with unchanged(), pytest.raises(PermissionRefused,
                                    match="Only the operator of Terminal A can grant access to its zones."):
        authorisation_grant(actor=world.foreign_pfso(), zone=zone, person=person, valid_from=T0,
                            valid_until=T0 + DAY, purpose="work")


def test_company_access_manager_cannot_grant(world, frozen, zone):
    manager = principal(Role.COMPANY_ACCESS_MANAGER, world.company)
    with unchanged(), pytest.raises(PermissionRefused,
                                    match="Your role does not allow this: Grant and revoke authorisations."):
        authorisation_grant(actor=manager, zone=zone, organisation=world.company, valid_from=T0,
                            valid_until=T0 + DAY, purpose="work")


def test_revoked_authorisation_is_kept_and_audited_and_cannot_be_revoked_twice(world, frozen, zone):
    authorisation = AuthorisationFactory(zone=zone)
    authorisation_revoke(actor=world.pfso(), authorisation=authorisation)
    authorisation.refresh_from_db()
    assert authorisation.revoked_at == T0
    assert audited("access.authorisation.revoked").data == {"zone": "YARD",
                                                            "holder": f"person:{authorisation.person_id}"}
    with unchanged(), pytest.raises(Conflict, match="This authorisation was revoked already."):
        authorisation_revoke(actor=world.pfso(), authorisation=authorisation)


def test_another_operator_cannot_revoke(world, frozen, zone):
    authorisation = AuthorisationFactory(zone=zone)
    with unchanged(), pytest.raises(PermissionRefused, match="Your organisation may not do this to"):
        authorisation_revoke(actor=world.foreign_pfso(), authorisation=authorisation)
    assert Authorisation.objects.get(pk=authorisation.pk).revoked_at is None


def test_authorisation_applies_inside_its_window_and_schedule_until_revoked(world, frozen, zone):
    # Monday 2 March 2026; Brussels is UTC+1 in winter.
    authorisation = AuthorisationFactory(zone=zone, valid_from=T0, valid_until=T0 + 14 * DAY,
                                         schedule={"mon": [["07:00", "19:00"]], "fri": [["22:00", "06:00"]]})
    tz = "Europe/Brussels"

    def at(day, hour, minute=0):
        return datetime(2026, 3, day, hour, minute, tzinfo=UTC) - timedelta(hours=1)  # local → UTC

    assert authorisation_applies(authorisation=authorisation, at=at(2, 9), tz=tz)
    assert not authorisation_applies(authorisation=authorisation, at=at(2, 19), tz=tz)
    assert not authorisation_applies(authorisation=authorisation, at=at(3, 9), tz=tz)  # Tuesday
    assert authorisation_applies(authorisation=authorisation, at=at(7, 5, 59), tz=tz)  # Friday night's tail
    assert not authorisation_applies(authorisation=authorisation, at=at(2, 6, 59) - 14 * DAY, tz=tz)  # before
    assert not authorisation_applies(authorisation=authorisation, at=at(16, 9), tz=tz)  # after the window
    authorisation.revoked_at = at(9, 8)
    assert authorisation_applies(authorisation=authorisation, at=at(9, 7), tz=tz)  # before the revocation
    assert not authorisation_applies(authorisation=authorisation, at=at(9, 9), tz=tz)
