"""The access part of the synthetic port: zones, gates, people, badges, rights, visits, a ban.

Everything is built through the access services (so a fresh demo's audit chain verifies)
and deterministically from ``ctx.rng``. Services that only an organisation may call (an
announcer's approval, a visit's announcement and approval, a ban, a verification's
decision) run as a principal of that organisation, labelled ``demo-seed``; the rest runs
as the system principal.

Scale: ``small`` is the demo (a handful of people per organisation); ``port`` and
``national`` scale the counts with the number of facilities and companies. At ``port``
scale :mod:`havenwatch.access.seed_population` then adds the crowd in bulk (150,000
people, 200,000 credentials, 2,000 access points, 1,000,000 authorisations).
"""

from __future__ import annotations

import contextlib
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from havenwatch.access.choices import CredentialKind, CredentialState, LevelMode, VerificationStatus
from havenwatch.access.seed_population import POPULATIONS, populate
from havenwatch.access.services import people as people_services
from havenwatch.access.services import places as place_services
from havenwatch.access.services import rights as rights_services
from havenwatch.access.services import screening as screening_services
from havenwatch.access.services import visits as visit_services
from havenwatch.core import clock
from havenwatch.core.choices import OrganisationKind, Role
from havenwatch.core.models import Facility, Organisation, Port
from havenwatch.core.permissions import permissions_for_role
from havenwatch.core.principal import Principal
from havenwatch.demo.registry import seeder

FIRST_NAMES = [
    "Jan", "Pieter", "Lotte", "Marie", "Koen", "Els", "Wout", "Sofie", "Bram", "Lieve", "Thomas", "Nathalie",
    "Joris", "Emma", "Luc", "Camille", "Julien", "Chloé", "Mathieu", "Sanne", "Daan", "Femke", "Ruben", "Noor",
    "Yannick", "Inge", "Bart", "Hanne", "Olivier", "Manon",
]
LAST_NAMES = [
    "Peeters", "Janssens", "Maes", "Jacobs", "Mertens", "Willems", "Claes", "Goossens", "Wouters", "De Smet",
    "Dubois", "Lambert", "Dupont", "Martin", "Leroy", "Van den Berg", "De Vries", "Bakker", "Visser", "Smit",
    "Vermeulen", "Van Damme", "Desmet", "Lefebvre", "Moreau", "Van Dijk", "Hermans", "Segers", "Aerts", "Bosmans",
]
NATIONALITIES = ["BE", "BE", "BE", "BE", "NL", "NL", "FR"]
PLATE_LETTERS = "ABCDEFGHJKLMNPRSTVWXYZ"

