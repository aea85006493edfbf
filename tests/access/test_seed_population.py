"""The port scale's bulk population keeps the services' invariants (on a small population).

The population is built once for the module; each test runs on it in a savepoint.
"""

from __future__ import annotations

import pytest
from django.db.models import Count, F

from havenwatch.access import seed_population
from havenwatch.access.choices import CredentialKind, CredentialState
from havenwatch.access.decisions import decide
from havenwatch.access.models import (
    AccessPoint,
    Authorisation,
    Credential,
    CredentialStateChange,
    Employment,
    FacilityEnrolment,
    Person,
    Zone,
)
from havenwatch.access.seed_population import Population, populate
from havenwatch.core import clock
from havenwatch.core.audit import verify_chain
from havenwatch.core.models import AuditRecord
from havenwatch.demo.generator import seed
from tests.conftest import analyze_tables, shared_database

SMALL = Population(people=600, mobile_credentials=100, replaced_cards=80, authorisations=5_000, access_points=18)

# June 17 of this year, 10:00 UTC: the clock of the build and of each test.
AT = clock.now().replace(month=6, day=17, hour=10, minute=0, second=0, microsecond=0)


@pytest.fixture(scope="module")
def _populated(django_db_setup, django_db_blocker, tmp_path_factory):
    """The small port and its bulk population, built once for the module (the build is
    most of this module's time): each test runs on it in a savepoint, rolled back after it."""
    with shared_database(django_db_blocker, tmp_path_factory.mktemp("keys")), pytest.MonkeyPatch.context() as mp:
        # Batches smaller than the counts, so that every batch boundary is crossed.
        mp.setattr(seed_population, "BATCH", 40)
        with clock.frozen(AT):
            ctx = seed(scale="small")
            before = {"people": Person.objects.count(), "credentials": Credential.objects.count()}
            zones: dict[int, dict[str, Zone]] = {}
            for zone in Zone.objects.order_by("pk"):
                zones.setdefault(zone.facility_id, {})[zone.code] = zone
            counts = populate(ctx, SMALL, zones_by_facility=zones)
            analyze_tables()
        yield ctx, counts, before


@pytest.fixture(autouse=True)
def _fresh_keys(_populated):
    """Not a key per test (tests/conftest.py): the shared population was signed with one."""


@pytest.fixture
def populated(_populated, db):
    with clock.frozen(AT):
        yield _populated


def test_population_reaches_the_scale_counts(populated):
    _ctx, counts, before = populated
    assert Person.objects.count() == before["people"] + SMALL.people
    assert Credential.objects.count() == before["credentials"] + SMALL.people + 100 + 80
    assert Authorisation.objects.count() == SMALL.authorisations
    assert AccessPoint.objects.count() == SMALL.access_points
    assert counts["people"] == counts["employments"] == SMALL.people and counts["state_changes"] == 80


def test_every_bulk_person_is_employed_and_holds_one_active_badge(populated):
    bulk = Person.objects.filter(credentials__number__contains="-1")  # the bulk badge serials
    assert bulk.count() == SMALL.people
    assert not bulk.filter(employments__isnull=True).exists()
    assert Employment.objects.filter(person__in=bulk).count() == SMALL.people
    double = (Credential.objects.filter(kind=CredentialKind.CARD, state=CredentialState.ACTIVE)
              .values("person", "port").annotate(n=Count("pk")).filter(n__gt=1))
    assert not double.exists()  # the services' rule: one active badge per person and port


def test_activations_are_at_facilities_of_the_credentials_port(populated):
    assert not FacilityEnrolment.objects.exclude(facility__port=F("credential__port")).exists()
    assert not Credential.objects.filter(state=CredentialState.ACTIVE, visit__isnull=True,
                                         enrolments__isnull=True).exists()


def test_replaced_badges_have_their_state_change(populated):
    old = Credential.objects.exclude(state=CredentialState.ACTIVE).filter(number__contains="-5")
    assert old.count() == 80
    assert CredentialStateChange.objects.filter(credential__in=old).count() == 80


def test_authorisations_have_one_holder_and_a_valid_window(populated):
    assert not Authorisation.objects.filter(person__isnull=True, organisation__isnull=True).exists()
    assert not Authorisation.objects.filter(valid_until__lte=F("valid_from")).exists()
    # Zones for verified staff only are granted through the services, never in bulk.
    assert not Authorisation.objects.filter(zone__requires_verification=True,
                                            person__credentials__number__contains="-1").exists()


def test_a_bulk_badge_holder_passes_the_gate(populated):
    now = clock.now()
    right = (Authorisation.objects.filter(person__credentials__number__contains="-1", schedule={},
                                          vehicle_only=False, valid_from__lte=now, valid_until__gt=now,
                                          zone__access_points__requires_plate=False)
             .select_related("person", "zone").order_by("pk").first())
    assert right is not None
    badge = Credential.objects.get(person=right.person, kind=CredentialKind.CARD, state=CredentialState.ACTIVE)
    assert badge.enrolments.filter(facility=right.zone.facility).exists()
    point = AccessPoint.objects.filter(zone=right.zone, requires_plate=False).order_by("pk").first()
    decision = decide(access_point=point, credential_number=badge.number, direction="in")
    assert decision.granted, decision.reasons


def test_the_import_is_one_audited_act_and_the_chain_verifies(populated):
    record = AuditRecord.objects.get(code="access.population.imported")
    assert record.data["people"] == SMALL.people and record.data["authorisations"] > 0
    assert verify_chain().ok
