"""The release endpoints in the permission matrix (see tests/matrix.py).

World rows, on each side (Terminal A for ``own``, Terminal B for ``foreign``): a release
passed from the line to a forwarder and on to a haulier, who assigned a driver (the
container neither discharged nor held), and a blocked release whose container customs
holds. Every organisation acting on rights gets its own rows: a right offered to it, a
right it holds, and a right it passed on (offered, not yet answered); organisations whose
roles cannot act on rights point at the forwarder's.

On the own side the shipping line is the world's ``shipping_line``, the first party its
``forwarder`` and the haulier its ``company``; the foreign side has a line, a forwarder, a
haulier and a customs office of its own in port B.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from itertools import count

from stdnum import iso6346

from havenwatch.access.models import Credential
from havenwatch.core import clock
from havenwatch.core.choices import OrganisationKind, Role
from havenwatch.core.models import Jurisdiction
from havenwatch.core.principal import system_principal
from havenwatch.release.models import CommercialRelease, ReleaseRight
from havenwatch.release.selectors import holder
from havenwatch.release.services.assignments import assignment_create
from havenwatch.release.services.holds import hold_place
from havenwatch.release.services.releases import release_block, release_issue
from havenwatch.release.services.rights import right_accept, right_transfer
from tests.access.factories import CredentialFactory, PersonFactory
from tests.factories import OrganisationFactory, principal
from tests.matrix import (
    ADMIN,
    ALL_ROLES,
    AUD,
    FW,
    GG,
    HP,
    INV,
    OP,
    PFSO,
    PSO,
    SA,
    Entry,
    register,
    register_world,
)

# the line, the parties, the terminal's staff and the port's authorities
VIEWERS = frozenset({ADMIN, SA, FW, HP, PSO, AUD, INV, PFSO, GG, OP})
LINE = frozenset({ADMIN, SA})
PARTIES = frozenset({ADMIN, SA, FW, HP})
HAULIERS = frozenset({ADMIN, HP})
TERMINAL = frozenset({ADMIN, PFSO})
GATES = frozenset({ADMIN, PFSO, GG})
API = "/api/v1/release"


def _numbers(prefix: str):
    for n in count(1):
        base = f"{prefix}{n:06d}"
        yield base + iso6346.calc_check_digit(base)


def _side(*, facility, line, first, haulier, customs, parties, prefix) -> tuple[dict, dict[int, dict], list[int]]:
    """The rows of one side: shared ones, those of each party, and every release's id."""
    now = clock.now()
    system = system_principal(label="matrix")
    line_agent = principal(Role.SHIPPING_AGENT, line)
    numbers = _numbers(prefix)
    releases = []

    def issue(first_party):
        release = release_issue(actor=line_agent, container_number=next(numbers), terminal=facility,
                                bill_of_lading="MATRIX-BL", first_party=first_party,
                                valid_from=now - timedelta(days=1), valid_until=now + timedelta(days=30))
        releases.append(release.pk)
        return release

    def accept(release):
        offer = ReleaseRight.objects.get(release=release, status="offered")
        return right_accept(actor=system, right=offer)

    def pass_on(release, to):
        return right_transfer(actor=system, right=holder(release), to=to)

    release = issue(first)
    accept(release)
    pass_on(release, haulier)
    accept(release)
    driver = PersonFactory(employer=haulier)
    badge = CredentialFactory(person=driver, port=facility.port, issued_by=haulier)
    assignment = assignment_create(actor=system, release=release, credential_number=badge.number, plate="1ABC234",
                                   slot_start=now - timedelta(hours=1), slot_end=now + timedelta(hours=3))
    blocked = issue(first)
    release_block(actor=line_agent, release=blocked, reason="matrix: freight unpaid")
    hold = hold_place(actor=principal(Role.AUTHORITY_INVESTIGATOR, customs), container=blocked.container,
                      reason="matrix: selected for a scan")
    shared = {"rel_release": release.pk, "rel_blocked": blocked.pk, "rel_container": release.container_id,
              "rel_hold": hold.pk, "rel_assignment": assignment.pk, "rel_driver": badge.pk}

    per_party = {}
    for org in parties:
        offered = issue(org)
        held = issue(org)
        accept(held)
        passed = issue(org)
        accept(passed)
        onward = pass_on(passed, haulier if org.pk != haulier.pk else first)
        per_party[org.pk] = {
            "rel_offer": ReleaseRight.objects.get(release=offered).pk,
            "rel_held": holder(held).pk,
            "rel_passed": onward.pk,
        }
    return shared, per_party, releases


