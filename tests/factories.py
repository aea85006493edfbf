"""Factories for the core's rows. Rows made here skip the services on purpose: they are
the world a test starts from; what a test checks goes through the services."""

from __future__ import annotations

import factory

from havenwatch.core.choices import OrganisationKind, Role
from havenwatch.core.models import Facility, Membership, Organisation, Port, User
from havenwatch.core.principal import principal_for_membership


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Organisation {n}")
    slug = factory.Sequence(lambda n: f"org-{n}")
    kind = OrganisationKind.COMPANY
    country = "BE"


class PortFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Port

    name = factory.Sequence(lambda n: f"Port {n}")
    unlocode = factory.Sequence(lambda n: f"B{chr(65 + n // 26 % 26)}{chr(65 + n % 26)}{chr(65 + n // 676 % 26)}"[:2]
                                + f"{chr(65 + n % 26)}{chr(65 + (n // 26) % 26)}{chr(65 + (n // 676) % 26)}")
    authority = factory.SubFactory(OrganisationFactory, kind=OrganisationKind.PORT_AUTHORITY)
    time_zone = "Europe/Brussels"


class FacilityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Facility

    name = factory.Sequence(lambda n: f"Terminal {n}")
    isps_number = factory.Sequence(lambda n: f"BEXXX-{n:04d}")
    port = factory.SubFactory(PortFactory)
    operator = factory.SubFactory(OrganisationFactory, kind=OrganisationKind.FACILITY_OPERATOR)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery-staple")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = Role.COMPANY_ACCESS_MANAGER


def principal(role: str, organisation: Organisation, **membership_fields):
    """A principal acting in ``role`` for ``organisation`` (a fresh user)."""
    membership = MembershipFactory(role=role, organisation=organisation, **membership_fields)
    return principal_for_membership(membership)
