"""The release history of a large synthetic port: a million container releases, written
in bulk beside the services.

The demo's story releases go through the services (``seed.py``). At the ``port`` scale
this adds two months of traffic behind them, so that benchmarks run against a real
port's volume (issue 4: "at one million releases in the database"):

- one container per release, at one of the port's terminals, numbered ``HVxU000000`` to
  ``HVxU999999`` (valid ISO 6346 check digits), so no story number collides;
- releases from the port's shipping lines, mostly picked up already, the rest active
  (some not discharged yet), blocked or revoked;
- their chains: the line's offer to a forwarder, passed on to a haulier that holds it
  (or still offered, or held by the forwarder, or revoked with the release);
- driver assignments by the holding haulier, with one of its drivers' active badges,
  used by the pickup or active for the live ones;
- ``ready`` releases at the first terminal, all lights green, a driver assigned for the
  coming weeks: what the pickup benchmark presents at the gate.

The rows obey the services' invariants (tested in
``tests/release/test_seed_population.py``). The audit chain records the import as one
act with its counts: synthetic history is not a million security events.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from stdnum import iso6346

from havenwatch.access.choices import CredentialState
from havenwatch.access.models import Credential
from havenwatch.access.validation import plate_in
from havenwatch.core import bulk, clock
from havenwatch.core.choices import OrganisationKind
from havenwatch.core.models import Facility, Organisation
from havenwatch.core.services._emit import emit
from havenwatch.release.choices import AssignmentStatus, ReleaseStatus, RightStatus
from havenwatch.release.models import CommercialRelease, Container, DriverAssignment, ReleaseRight

CHUNK = 10_000
OWNERS = ("HVAU", "HVBU", "HVCU", "HVDU", "HVEU")  # a million numbers per owner code
PLATE_LETTERS = "ABCDEFGHJKLMNPRSTVWXYZ"


@dataclass(frozen=True)
class Population:
    releases: int
    ready: int  # at the first terminal, green and assigned: for the pickup benchmark


POPULATIONS = {"port": Population(releases=1_000_000, ready=20_000)}


def container_number(serial: int) -> str:
    base = f"{OWNERS[serial // 1_000_000]}{serial % 1_000_000:06d}"
    return base + iso6346.calc_check_digit(base)


def _kind(kind: str) -> list[Organisation]:
    return list(Organisation.objects.filter(kind=kind, is_active=True).order_by("pk"))


def _drivers(hauliers: list[Organisation], port_id: int) -> dict[int, list[int]]:
    """Active badges of each haulier's people in the port: its drivers."""
    drivers: dict[int, list[int]] = {}
    rows = (Credential.objects.filter(person__employer__in=hauliers, port_id=port_id, state=CredentialState.ACTIVE,
                                      visit__isnull=True, valid_until__gt=clock.now())
            .values_list("person__employer_id", "pk"))
    for employer_id, pk in rows:
        drivers.setdefault(employer_id, []).append(pk)
    return drivers


def populate(ctx, population: Population) -> dict[str, int]:
    """Add ``population`` to the port the other seeders made; returns the counts written."""
    rng = ctx.rng
    now = clock.now()
    terminals = list(Facility.objects.filter(is_active=True).select_related("port").order_by("pk"))
    lines = _kind(OrganisationKind.SHIPPING_LINE)
    forwarders = _kind(OrganisationKind.FORWARDER)
    hauliers = _kind(OrganisationKind.TRANSPORT_COMPANY)
    port = terminals[0].port
    drivers = _drivers(hauliers, port.pk)
    hauliers = [h for h in hauliers if drivers.get(h.pk)]
    if not (terminals and lines and forwarders and hauliers):
        return {}
    country = port.unlocode[:2]
    counts = {"containers": 0, "releases": 0, "rights": 0, "assignments": 0, "ready": 0}
    serial = 0
    while serial < population.releases:
        size = min(CHUNK, population.releases - serial)
        ready_left = max(population.ready - serial, 0)
        _write_chunk(rng, now, serial, size, ready_left, terminals, lines, forwarders, hauliers, drivers, country,
                     counts)
        serial += size
        ctx.report("release: population (releases, chains, drivers)", serial, population.releases)
    emit(actor=ctx.actor, code="release.population.imported", publish=False, data=counts)
    return counts


def _status(rng) -> str:
    draw = rng.random()
    if draw < 0.82:
        return ReleaseStatus.PICKED_UP
    if draw < 0.97:
        return ReleaseStatus.ACTIVE
    if draw < 0.985:
        return ReleaseStatus.BLOCKED
    return ReleaseStatus.REVOKED