def _release_world(world) -> None:
    own_customs = OrganisationFactory(name="Customs A", kind=OrganisationKind.CUSTOMS)
    Jurisdiction.objects.create(organisation=own_customs, port=world.port)
    acting = [world.platform, world.shipping_line, world.forwarder, world.company]
    shared, per_party, _ = _side(facility=world.facility, line=world.shipping_line, first=world.forwarder,
                                 haulier=world.company, customs=own_customs, parties=acting, prefix="MTXU")
    for org in world.orgs.values():
        world.own_objects[org.pk].update(shared, **per_party.get(org.pk, per_party[world.forwarder.pk]))

    foreign_customs = OrganisationFactory(name="Customs B", kind=OrganisationKind.CUSTOMS)
    Jurisdiction.objects.create(organisation=foreign_customs, port=world.foreign_port)
    foreign_forwarder = OrganisationFactory(name="Forwarder B", kind=OrganisationKind.FORWARDER)
    shared, per_party, releases = _side(
        facility=world.foreign_facility, line=OrganisationFactory(name="Line B", kind=OrganisationKind.SHIPPING_LINE),
        first=foreign_forwarder,
        haulier=OrganisationFactory(name="Haulier B", kind=OrganisationKind.TRANSPORT_COMPANY),
        customs=foreign_customs, parties=[foreign_forwarder], prefix="MTFU")
    world.foreign_objects.update(shared, **per_party[foreign_forwarder.pk])
    world.foreign_release_ids = frozenset(releases)


register_world(_release_world)


# --- leaks and bodies ----------------------------------------------------------------------


def _foreign_releases(data, world) -> list:
    return [item for item in data["items"] if item["id"] in world.foreign_release_ids]


def _foreign_rights(data, world) -> list:
    return [item for item in data["items"] if item["release_id"] in world.foreign_release_ids]


_new_numbers = _numbers("MTNU")
NEW_NUMBERS = [next(_new_numbers) for _ in range(2)]


def _release_body(world, ctx, side, number=NEW_NUMBERS[0]):
    now = clock.now()
    return {"container_number": number, "terminal_id": world.facility.pk, "bill_of_lading": "MATRIX-NEW",
            "first_party_id": world.forwarder.pk, "valid_from": (now - timedelta(days=1)).isoformat(),
            "valid_until": (now + timedelta(days=30)).isoformat()}


def _bulk_body(world, ctx, side):
    return {"releases": [_release_body(world, ctx, side, number) for number in NEW_NUMBERS]}


def _reissue_body(world, ctx, side):
    now = clock.now()
    return {"valid_from": (now - timedelta(days=1)).isoformat(), "valid_until": (now + timedelta(days=40)).isoformat(),
            "reason": "matrix: validity extended"}


def _transfer_body(world, ctx, side):
    to = world.forwarder if ctx.org.pk == world.company.pk else world.company
    return {"to_organisation_id": to.pk}


def _assignment_body(world, ctx, side):
    now = clock.now()
    badge = Credential.objects.get(pk=world.objects_for(ctx, side)["rel_driver"])
    return {"credential": badge.number, "plate": "1ABC234", "slot_start": (now - timedelta(hours=1)).isoformat(),
            "slot_end": (now + timedelta(hours=3)).isoformat()}


