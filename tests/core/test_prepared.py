"""A prepared query answers exactly what its queryset answers, for any bound values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from havenwatch.access.decisions import (
    CREDENTIAL_AT_GATE,
    RIGHTS_OF_EMPLOYEE,
    RIGHTS_OF_PERSON,
    authorisations_at_gate,
    credential_at_gate,
)
from havenwatch.core import clock
from havenwatch.core.models import Organisation
from havenwatch.core.prepared import PreparedQuery
from tests.access.factories import (
    AuthorisationFactory,
    CredentialFactory,
    FacilityEnrolmentFactory,
    PersonFactory,
    PortBanFactory,
    TrainingRecordFactory,
    ZoneFactory,
)


def test_prepared_credential_query_matches_the_querysets_answer(world):
    zone = ZoneFactory(facility=world.facility)
    plain = CredentialFactory(port=world.port)
    enrolled = CredentialFactory(port=world.port, person=PersonFactory(employer=world.company))
    FacilityEnrolmentFactory(credential=enrolled, facility=world.facility)
    banned = CredentialFactory(port=world.port)
    PortBanFactory(person=banned.person)
    now = clock.now()
    for credential in (plain, enrolled, banned):
        for at in (now, now + timedelta(days=3650)):
            values = {"number": credential.number, "facility_id": world.facility.pk, "port_id": world.port.pk,
                      "zone_id": zone.pk, "at": at}
            expected = credential_at_gate(**values).get()
            got = CREDENTIAL_AT_GATE.first(**values)
            assert got.pk == expected.pk and got.person == expected.person and got.person.first_name
            assert (got.enrolled, got.banned, got.verified, got.inside) == (
                expected.enrolled, expected.banned, expected.verified, expected.inside)
            assert got.valid_until == expected.valid_until and got.valid_until.tzinfo is not None
    assert enrolled_flags(enrolled, world, zone) == (True, False)
    assert enrolled_flags(banned, world, zone) == (False, True)


def enrolled_flags(credential, world, zone):
    got = CREDENTIAL_AT_GATE.first(number=credential.number, facility_id=world.facility.pk, port_id=world.port.pk,
                                   zone_id=zone.pk, at=clock.now())
    return got.enrolled, got.banned


def test_prepared_query_answers_none_for_no_row(world):
    assert CREDENTIAL_AT_GATE.first(number="NOBODY-1", facility_id=world.facility.pk, port_id=world.port.pk,
                                    zone_id=1, at=clock.now()) is None


def test_a_sentinel_the_query_does_not_use_is_an_error_and_values_must_match(db):
    unused = PreparedQuery(lambda name, other: Organisation.objects.filter(name=name), name="\x00s:name",
                           other=-987_650_099)
    with pytest.raises(ValueError, match="does not use the sentinels"):
        unused.first(name="x", other=1)
    used = PreparedQuery(lambda name: Organisation.objects.filter(name=name), name="\x00s:name")
    with pytest.raises(TypeError, match="give exactly"):
        used.first(name="x", extra=datetime(2026, 1, 1, tzinfo=UTC))


def test_prepared_rights_query_matches_the_querysets_answer(world):
    zone = ZoneFactory(facility=world.facility)
    employee = PersonFactory(employer=world.company)
    loner = PersonFactory(employer=None)
    own = AuthorisationFactory(person=employee, zone=zone, required_training="Crane safety")
    AuthorisationFactory(person=None, organisation=world.company, zone=zone)
    AuthorisationFactory(person=loner, zone=zone)
    TrainingRecordFactory(person=employee, course="crane SAFETY")
    now = clock.now()
    day = now.date()
    got = RIGHTS_OF_EMPLOYEE.all(zone_id=zone.pk, person_id=employee.pk, employer_id=world.company.pk, at=now, day=day)
    expected = list(authorisations_at_gate(zone_id=zone.pk, person_id=employee.pk, employer_id=world.company.pk,
                                           at=now, day=day))
    assert sorted((a.pk, a.trained) for a in got) == sorted((a.pk, a.trained) for a in expected)
    assert len(got) == 2 and {a.pk: a.trained for a in got}[own.pk] is True
    alone = RIGHTS_OF_PERSON.all(zone_id=zone.pk, person_id=loner.pk, at=now, day=day)
    assert [a.person_id for a in alone] == [loner.pk]
    assert RIGHTS_OF_PERSON.all(zone_id=zone.pk, person_id=loner.pk, at=now + timedelta(days=9000), day=day) == []