def _write_chunk(rng, now, first, size, ready_left, terminals, lines, forwarders, hauliers, drivers, country,
                 counts) -> None:
    containers, plans = [], []
    for offset in range(size):
        ready = offset < ready_left
        terminal = terminals[0] if ready else rng.choice(terminals)
        status = ReleaseStatus.ACTIVE if ready else _status(rng)
        issued = now - timedelta(minutes=rng.randint(60, 60 * 24 * 60))
        if status == ReleaseStatus.PICKED_UP:
            issued = min(issued, now - timedelta(days=1))
        discharged = ready or status != ReleaseStatus.ACTIVE or rng.random() < 0.7
        containers.append(bulk.new(Container, number=container_number(first + offset), terminal_id=terminal.pk,
                                   created_at=issued, discharged_at=issued if discharged else None,
                                   discharged_by="demo-seed" if discharged else ""))
        plans.append((ready, terminal, status, issued, rng.choice(lines), rng.choice(forwarders), rng.choice(hauliers)))
    bulk.insert_many(Container, containers)
    ids = dict(Container.objects.filter(number__in=[c.number for c in containers]).values_list("number", "pk"))
    releases = []
    for container, (_ready, _terminal, status, issued, line, forwarder, _haulier) in zip(containers, plans,
                                                                                        strict=True):
        valid_until = issued + timedelta(days=rng.randint(14, 45))
        releases.append(bulk.new(
            CommercialRelease, container_id=ids[container.number], shipping_line_id=line.pk,
            bill_of_lading=f"{line.slug[:4].upper()}{rng.randint(10**7, 10**8 - 1)}", first_party_id=forwarder.pk,
            valid_from=issued, valid_until=max(valid_until, now + timedelta(days=30)) if status != "picked_up"
            else valid_until, status=status, status_reason="Freight not paid yet" if status == "blocked" else
            ("Issued to the wrong party" if status == "revoked" else ""), created_at=issued, updated_at=issued))
    bulk.insert_many(CommercialRelease, releases)
    release_ids = dict(CommercialRelease.objects.filter(container_id__in=list(ids.values()))
                       .values_list("container_id", "pk"))
    rights, onward, assignments = [], [], []
    for release, (ready, _terminal, status, issued, line, forwarder, haulier) in zip(releases, plans, strict=True):
        release_id = release_ids[release.container_id]
        accepted = issued + timedelta(minutes=rng.randint(5, 240))
        passed = accepted + timedelta(minutes=rng.randint(5, 240))
        stage = 3 if ready or status == ReleaseStatus.PICKED_UP else rng.choice((1, 2, 3, 3))
        # ``decided_at``: when the right last changed, as the services set it (accepted,
        # then passed on when the next party accepted; revoked).
        if status == ReleaseStatus.REVOKED:
            rights.append(bulk.new(ReleaseRight, release_id=release_id, holder_id=forwarder.pk, offered_by_id=line.pk,
                                   offered_at=issued, status=RightStatus.REVOKED, decided_at=passed,
                                   reason="Issued to the wrong party"))
            continue
        taken = passed + timedelta(minutes=3)  # the haulier accepts
        rights.append(bulk.new(
            ReleaseRight, release_id=release_id, holder_id=forwarder.pk, offered_by_id=line.pk, offered_at=issued,
            status={1: RightStatus.OFFERED, 2: RightStatus.HELD, 3: RightStatus.PASSED}[stage],
            decided_at={1: None, 2: accepted, 3: taken}[stage]))
        if stage < 3:
            continue
        # The haulier's link, passed on from the forwarder's (its parent, once that has an id).
        onward.append(bulk.new(ReleaseRight, release_id=release_id, holder_id=haulier.pk, offered_by_id=forwarder.pk,
                               offered_at=passed, decided_at=taken, status=RightStatus.HELD))
        if status == ReleaseStatus.PICKED_UP or ready or rng.random() < 0.5:
            picked = status == ReleaseStatus.PICKED_UP
            slot_start = passed + timedelta(hours=1) if picked else now - timedelta(hours=1)
            assignments.append(bulk.new(
                DriverAssignment, release_id=release_id, haulier_id=haulier.pk,
                credential_id=rng.choice(drivers[haulier.pk]), plate=_plate(rng, country), slot_start=slot_start,
                slot_end=slot_start + timedelta(days=30 if not picked else 1),
                status=AssignmentStatus.USED if picked else AssignmentStatus.ACTIVE, created_at=passed,
                ended_at=slot_start + timedelta(hours=2) if picked else None))
            counts["ready"] += ready
    bulk.insert_keyed(ReleaseRight, rights, key="release")  # one first link per release
    parents = {right.release_id: right.pk for right in rights}
    for right in onward:
        right.parent_id = parents[right.release_id]
    bulk.insert_many(ReleaseRight, onward)
    bulk.insert_many(DriverAssignment, assignments)
    counts["containers"] += len(containers)
    counts["releases"] += len(releases)
    counts["rights"] += len(rights) + len(onward)
    counts["assignments"] += len(assignments)


def _plate(rng, country: str) -> str:
    letters = "".join(rng.choice(PLATE_LETTERS) for _ in range(3))
    return plate_in(f"{rng.randint(1, 9)}{letters}{rng.randint(0, 999):03d}", country)