def _pickup_body(world, ctx, side):
    objects = world.objects_for(ctx, side)
    facility = world.facility if side == "own" else world.foreign_facility
    release = CommercialRelease.objects.select_related("container").get(pk=objects["rel_release"])
    badge = Credential.objects.get(pk=objects["rel_driver"])
    return {"terminal_id": facility.pk, "container": release.container.number, "credential": badge.number,
            "plate": "1ABC234"}


def _reason(text):
    return lambda w, c, s: {"reason": text}


@dataclasses.dataclass(frozen=True)
class CustomsEntry(Entry):
    """A customs act. The matrix world's investigator works for the police, which holds a
    jurisdiction over port A: it sees the container there and the service refuses it (403,
    customs only); port B's is not even visible (404)."""

    def expected(self, role: str, side: str) -> int:
        if role == INV and side == "foreign":
            return 404
        return super().expected(role, side)


register(
    # releases
    Entry("GET", f"{API}/releases?limit=500", allowed=ALL_ROLES, leak=_foreign_releases),
    Entry("GET", f"{API}/releases/{{rel_release}}", allowed=VIEWERS, denied=404, foreign=404),
    # Any active terminal and organisation may be named: there is no foreign variant.
    Entry("POST", f"{API}/releases", allowed=LINE, ok=201, body=_release_body),
    Entry("POST", f"{API}/releases/bulk", allowed=LINE, ok=201, body=_bulk_body),
    Entry("PATCH", f"{API}/releases/{{rel_release}}", allowed=LINE, foreign=404,
          body=lambda w, c, s: {"bill_of_lading": "MATRIX-BL-2"}),
    Entry("POST", f"{API}/releases/{{rel_release}}/block", allowed=LINE, foreign=404,
          body=_reason("matrix: freight unpaid")),
    Entry("POST", f"{API}/releases/{{rel_blocked}}/unblock", allowed=LINE, foreign=404,
          body=_reason("matrix: freight paid")),
    Entry("POST", f"{API}/releases/{{rel_release}}/revoke", allowed=LINE, foreign=404,
          body=_reason("matrix: fraud suspected")),
    Entry("POST", f"{API}/releases/{{rel_release}}/reissue", allowed=LINE, ok=201, foreign=404, body=_reissue_body),
    # the chain of rights
    Entry("GET", f"{API}/rights/inbox?limit=500", allowed=ALL_ROLES, leak=_foreign_rights),
    Entry("POST", f"{API}/rights/{{rel_offer}}/accept", allowed=PARTIES, foreign=404),
    Entry("POST", f"{API}/rights/{{rel_offer}}/decline", allowed=PARTIES, foreign=404,
          body=_reason("matrix: not our cargo")),
    Entry("POST", f"{API}/rights/{{rel_held}}/transfer", allowed=PARTIES, ok=201, foreign=404, body=_transfer_body),
    Entry("POST", f"{API}/rights/{{rel_passed}}/revoke", allowed=PARTIES, foreign=404,
          body=_reason("matrix: offered by mistake")),
    # driver assignments: the haulier holding the right
    Entry("POST", f"{API}/releases/{{rel_release}}/assignments", allowed=HAULIERS, ok=201, foreign=404,
          body=_assignment_body),
    Entry("POST", f"{API}/assignments/{{rel_assignment}}/cancel", allowed=HAULIERS, foreign=404,
          body=_reason("matrix: truck broke down")),
    # customs (no token may hold) and the terminal
    CustomsEntry("POST", f"{API}/containers/{{rel_container}}/holds", allowed=frozenset({ADMIN}), ok=201,
                 foreign=404, body=_reason("matrix: selected for a scan")),
    CustomsEntry("POST", f"{API}/holds/{{rel_hold}}/release", allowed=frozenset({ADMIN}), foreign=404,
                 body=_reason("matrix: scan clear")),
    Entry("POST", f"{API}/containers/{{rel_container}}/discharge", allowed=TERMINAL, foreign=404),
    # A pickup decision is 200 whether granted or not (here: the container is not discharged).
    Entry("POST", f"{API}/pickups", allowed=GATES, foreign=404, body=_pickup_body),
)
