"""The port scale's release history keeps the services' invariants (on a small population),
and its ready releases pass the gate as the services' releases do.

The history is built once for the module; each test runs on it in a savepoint.
"""

from __future__ import annotations

import pytest
from django.db.models import Count

from havenwatch.core import clock
from havenwatch.core.audit import verify_chain
from havenwatch.core.choices import Role
from havenwatch.core.models import AuditRecord
from havenwatch.demo.generator import seed
from havenwatch.release import seed_population
from havenwatch.release.choices import LIVE_STATUSES, AssignmentStatus, ReleaseStatus, RightStatus
from havenwatch.release.models import CommercialRelease, Container, DriverAssignment, ReleaseRight
from havenwatch.release.seed import acting
from havenwatch.release.seed_population import Population, populate
from havenwatch.release.services.pickups import pickup_decide
from tests.conftest import analyze_tables, shared_database

SMALL = Population(releases=2_500, ready=300)

# June 17 of this year, 10:00 UTC: the clock of the build and of each test.
AT = clock.now().replace(month=6, day=17, hour=10, minute=0, second=0, microsecond=0)


@pytest.fixture(scope="module")
def _populated(django_db_setup, django_db_blocker, tmp_path_factory):
    """The small port and its release history, built once for the module (the build is
    most of this module's time): each test runs on it in a savepoint, rolled back after it."""
    with shared_database(django_db_blocker, tmp_path_factory.mktemp("keys")), pytest.MonkeyPatch.context() as mp:
        mp.setattr(seed_population, "CHUNK", 700)  # every chunk boundary is crossed
        with clock.frozen(AT):
            ctx = seed(scale="small")
            before = {"releases": CommercialRelease.objects.count(), "containers": Container.objects.count()}
            counts = populate(ctx, SMALL)
            analyze_tables()
        yield ctx, counts, before


@pytest.fixture(autouse=True)
def _fresh_keys(_populated):
    """Not a key per test (tests/conftest.py): the shared history was signed with one."""


@pytest.fixture
def populated(_populated, db):
    with clock.frozen(AT):
        yield _populated


def test_the_population_reaches_its_counts_with_valid_unique_numbers(populated):
    _ctx, counts, before = populated
    assert CommercialRelease.objects.count() == before["releases"] + SMALL.releases
    assert Container.objects.count() == before["containers"] + SMALL.releases == before["containers"] + counts["containers"]
    assert counts["ready"] == SMALL.ready
    from stdnum import iso6346

    assert all(iso6346.is_valid(n) for n in Container.objects.filter(number__startswith="HV").values_list(
        "number", flat=True))


def test_the_bulk_chains_keep_the_services_invariants(populated):
    # one live release per container (also a database constraint)
    assert not (CommercialRelease.objects.filter(status__in=LIVE_STATUSES).values("container")
                .annotate(n=Count("pk")).filter(n__gt=1).exists())
    # at most one holder and one open offer per release
    for status in (RightStatus.HELD, RightStatus.OFFERED):
        assert not (ReleaseRight.objects.filter(status=status).values("release")
                    .annotate(n=Count("pk")).filter(n__gt=1).exists())
    # a revoked release leaves no right standing
    assert not ReleaseRight.objects.filter(
        release__status=ReleaseStatus.REVOKED,
        status__in=(RightStatus.HELD, RightStatus.OFFERED, RightStatus.PASSED)).exists()
    # every picked-up release was collected by the holding haulier's driver
    picked = CommercialRelease.objects.filter(status=ReleaseStatus.PICKED_UP)
    assert picked.exists()
    assert not picked.exclude(assignments__status=AssignmentStatus.USED).exists()
    # an assignment is the holding haulier's, with one of its own drivers' badges
    assignments = DriverAssignment.objects.filter(status__in=(AssignmentStatus.ACTIVE, AssignmentStatus.USED))
    for assignment in assignments.select_related("credential__person")[:500]:
        held = ReleaseRight.objects.get(release_id=assignment.release_id, status=RightStatus.HELD)
        assert held.holder_id == assignment.haulier_id == assignment.credential.person.employer_id
    # not discharged: only live releases
    assert not Container.objects.filter(discharged_at__isnull=True, releases__status=ReleaseStatus.PICKED_UP).exists()


def test_a_ready_release_is_granted_at_the_gate_and_a_second_attempt_refused(populated):
    ctx, _counts, _before = populated
    terminal = ctx.facilities[0]
    assignment = (DriverAssignment.objects.filter(status=AssignmentStatus.ACTIVE, release__container__terminal=terminal,
                                                  release__container__number__startswith="HV")
                  .select_related("release__container", "credential").first())
    gate = acting(terminal.operator, Role.GATE_GUARD)
    attempt = pickup_decide(actor=gate, terminal=terminal, container_number=assignment.release.container.number,
                            credential_number=assignment.credential.number, plate=assignment.plate)
    assert attempt.granted, attempt.reasons
    again = pickup_decide(actor=gate, terminal=terminal, container_number=assignment.release.container.number,
                          credential_number=assignment.credential.number, plate=assignment.plate)
    assert again.reasons == ["already_picked_up"]


def test_the_import_is_one_audited_act_and_the_chain_verifies(populated):
    _ctx, counts, _before = populated
    record = AuditRecord.objects.get(code="release.population.imported")
    assert record.data == counts
    assert verify_chain().ok


def test_each_link_says_when_it_changed_and_the_chains_are_paths(populated):
    from havenwatch.release.choices import RightStatus as S

    bulk_rights = ReleaseRight.objects.filter(release__container__number__startswith="HV")
    assert not bulk_rights.filter(status__in=(S.HELD, S.PASSED, S.REVOKED), decided_at__isnull=True).exists()
    assert not bulk_rights.filter(status=S.OFFERED, decided_at__isnull=False).exists()
    # a haulier's link descends from the forwarder's passed-on link
    for right in bulk_rights.filter(parent__isnull=False).select_related("parent")[:300]:
        assert right.parent.status == S.PASSED and right.parent.holder_id == right.offered_by_id
    assert not bulk_rights.filter(offered_by__kind="forwarder", parent__isnull=True).exists()
