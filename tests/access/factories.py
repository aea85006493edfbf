"""Factories for the access app's rows. Like ``tests.factories``, they skip the services
on purpose: they build the world a test starts from; what a test checks goes through
the services.

Defaults hang together: a person works for a company (with an open employment row);
a credential belongs to a port where the person's employer runs a facility (or a fresh
port), is issued by the employer, and is active from yesterday for a year; a zone is in
a fresh facility; an authorisation lets a person into a zone for a year, granted by the
zone's facility operator.
"""

from __future__ import annotations

from datetime import timedelta

import factory

from havenwatch.access.choices import (
    AccessPointKind,
    CredentialKind,
    CredentialState,
    Direction,
    ScreeningResult,
    VerificationStatus,
    VisitStatus,
)
from havenwatch.access.models import (
    AccessPoint,
    Announcer,
    Authorisation,
    Credential,
    Employment,
    FacilityEnrolment,
    Person,
    PortBan,
    SecurityVerification,
    TrainingRecord,
    Vehicle,
    Visit,
    Visitor,
    Zone,
    ZoneLevelRule,
)
from havenwatch.core import clock
from havenwatch.core.choices import OrganisationKind
from havenwatch.core.models import Facility
from tests.factories import FacilityFactory, OrganisationFactory, PortFactory


def _now():
    return clock.now()


def _yesterday():
    return clock.now() - timedelta(days=1)


def _in_a_year():
    return clock.now() + timedelta(days=365)


def port_of(person):
    """The port where ``person``'s employer runs a facility, or a fresh port."""
    if person.employer_id is not None:
        facility = Facility.objects.filter(operator_id=person.employer_id).order_by("pk").first()
        if facility is not None:
            return facility.port
    return PortFactory()


class PersonFactory(factory.django.DjangoModelFactory):
    """A person employed by a company (an :class:`Employment` row is made with it).

    ``PersonFactory(employer=None)`` makes a person without employer or employment.
    """

    class Meta:
        model = Person
        skip_postgeneration_save = True

    first_name = factory.Sequence(lambda n: f"Jan{n}")
    last_name = factory.Sequence(lambda n: f"Peeters{n}")
    date_of_birth = factory.Faker("date_of_birth", minimum_age=20, maximum_age=60)
    nationality = "BE"
    employer = factory.SubFactory(OrganisationFactory, kind=OrganisationKind.COMPANY)
    created_at = factory.LazyFunction(_now)

    @factory.post_generation
    def employment(obj, create, extracted, **kwargs):
        if create and obj.employer_id is not None and extracted is not False:
            Employment.objects.create(person=obj, organisation_id=obj.employer_id,
                                      started_on=(obj.created_at - timedelta(days=365)).date())


class EmploymentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Employment

    person = factory.SubFactory(PersonFactory, employment=False)
    organisation = factory.LazyAttribute(lambda o: o.person.employer or OrganisationFactory())
    started_on = factory.LazyFunction(lambda: (clock.now() - timedelta(days=365)).date())


class CredentialFactory(factory.django.DjangoModelFactory):
    """An active port-wide card of a person, issued by the person's employer."""

    class Meta:
        model = Credential

    number = factory.Sequence(lambda n: f"CARD-{n:08d}")
    kind = CredentialKind.CARD
    person = factory.SubFactory(PersonFactory)
    port = factory.LazyAttribute(lambda o: port_of(o.person))
    issued_by = factory.LazyAttribute(lambda o: o.person.employer or OrganisationFactory())
    state = CredentialState.ACTIVE
    valid_from = factory.LazyFunction(_yesterday)
    valid_until = factory.LazyFunction(_in_a_year)
    visit = None
    created_at = factory.LazyFunction(_now)


class FacilityEnrolmentFactory(factory.django.DjangoModelFactory):
    """A credential activated at a facility of its port."""

    class Meta:
        model = FacilityEnrolment

    credential = factory.SubFactory(CredentialFactory)
    facility = factory.LazyAttribute(lambda o: FacilityFactory(port=o.credential.port))
    is_active = True
    activated_at = factory.LazyFunction(_now)


class VehicleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Vehicle

    plate = factory.Sequence(lambda n: f"BE:1{chr(65 + n // 676 % 26)}{chr(65 + n // 26 % 26)}{chr(65 + n % 26)}"
                                       f"{n % 1000:03d}")
    country = "BE"
    owner = factory.SubFactory(OrganisationFactory, kind=OrganisationKind.TRANSPORT_COMPANY)
    created_at = factory.LazyFunction(_now)


class ZoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Zone

    facility = factory.SubFactory(FacilityFactory)
    code = factory.Sequence(lambda n: f"Z{n:03d}")
    name = factory.Sequence(lambda n: f"Zone {n}")
    escort_required = False
    requires_verification = False


class ZoneLevelRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ZoneLevelRule

    zone = factory.SubFactory(ZoneFactory)
    level = 1
    mode = "open"
    allowed_purposes = factory.LazyFunction(list)


class AccessPointFactory(factory.django.DjangoModelFactory):
    """A two-way turnstile of a zone, open at every security level."""

    class Meta:
        model = AccessPoint

    zone = factory.SubFactory(ZoneFactory)
    code = factory.Sequence(lambda n: f"AP{n:03d}")
    name = factory.Sequence(lambda n: f"Turnstile {n}")
    kind = AccessPointKind.TURNSTILE
    direction = Direction.BOTH
    requires_biometric = False
    requires_plate = False
    open_at_levels = factory.LazyFunction(lambda: [1, 2, 3])
    anti_passback = True


class AuthorisationFactory(factory.django.DjangoModelFactory):
    """A person's right to enter a zone at any hour for a year, granted by the zone's operator.

    For an organisation-wide right: ``AuthorisationFactory(person=None, organisation=org)``.
    """

    class Meta:
        model = Authorisation

    person = factory.SubFactory(PersonFactory)
    organisation = None
    zone = factory.SubFactory(ZoneFactory)
    valid_from = factory.LazyFunction(_yesterday)
    valid_until = factory.LazyFunction(_in_a_year)
    schedule = factory.LazyFunction(dict)
    purpose = "work"
    escort_required = False
    vehicle_only = False
    requires_verification = False
    granted_by = factory.LazyAttribute(lambda o: o.zone.facility.operator)
    granted_at = factory.LazyFunction(_now)
    revoked_at = None


class PortBanFactory(factory.django.DjangoModelFactory):
    """A ban from all ports for five years, issued by a police force."""

    class Meta:
        model = PortBan
        skip_postgeneration_save = True

    person = factory.SubFactory(PersonFactory)
    all_ports = True
    valid_from = factory.LazyFunction(_yesterday)
    valid_until = factory.LazyFunction(lambda: clock.now() + timedelta(days=5 * 365))
    legal_reference = factory.Sequence(lambda n: f"Corr. Antwerpen 2026/{n:05d}")
    issued_by = factory.SubFactory(OrganisationFactory, kind=OrganisationKind.POLICE)
    issued_at = factory.LazyFunction(_now)

    @factory.post_generation
    def ports(obj, create, extracted, **kwargs):
        """``PortBanFactory(ports=[port])`` bans from those ports only."""
        if create and extracted:
            obj.all_ports = False
            obj.save(update_fields=["all_ports"])
            obj.ports.set(extracted)


class SecurityVerificationFactory(factory.django.DjangoModelFactory):
    """A positive verification valid for a year."""

    class Meta:
        model = SecurityVerification

    person = factory.SubFactory(PersonFactory)
    function = "access to critical IT systems"
    status = VerificationStatus.POSITIVE
    requested_by = factory.LazyAttribute(lambda o: o.person.employer or OrganisationFactory())
    requested_at = factory.LazyFunction(lambda: clock.now() - timedelta(days=30))
    decided_at = factory.LazyFunction(_yesterday)
    valid_until = factory.LazyFunction(_in_a_year)


class TrainingRecordFactory(factory.django.DjangoModelFactory):
    """A course completed a month ago that does not expire."""

    class Meta:
        model = TrainingRecord

    person = factory.SubFactory(PersonFactory)
    course = "ISPS security awareness"
    completed_on = factory.LazyFunction(lambda: (clock.now() - timedelta(days=30)).date())
    valid_until = None
    recorded_by = factory.LazyAttribute(lambda o: o.person.employer or OrganisationFactory())
    recorded_at = factory.LazyFunction(clock.now)


class AnnouncerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Announcer

    organisation = factory.SubFactory(OrganisationFactory, kind=OrganisationKind.SHIPPING_LINE)
    facility = factory.SubFactory(FacilityFactory)
    valid_from = factory.LazyFunction(_yesterday)
    valid_until = factory.LazyFunction(_in_a_year)
    approved_at = factory.LazyFunction(_now)


class VisitFactory(factory.django.DjangoModelFactory):
    """An announced visit to a facility, from in an hour for eight hours."""

    class Meta:
        model = Visit

    announcer = factory.SubFactory(OrganisationFactory, kind=OrganisationKind.SHIPPING_LINE)
    facility = factory.SubFactory(FacilityFactory)
    window_start = factory.LazyFunction(lambda: clock.now() + timedelta(hours=1))
    window_end = factory.LazyAttribute(lambda o: o.window_start + timedelta(hours=8))
    reason = "crew change"
    status = VisitStatus.ANNOUNCED
    created_at = factory.LazyFunction(_now)


class VisitorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Visitor

    visit = factory.SubFactory(VisitFactory)
    person = factory.SubFactory(PersonFactory)
    screening = ScreeningResult.CLEAR
    screened_at = factory.LazyFunction(_now)
