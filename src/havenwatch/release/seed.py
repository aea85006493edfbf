"""The release part of the synthetic port: containers released down a chain to the demo's
haulier, its driver assigned, and a few that show what stops a pickup.

Everything goes through the release services, acting as a principal of the organisation
that would act (the line, the forwarder, the haulier, customs, the terminal), labelled
``demo-seed``. Deterministic from ``ctx.rng``.
"""

from __future__ import annotations

from datetime import timedelta

from stdnum import iso6346

from havenwatch.access.choices import CredentialState
from havenwatch.access.models import Credential, Vehicle
from havenwatch.core import clock
from havenwatch.core.choices import Role
from havenwatch.core.models import Organisation
from havenwatch.core.permissions import permissions_for_role
from havenwatch.core.principal import Principal
from havenwatch.demo.registry import seeder
from havenwatch.release.seed_population import POPULATIONS, populate
from havenwatch.release.selectors import holder
from havenwatch.release.services import assignments, holds, releases, rights

SEED_LABEL = "demo-seed"
# How many fully prepared releases (ready for pickup) per scale; a handful more show the other states.
READY = {"small": 6, "port": 40, "national": 12}


def acting(organisation: Organisation, role: str, label: str = SEED_LABEL) -> Principal:
    """A principal of ``organisation`` in ``role`` (no user behind it), named ``label``."""
    return Principal(organisation=organisation, role=role, permissions=permissions_for_role(role),
                     label_override=label)


def container_number(rng, owner: str = "OCLU") -> str:
    base = f"{owner}{rng.randint(0, 999_999):06d}"
    return base + iso6346.calc_check_digit(base)


def driver_of(haulier: Organisation) -> tuple[Credential | None, str]:
    """The haulier's demo driver (Dirk Mertens where he exists) with an active badge, and his truck."""
    credentials = Credential.objects.filter(person__employer=haulier, state=CredentialState.ACTIVE,
                                            visit__isnull=True).select_related("person").order_by("pk")
    credential = credentials.filter(person__first_name="Dirk", person__last_name="Mertens").first() \
        or credentials.first()
    if credential is None:
        return None, ""
    vehicle = Vehicle.objects.filter(drivers=credential.person).order_by("pk").first()
    return credential, vehicle.plate if vehicle is not None else "BE:1ABC234"


class Story:
    def __init__(self, ctx, label: str = SEED_LABEL) -> None:
        self.ctx = ctx
        orgs = ctx.organisations
        self.line_org, self.forwarder_org = orgs.get("shipping_line"), orgs.get("forwarder")
        self.haulier_org, self.customs_org = orgs.get("transport_company"), orgs.get("customs")
        self.terminal = ctx.facilities[0]
        self.line = acting(self.line_org, Role.SHIPPING_AGENT, label)
        self.forwarder = acting(self.forwarder_org, Role.FORWARDER, label)
        self.haulier = acting(self.haulier_org, Role.HAULIER_PLANNER, label)
        self.terminal_officer = acting(self.terminal.operator, Role.FACILITY_SECURITY_OFFICER, label)
        self.customs = acting(self.customs_org, Role.AUTHORITY_INVESTIGATOR, label) if self.customs_org else None
        self.used: set[str] = set()

    @property
    def ready(self) -> bool:
        return all((self.line_org, self.forwarder_org, self.haulier_org))

    def number(self) -> str:
        while True:
            number = container_number(self.ctx.rng)
            if number not in self.used:
                self.used.add(number)
                return number

    def issue(self, now):
        return releases.release_issue(
            actor=self.line, container_number=self.number(), terminal=self.terminal,
            bill_of_lading=f"OCLU{self.ctx.rng.randint(10**7, 10**8 - 1)}", first_party=self.forwarder_org,
            valid_from=now - timedelta(days=1), valid_until=now + timedelta(days=14),
        )

    def to_haulier(self, release, *, accept: bool = True):
        rights.right_accept(actor=self.forwarder, right=release.rights.get())
        offer = rights.right_transfer(actor=self.forwarder, right=holder(release), to=self.haulier_org)
        if accept:
            rights.right_accept(actor=self.haulier, right=offer)
        return offer

    def prepared(self, now, credential, plate):
        """A release passed to the haulier, the driver assigned, the container discharged."""
        release = self.issue(now)
        self.to_haulier(release)
        assignments.assignment_create(actor=self.haulier, release=release, credential_number=credential.number,
                                      plate=plate, slot_start=now - timedelta(hours=1),
                                      slot_end=now + timedelta(days=7))
        holds.discharge_confirm(actor=self.terminal_officer, container=release.container)
        return release


@seeder("release", order=20, label="container releases, rights and driver assignments")
def seed_release(ctx) -> None:
    story = Story(ctx)
    if not story.ready:
        return
    credential, plate = driver_of(story.haulier_org)
    if credential is None:
        return
    now = clock.now()
    count = READY.get(ctx.scale.name, READY["small"])
    for n in range(count):
        story.prepared(now, credential, plate)
        ctx.report("release: containers ready for pickup", n + 1, count)
    # What stops a pickup, one of each: customs, the line's block, the terminal's light.
    held = story.prepared(now, credential, plate)
    if story.customs is not None:
        holds.hold_place(actor=story.customs, container=held.container, reason="Selected for a scan")
    blocked = story.prepared(now, credential, plate)
    releases.release_block(actor=story.line, release=blocked, reason="Freight not paid yet")
    waiting = story.issue(now)
    story.to_haulier(waiting)  # the haulier holds it; no driver, no discharge yet
    # The inboxes of the demo's forwarder and planner.
    story.issue(now)  # offered to the forwarder
    story.to_haulier(story.issue(now), accept=False)  # offered to the haulier
    population = POPULATIONS.get(ctx.scale.name)
    if population is not None:
        populate(ctx, population)
