"""The bulk population of a large synthetic port: people, badges, activations and rights
by the hundred thousand, written with ``bulk_create`` beside the services.

The services write one person at a time with its audit record and domain event, which is
right for people and far too slow for 150,000 of them (about 3 ms each, 1,000,000
authorisations on top). The demo's story rows (the featured people, the ban, the visits)
still go through the services; this module adds the crowd behind them for the ``port``
scale, so that benchmarks run against a port's real data volume:

- people employed by the port's companies, transport companies and facility operators,
  each with an employment row;
- one active badge each (the services' rule: one active card per person and port),
  mobile credentials for some, and replaced badges (blocked, inactive or expired, with
  their state change) for others;
- activations at the one to three facilities the employer works at;
- authorisations: current ones for the zones of those facilities, with weekly schedules,
  and expired ones from earlier years, up to the scale's total;
- extra access points, so that the port has its scale's number of gates.

The rows obey the same invariants as the services' rows (tested in
``tests/access/test_seed_population.py``). The audit chain records the import as one
act with its counts, not 1.9 million acts: synthetic people are not a security event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from havenwatch.access.choices import (
    AccessPointKind,
    CredentialKind,
    CredentialState,
    Direction,
    ProofingLevel,
)
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
from havenwatch.core import clock
from havenwatch.core.choices import OrganisationKind
from havenwatch.core.models import Facility, Organisation
from havenwatch.core.services._emit import emit

BATCH = 5_000
# Serial offsets of bulk credential numbers: the services' badges use 1..999,999.
CARD_SERIAL, MOBILE_SERIAL, OLD_CARD_SERIAL = 1_000_000, 3_000_000, 5_000_000
PURPOSES = ["cargo handling", "maintenance", "haulage", "lashing", "mooring", "cleaning", "catering",
            "inspection", "IT support", "administration"]
DAY_SHIFT = {day: [["06:00", "14:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
LATE_SHIFT = {day: [["14:00", "22:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat")}
OFFICE_HOURS = {day: [["07:30", "18:30"]] for day in ("mon", "tue", "wed", "thu", "fri")}
SCHEDULES = [{}, DAY_SHIFT, LATE_SHIFT, OFFICE_HOURS]
EXTRA_POINTS = [  # (code, name, kind, zone code, requires_plate, direction)
    ("T3", "Turnstile north", AccessPointKind.TURNSTILE, "QUAY", False, Direction.BOTH),
    ("Q1", "Quay gate", AccessPointKind.QUAY_GATE, "QUAY", False, Direction.BOTH),
    ("G2", "Truck gate out", AccessPointKind.VEHICLE_GATE, "YARD", True, Direction.OUT),
    ("T4", "Yard turnstile", AccessPointKind.TURNSTILE, "YARD", False, Direction.BOTH),
    ("G3", "Reefer gate", AccessPointKind.VEHICLE_GATE, "YARD", True, Direction.IN),
    ("T5", "Turnstile south", AccessPointKind.TURNSTILE, "QUAY", False, Direction.BOTH),
]


@dataclass(frozen=True)
class Population:
    people: int
    mobile_credentials: int
    replaced_cards: int
    authorisations: int
    access_points: int


# The port scale: 150,000 people, 200,000 credentials, 2,000 access points and
# 1,000,000 authorisation rows (with the rows the services made, which are a few thousand).
POPULATIONS = {
    "port": Population(people=150_000, mobile_credentials=30_000, replaced_cards=20_000,
                       authorisations=1_000_000, access_points=2_000),
}


class _Writer:
    """Collects rows of one model and writes them in batches. With ``autoflush=False`` only
    the caller flushes: it needs the written rows back (their primary keys) for what
    points at them."""

    def __init__(self, model, *, autoflush: bool = True) -> None:
        self.model = model
        self.autoflush = autoflush
        self.rows: list = []
        self.written = 0

    def add(self, row) -> None:
        self.rows.append(row)
        if self.autoflush and len(self.rows) >= BATCH:
            self.flush()

    def flush(self) -> list:
        rows, self.rows = self.rows, []
        if rows:
            self.model.objects.bulk_create(rows, batch_size=BATCH)
            self.written += len(rows)
        return rows


def populate(ctx, population: Population, *, zones_by_facility: dict[int, dict[str, Zone]]) -> dict[str, int]:
    """Add ``population`` to the port made by the access seeder; returns the counts written."""
    rng = ctx.rng
    now = clock.now()
    valid_from, valid_until = now - timedelta(days=400), now + timedelta(days=3 * 365)
    facilities = list(Facility.objects.filter(pk__in=zones_by_facility).select_related("port").order_by("pk"))
    by_port: dict[int, list[Facility]] = {}
    for facility in facilities:
        by_port.setdefault(facility.port_id, []).append(facility)
    operated: dict[int, list[Facility]] = {}
    for facility in facilities:
        operated.setdefault(facility.operator_id, []).append(facility)
    employers = list(
        Organisation.objects.filter(kind__in=(OrganisationKind.COMPANY, OrganisationKind.TRANSPORT_COMPANY,
                                              OrganisationKind.FACILITY_OPERATOR), is_active=True)
        .order_by("pk")
    )
    # Where each employer works: an operator at its own facilities, a company at one to three of its port's.
    sites: dict[int, list[Facility]] = {}
    for org in employers:
        if org.pk in operated:
            sites[org.pk] = operated[org.pk]
        else:
            port_facilities = by_port.get(_port_of(org, facilities), facilities) or facilities
            sites[org.pk] = rng.sample(port_facilities, min(len(port_facilities), rng.randint(1, 3)))
    employers = [org for org in employers if sites.get(org.pk)]
    # Operators employ more people than a cleaning company: weight them.
    weights = [6 if org.pk in operated else 1 for org in employers]

    counts = {"access_points": _access_points(population.access_points, zones_by_facility, ctx)}
    people_writer, employment_writer = _Writer(Person), _Writer(Employment)
    credential_writer, enrolment_writer = _Writer(Credential, autoflush=False), _Writer(FacilityEnrolment)
    authorisation_writer, change_writer = _Writer(Authorisation), _Writer(CredentialStateChange)
    from havenwatch.access.seed import FIRST_NAMES, LAST_NAMES, NATIONALITIES, credential_number

    proofing = [ProofingLevel.DOCUMENT, ProofingLevel.EID, ProofingLevel.EID, ProofingLevel.ITSME]
    today = now.date()
    chunk = 2_000
    made = 0
    current_rights = 0
    holders: list[tuple[Person, Organisation]] = []
    while made < population.people:
        size = min(chunk, population.people - made)
        batch = []
        for _i in range(size):
            org = rng.choices(employers, weights)[0]
            nationality = rng.choice(NATIONALITIES)
            person = Person(
                first_name=rng.choice(FIRST_NAMES), last_name=rng.choice(LAST_NAMES),
                date_of_birth=date(rng.randint(1962, 2004), rng.randint(1, 12), rng.randint(1, 28)),
                nationality=nationality, id_document_ref=f"{nationality}{rng.randint(10**8, 10**9 - 1)}",
                proofing_level=rng.choice(proofing), employer=org, created_at=now,
            )
            people_writer.add(person)
            batch.append((person, org))
        people_writer.flush()  # primary keys now set: the rows below point at them
        for person, org in batch:
            made += 1
            employment_writer.add(Employment(person=person, organisation=org,
                                             started_on=today - timedelta(days=rng.randint(30, 7_000))))
            port = sites[org.pk][0].port
            card = Credential(number=credential_number(port, CARD_SERIAL + made), kind=CredentialKind.CARD,
                              person=person, port=port, issued_by=org, state=CredentialState.ACTIVE,
                              valid_from=valid_from, valid_until=valid_until, created_at=now)
            credential_writer.add(card)
            holders.append((person, org))
        cards = credential_writer.flush()
        for card in cards:
            for facility in sites[card.issued_by_id]:
                enrolment_writer.add(FacilityEnrolment(credential=card, facility=facility, is_active=True,
                                                       activated_at=now))
        for person, org in batch:
            for facility in sites[org.pk]:
                for zone in zones_by_facility[facility.pk].values():
                    if zone.requires_verification:
                        continue  # verified staff only: the services grant those with a verification
                    authorisation_writer.add(Authorisation(
                        person=person, zone=zone, valid_from=valid_from, valid_until=valid_until,
                        schedule=rng.choice(SCHEDULES), purpose=rng.choice(PURPOSES),
                        vehicle_only=org.kind == OrganisationKind.TRANSPORT_COMPANY and zone.code == "YARD",
                        granted_by_id=facility.operator_id, granted_at=now,
                    ))
                    current_rights += 1
        ctx.report("access: population (people, badges, rights)", made, population.people)
    for writer in (employment_writer, enrolment_writer, authorisation_writer):
        writer.flush()

    # Mobile credentials for some, replaced badges for others.
    mobiles = rng.sample(holders, min(population.mobile_credentials, len(holders)))
    for n, (person, org) in enumerate(mobiles, start=1):
        port = sites[org.pk][0].port
        credential_writer.add(Credential(
            number=credential_number(port, MOBILE_SERIAL + n), kind=CredentialKind.MOBILE, person=person, port=port,
            issued_by=org, state=CredentialState.ACTIVE, valid_from=valid_from, valid_until=valid_until,
            created_at=now))
        if n % BATCH == 0:
            _enrol(credential_writer.flush(), sites, enrolment_writer, now)
    _enrol(credential_writer.flush(), sites, enrolment_writer, now)
    ctx.report("access: population (mobile credentials)", 1, 1)
    replaced = rng.sample(holders, min(population.replaced_cards, len(holders)))
    ended = [(CredentialState.BLOCKED, "reported lost"), (CredentialState.INACTIVE, "left at home for a week"),
             (CredentialState.EXPIRED, "replaced by a new badge")]
    pending_changes = []
    for n, (person, org) in enumerate(replaced, start=1):
        port = sites[org.pk][0].port
        state, reason = ended[n % len(ended)]
        old = Credential(number=credential_number(port, OLD_CARD_SERIAL + n), kind=CredentialKind.CARD, person=person,
                         port=port, issued_by=org, state=state, valid_from=valid_from - timedelta(days=1_000),
                         valid_until=valid_from, created_at=now - timedelta(days=1_000))
        credential_writer.add(old)
        pending_changes.append((old, state, reason))
        if n % BATCH == 0:
            credential_writer.flush()
            _changes(pending_changes, change_writer, now)
            pending_changes = []
    credential_writer.flush()
    _changes(pending_changes, change_writer, now)
    change_writer.flush()
    ctx.report("access: population (replaced badges)", 1, 1)

    # Expired rights of earlier years, up to the scale's total of authorisation rows.
    existing = Authorisation.objects.count()
    missing = max(0, population.authorisations - existing)
    all_zones = [(zone, facility_pk) for facility_pk, zones in zones_by_facility.items() for zone in zones.values()
                 if not zone.requires_verification]
    operators = {f.pk: f.operator_id for f in facilities}
    for n in range(missing):
        person, _org = holders[rng.randrange(len(holders))]
        zone, facility_pk = all_zones[rng.randrange(len(all_zones))]
        start = valid_from - timedelta(days=rng.randint(400, 2_500))
        authorisation_writer.add(Authorisation(
            person=person, zone=zone, valid_from=start, valid_until=start + timedelta(days=rng.randint(30, 365)),
            schedule=rng.choice(SCHEDULES), purpose=rng.choice(PURPOSES), granted_by_id=operators[facility_pk],
            granted_at=start,
        ))
        if (n + 1) % 50_000 == 0:
            ctx.report("access: population (past rights)", n + 1, missing)
    authorisation_writer.flush()
    ctx.report("access: population (past rights)", missing, missing)

    counts.update(people=people_writer.written, employments=employment_writer.written,
                  credentials=credential_writer.written,
                  enrolments=enrolment_writer.written, authorisations=authorisation_writer.written,
                  current_authorisations=current_rights, state_changes=change_writer.written)
    emit(actor=ctx.actor, code="access.population.imported", publish=False, data=counts)
    return counts


def _port_of(org: Organisation, facilities: list[Facility]) -> int | None:
    from havenwatch.access.seed import _port_code

    code = _port_code(org)
    return next((f.port_id for f in facilities if f.port.unlocode == code), None)


def _enrol(credentials, sites, writer: _Writer, now) -> None:
    for credential in credentials:
        for facility in sites[credential.issued_by_id]:
            writer.add(FacilityEnrolment(credential=credential, facility=facility, is_active=True, activated_at=now))
    writer.flush()


def _changes(pending, writer: _Writer, now) -> None:
    for credential, state, reason in pending:
        writer.add(CredentialStateChange(credential=credential, previous_state=CredentialState.ACTIVE, state=state,
                                         reason=reason, changed_by="demo-seed", changed_at=now - timedelta(days=5)))


def _access_points(target: int, zones_by_facility: dict[int, dict[str, Zone]], ctx) -> int:
    """Extra gates, round the facilities, until the port has ``target`` access points."""
    have = AccessPoint.objects.count()
    rows = []
    for round_ in range(len(EXTRA_POINTS)):
        for zones in zones_by_facility.values():
            if have + len(rows) >= target:
                break
            code, name, kind, zone_code, plate, direction = EXTRA_POINTS[round_]
            zone = zones.get(zone_code)
            if zone is None:
                continue
            rows.append(AccessPoint(zone=zone, code=code, name=name, kind=kind, direction=direction,
                                    requires_plate=plate, open_at_levels=[1, 2], anti_passback=True))
    AccessPoint.objects.bulk_create(rows, batch_size=BATCH)
    ctx.report("access: population (gates)", 1, 1)
    return len(rows)