# At security level 3 only these purposes enter a quay (ISPS: essential operations only).
QUAY_SL3_PURPOSES = ["emergency", "pilotage", "port security"]
WEEKDAYS = {day: [["07:00", "19:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
NIGHT_SHIFT = {day: [["22:00", "06:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}

# People per organisation at each scale: (per company or transport company, per facility operator).
PEOPLE_PER_ORG = {"small": (4, 3), "port": (2, 2), "national": (2, 2)}
PEOPLE_KINDS = (OrganisationKind.TRANSPORT_COMPANY, OrganisationKind.COMPANY)
SEED_LABEL = "demo-seed"


def _acting(organisation: Organisation, role: str) -> Principal:
    """A principal of ``organisation`` in ``role``, for services that need one (no user behind it)."""
    return Principal(organisation=organisation, role=role, permissions=permissions_for_role(role),
                     label_override=SEED_LABEL)


def credential_number(port: Port, serial: int) -> str:
    return f"{port.unlocode}-{serial:07d}"


@contextlib.contextmanager
def _deterministic_visitor_numbers(rng):
    """Visitor QR numbers are random (``secrets``) in real life; the demo draws them from its
    seed so that the same seed gives the same port (and the same simulated gate traffic)."""
    original = visit_services.visitor_credential_number

    def drawn() -> str:
        return "V-" + "".join(rng.choice(visit_services.BASE32) for _i in range(10))

    visit_services.visitor_credential_number = drawn
    try:
        yield
    finally:
        visit_services.visitor_credential_number = original


class _Builder:
    def __init__(self, ctx) -> None:
        self.ctx = ctx
        self.rng = ctx.rng
        self.actor = ctx.actor
        self.now = clock.now()
        self.valid_from = self.now - timedelta(days=400)
        self.valid_until = self.now + timedelta(days=3 * 365)
        self.serial = 0
        self.plates: set[str] = set()
        self.zones: dict[int, dict[str, object]] = {}  # facility pk -> code -> zone
        self.people_by_org: dict[int, list] = {}
        self.credentials: dict[int, object] = {}  # person pk -> card
        self.people_total = 0

    # -- people --------------------------------------------------------------------
    def person(self, employer: Organisation, first: str | None = None, last: str | None = None):
        rng = self.rng
        first = first or rng.choice(FIRST_NAMES)
        last = last or rng.choice(LAST_NAMES)
        born = date(rng.randint(1962, 2002), rng.randint(1, 12), rng.randint(1, 28))
        nationality = rng.choice(NATIONALITIES)
        person = people_services.person_register(
            actor=self.actor, first_name=first, last_name=last, date_of_birth=born, nationality=nationality,
            employer=employer, id_document_ref=f"{nationality}{rng.randint(10**8, 10**9 - 1)}",
            proofing_level=rng.choice(["document", "eid", "eid", "itsme"]),
        )
        self.people_by_org.setdefault(employer.pk, []).append(person)
        self.people_total += 1
        return person

    def card(self, person, port: Port, facilities: list[Facility]):
        self.serial += 1
        credential = people_services.credential_issue(
            actor=self.actor, person=person, port=port, number=credential_number(port, self.serial),
            kind=CredentialKind.CARD, valid_from=self.valid_from, valid_until=self.valid_until,
        )
        for facility in facilities:
            people_services.credential_activate(actor=self.actor, credential=credential, facility=facility)
        self.credentials[person.pk] = credential
        return credential

    def plate(self) -> str:
        while True:
            value = (f"{self.rng.randint(1, 2)}{''.join(self.rng.choice(PLATE_LETTERS) for _ in range(3))}"
                     f"{self.rng.randint(0, 999):03d}")
            if value not in self.plates:
                self.plates.add(value)
                return value

    # -- places ----------------------------------------------------------------------
    def facility_places(self, index: int, facility: Facility) -> None:
        actor = self.actor
        geometry = facility.geometry if isinstance(facility.geometry, dict) else None
        quay = place_services.zone_create(
            actor=actor, facility=facility, code="QUAY", name="Quay apron", geometry=geometry,
            level_rules={1: {"mode": LevelMode.OPEN}, 2: {"mode": LevelMode.OPEN},
                         3: {"mode": LevelMode.LISTED_ONLY, "allowed_purposes": QUAY_SL3_PURPOSES}},
        )
        yard = place_services.zone_create(
            actor=actor, facility=facility, code="YARD", name="Container and cargo yard", geometry=geometry,
            requires_verification=(index % 4 == 1),  # one yard in four: critical cargo, verified staff only
            level_rules={1: {"mode": LevelMode.OPEN}, 2: {"mode": LevelMode.OPEN}, 3: {"mode": LevelMode.CLOSED}},
        )
        zones = {"QUAY": quay, "YARD": yard}
        # The one point open at level 3 (ISPS: a single controlled entry).
        place_services.access_point_create(actor=actor, zone=quay, code="T1", name="Main pedestrian turnstile",
                                           kind="turnstile", open_at_levels=(1, 2, 3), anti_passback=True)
        place_services.access_point_create(actor=actor, zone=yard, code="G1", name="Truck gate", kind="vehicle_gate",
                                           requires_plate=True, open_at_levels=(1, 2), anti_passback=True)
        if index % 2 == 0:
            office = place_services.zone_create(
                actor=actor, facility=facility, code="OFFICE", name="Administration building",
                level_rules={3: {"mode": LevelMode.LISTED_ONLY, "allowed_purposes": ["emergency", "port security"]}},
            )
            place_services.access_point_create(actor=actor, zone=office, code="T2", name="Office entrance",
                                               kind="turnstile", open_at_levels=(1, 2), anti_passback=False)
            zones["OFFICE"] = office
        self.zones[facility.pk] = zones

    def grant(self, zone, purpose: str, *, person=None, organisation=None, schedule=None, **conditions):
        """An authorisation through the service (``conditions``: escort, vehicle only, verification, training)."""
        return rights_services.authorisation_grant(
            actor=self.actor, zone=zone, valid_from=self.valid_from, valid_until=self.valid_until, purpose=purpose,
            person=person, organisation=organisation, schedule=schedule, **conditions,
        )


def _port_code(organisation: Organisation) -> str:
    # Slugs of the core seeder: "<kind>-<unlocode>-<n>" ("transport-company-beanr-1").
    parts = organisation.slug.split("-")
    return parts[-2].upper() if len(parts) >= 3 else ""


@seeder("access", order=10, label="zones, gates, people, badges, rights, visits and a ban")
def seed_access(ctx) -> None:
    b = _Builder(ctx)
    rng = ctx.rng
    per_company, per_operator = PEOPLE_PER_ORG.get(ctx.scale.name, PEOPLE_PER_ORG["small"])

    # -- zones and access points -----------------------------------------------------
    for index, facility in enumerate(ctx.facilities):
        b.facility_places(index, facility)
        ctx.report("access: zones and gates", index + 1, len(ctx.facilities))

    facilities_by_port: dict[int, list[Facility]] = {}
    for facility in ctx.facilities:
        facilities_by_port.setdefault(facility.port_id, []).append(facility)
    companies = list(Organisation.objects.filter(kind__in=PEOPLE_KINDS).order_by("pk"))
    ports_by_code = {port.unlocode: port for port in ctx.ports}
    total_orgs = len(companies) + len(ctx.facilities)
    done = 0

    # -- facility operators: their staff, badges for their own facility ----------------
    for facility in ctx.facilities:
        operator = facility.operator
        zones = b.zones[facility.pk]
        b.grant(zones["QUAY"], "cargo handling", organisation=operator)
        if "OFFICE" in zones:
            b.grant(zones["OFFICE"], "administration", organisation=operator, schedule=WEEKDAYS)
        staff = [b.person(operator) for _ in range(per_operator)]
        for n, person in enumerate(staff):
            b.card(person, facility.port, [facility])
            if n == 0:  # the facility's security staff: the quay at every level, and the yard
                b.grant(zones["QUAY"], "port security", person=person)
                if not zones["YARD"].requires_verification:
                    b.grant(zones["YARD"], "port security", person=person)
            elif n == 1:  # the night shift on the yard
                if not zones["YARD"].requires_verification:
                    b.grant(zones["YARD"], "cargo handling", person=person, schedule=NIGHT_SHIFT)
        done += 1
        ctx.report("access: people", done, total_orgs)

    # -- companies and transport companies: staff working at one or two facilities -----
    transport_vehicles: dict[int, list] = {}
    for company in companies:
        port = ports_by_code.get(_port_code(company)) or ctx.ports[0]
        port_facilities = facilities_by_port.get(port.pk) or ctx.facilities
        sites = rng.sample(port_facilities, min(len(port_facilities), rng.randint(1, 2)))
        haulier = company.kind == OrganisationKind.TRANSPORT_COMPANY
        for site in sites:
            zones = b.zones[site.pk]
            if haulier:
                # Every driver of the haulier, on weekdays in the day, to the yard (by truck).
                if not zones["YARD"].requires_verification:
                    b.grant(zones["YARD"], "haulage", organisation=company, schedule=WEEKDAYS, vehicle_only=True)
            else:
                b.grant(zones["QUAY"], "maintenance", organisation=company, schedule=WEEKDAYS)
        staff = [b.person(company) for _ in range(per_company)]
        for n, person in enumerate(staff):
            b.card(person, port, sites)
            office = next((b.zones[s.pk]["OFFICE"] for s in sites if "OFFICE" in b.zones[s.pk]), None)
            if not haulier and n == 1 and office is not None:  # the overnight cleaning crew in the offices
                b.grant(office, "night cleaning", person=person, schedule=NIGHT_SHIFT)
        if haulier:
            vehicles = []
            for person in staff:
                vehicles.append(people_services.vehicle_register(actor=b.actor, plate=b.plate(), country="BE",
                                                                 owner=company, drivers=[person]))
            transport_vehicles[company.pk] = vehicles
        done += 1
        ctx.report("access: people", done, total_orgs)

    # -- the demo port's featured people ------------------------------------------------
    port = ctx.ports[0]
    first_facility = ctx.facilities[0]
    featured = [f for f in ctx.facilities if f.port_id == port.pk]
    haulier = ctx.organisations.get("transport_company")
    if haulier is not None:
        # The demo user "driver" (Dirk Mertens) as a person with a badge and a truck.
        driver = b.person(haulier, "Dirk", "Mertens")
        sites = [first_facility] + ([featured[1]] if len(featured) > 1 else [])
        b.card(driver, port, sites)
        people_services.vehicle_register(actor=b.actor, plate=b.plate(), country="BE", owner=haulier,
                                         drivers=[driver])
        if not b.zones[first_facility.pk]["YARD"].requires_verification:
            b.grant(b.zones[first_facility.pk]["YARD"], "haulage", person=driver)

    service_company = ctx.organisations.get("company")
    if service_company is not None and service_company.kind == OrganisationKind.COMPANY:
        # A trainee who enters the quay only with an escort.
        trainee = b.person(service_company, "Noor", "Aerts")
        b.card(trainee, port, [first_facility])
        b.grant(b.zones[first_facility.pk]["QUAY"], "maintenance training", person=trainee, escort_required=True)
        # Crane technicians need their crane safety course: one holds it, one let it lapse.
        manager = _acting(service_company, Role.COMPANY_ACCESS_MANAGER)
        for first, last, lapsed in (("Wout", "Segers", False), ("Sofie", "Bosmans", True)):
            technician = b.person(service_company, first, last)
            b.card(technician, port, [first_facility])
            today = b.now.date()
            completed = today - timedelta(days=800 if lapsed else 200)
            screening_services.training_record(
                actor=manager, person=technician, course="Crane safety", completed_on=completed,
                valid_until=completed + timedelta(days=730))
            b.grant(b.zones[first_facility.pk]["QUAY"], "crane maintenance", person=technician,
                    required_training="Crane safety")
        if "OFFICE" in b.zones[first_facility.pk]:
            # The night patrol of the featured facility's offices: 22:00–06:00 only.
            patrol = b.person(service_company, "Yannick", "Hermans")
            b.card(patrol, port, [first_facility])
            b.grant(b.zones[first_facility.pk]["OFFICE"], "night patrol", person=patrol, schedule=NIGHT_SHIFT)

    # -- security verifications: one positive (for a verified yard), one pending ------------
    police = ctx.organisations.get("police")
    investigator = _acting(police, Role.AUTHORITY_INVESTIGATOR) if police is not None else None
    verified_yard = next((f for f in featured if b.zones[f.pk]["YARD"].requires_verification), None)
    if investigator is not None and verified_yard is not None:
        operator_staff = b.people_by_org.get(verified_yard.operator_id, [])
        if len(operator_staff) >= 2:
            positive, pending = operator_staff[0], operator_staff[1]
            request = screening_services.verification_request(actor=b.actor, person=positive,
                                                              function="dangerous goods yard supervisor")
            screening_services.verification_decide(actor=investigator, verification=request,
                                                   status=VerificationStatus.POSITIVE,
                                                   valid_until=b.now + timedelta(days=5 * 365))
            b.grant(b.zones[verified_yard.pk]["YARD"], "port security", person=positive)
            request = screening_services.verification_request(actor=b.actor, person=pending,
                                                              function="dangerous goods yard operator")
            screening_services.verification_decide(actor=investigator, verification=request,
                                                   status=VerificationStatus.PENDING)
            b.grant(b.zones[verified_yard.pk]["YARD"], "cargo handling", person=pending, schedule=NIGHT_SHIFT)

    # -- a lost badge: blocked, and a new one issued -------------------------------------
    service_staff = b.people_by_org.get(service_company.pk, []) if service_company is not None else []
    if service_staff:
        unlucky = service_staff[0]
        old = b.credentials[unlucky.pk]
        people_services.credential_set_state(actor=b.actor, credential=old, state=CredentialState.BLOCKED,
                                             reason="reported stolen with a wallet")
        enrolled = [e.facility for e in old.enrolments.select_related("facility").order_by("pk")]
        b.card(unlucky, port, enrolled)

    # -- a port ban, issued by the port's maritime police --------------------------------
    if investigator is not None:
        candidates = [p for p in b.people_by_org.get(haulier.pk, []) if p.first_name != "Dirk"] if haulier else []
        if candidates:
            banned = candidates[-1]
            screening_services.ban_issue(
                actor=investigator, person=banned, ports=[port],
                valid_from=b.now - timedelta(days=2), valid_until=b.now + timedelta(days=2 * 365),
                legal_reference=f"Court of first instance, criminal chamber, judgment {b.now.year}/{rng.randint(1000, 9999)}",
            )

    # -- visits: an approved announcer, one approved visit, a ship call for the PFSO and one for the agent --
    agent_org = ctx.organisations.get("shipping_line")
    operator = first_facility.operator
    fso = _acting(operator, Role.FACILITY_SECURITY_OFFICER)
    if agent_org is not None:
        visit_services.announcer_approve(actor=fso, organisation=agent_org, facility=first_facility,
                                         valid_from=b.now - timedelta(days=30), valid_until=b.now + timedelta(days=365))
        agent = _acting(agent_org, Role.SHIPPING_AGENT)
        tz = ZoneInfo(port.time_zone)
        today = b.now.astimezone(tz).date()

        def local(day_offset: int, hour: int) -> datetime:
            return datetime.combine(today + timedelta(days=day_offset), time(hour, 0), tzinfo=tz)

        zones = b.zones[first_facility.pk]
        with _deterministic_visitor_numbers(rng):
            approved = visit_services.visit_announce(
                actor=agent, facility=first_facility, zones=[zones["QUAY"]],
                reason="Ship's chandler delivering provisions to the MV Scheldt Star",
                window_start=local(1, 8), window_end=local(3, 18), plate="1VKR512",
                visitors=[{"first_name": "Marc", "last_name": "Vandamme", "date_of_birth": "1979-05-14",
                           "nationality": "BE", "id_document_ref": "BE592018437"}],
            )
            visit_services.visit_approve(actor=fso, visit=approved)
        # The terminal approves ship-call visits after the agent: the crew change waits for the PFSO,
        # the pilot-boat supplies for the agent.
        visit_services.visit_policy_set(actor=fso, facility=first_facility, terminal_approves_ship_calls=True)
        crew_change = visit_services.visit_announce(
            actor=agent, facility=first_facility, zones=[zones["QUAY"], zones["YARD"]],
            reason="Crew change for the MV Noordster: two relief officers joining", ship_call="MV Noordster 2026-114",
            eta=local(4, 6), etd=local(5, 20),
            visitors=[{"first_name": "Pierre", "last_name": "Lefèvre", "date_of_birth": "1985-11-02",
                       "nationality": "FR", "id_document_ref": "FR18AB44021"},
                      {"first_name": "Sander", "last_name": "de Wit", "date_of_birth": "1991-02-23",
                       "nationality": "NL", "id_document_ref": "NLBK7720193"}],
        )
        visit_services.visit_approve(actor=agent, visit=crew_change)
        visit_services.visit_announce(
            actor=agent, facility=first_facility, zones=[zones["QUAY"]],
            reason="Service engineer for the MV Noordster's ballast water system", ship_call="MV Noordster 2026-114",
            eta=local(4, 9), etd=local(4, 17),
            visitors=[{"first_name": "Jonas", "last_name": "Berg", "date_of_birth": "1982-07-30",
                       "nationality": "NO", "id_document_ref": "NO31557802"}],
        )
    ctx.report("access: people", total_orgs, total_orgs)

    population = POPULATIONS.get(ctx.scale.name)
    if population is not None:
        populate(ctx, population, zones_by_facility=b.zones)
