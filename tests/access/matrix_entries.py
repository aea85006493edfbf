"""The gate endpoints in the permission matrix (see tests/matrix.py).

World rows: a zone with a turnstile and one refused access event at the own facility
(Terminal A, run by the ``operator`` organisation), and the same at the foreign facility.
Every organisation's ``own`` rows are Terminal A's: only its operator's roles may act on
them, everyone else is refused by role first (403), as the entries say.
"""

from __future__ import annotations

from havenwatch.access.models import AccessEvent
from havenwatch.core import clock
from tests.access.factories import AccessPointFactory, ZoneFactory
from tests.matrix import ADMIN, ALL_ROLES, GG, OP, PFSO, PSO, Entry, ids_of, register, register_world

DECIDERS = frozenset({ADMIN, PFSO, GG})
MUSTERING = frozenset({ADMIN, PSO, PFSO, OP, GG})


def _gate_rows(facility) -> dict[str, int]:
    zone = ZoneFactory(facility=facility, code="MATRIX", name="Matrix quay")
    point = AccessPointFactory(zone=zone, code="MATRIX-1", name="Matrix turnstile")
    refused = AccessEvent.objects.create(
        occurred_at=clock.now(), access_point=point, facility=facility, direction="in", presented="MATRIX-404",
        granted=False, reasons=["unknown_credential"], security_level=2, actor="matrix",
    )
    return {"gate_zone": zone.pk, "gate_point": point.pk, "gate_event": refused.pk}


def _world(world) -> None:
    own = _gate_rows(world.facility)
    for org in world.orgs.values():
        world.own_objects[org.pk].update(own)
    world.foreign_objects.update(_gate_rows(world.foreign_facility))


register_world(_world)


def _decision_body(world, ctx, side):
    return {"access_point_id": world.objects_for(ctx, side)["gate_point"], "credential": "MATRIX-0000"}


register(
    # A decision is 200 whether granted or not (here: an unknown credential).
    Entry("POST", "/api/v1/access/decisions", allowed=DECIDERS, foreign=404, body=_decision_body),
    # Overrides are a person's act: no token may override.
    Entry("POST", "/api/v1/access/decisions/{gate_event}/override", allowed=DECIDERS, ok=201, foreign=404,
          token=False, body=lambda w, c, s: {"reason": "Escorted by the duty officer"}),
    Entry("GET", "/api/v1/access/events?limit=500", allowed=ALL_ROLES, leak=ids_of("gate_event")),
    Entry("GET", "/api/v1/access/zones/{gate_zone}/inside?limit=500", allowed=MUSTERING, foreign=404),
)


# --- people, places, screening and visits ---------------------------------------------------

import dataclasses  # noqa: E402
from datetime import timedelta  # noqa: E402

from havenwatch.access.choices import CredentialKind, VerificationStatus  # noqa: E402
from tests.access.factories import (  # noqa: E402
    AnnouncerFactory,
    AuthorisationFactory,
    CredentialFactory,
    FacilityEnrolmentFactory,
    PersonFactory,
    PortBanFactory,
    SecurityVerificationFactory,
    VisitFactory,
    VisitorFactory,
)
from tests.matrix import AM, AUD, FW, HP, INV, SA  # noqa: E402

VIEW_PEOPLE = frozenset({ADMIN, AM, PFSO, PSO, GG, INV})
PEOPLE_MANAGERS = frozenset({ADMIN, AM, PFSO})
VIEW_CREDENTIALS = frozenset({ADMIN, AM, PFSO, PSO, OP, GG, INV})
ZONE_VIEWERS = frozenset({ADMIN, PSO, PFSO, OP, GG, INV, AUD})
ZONE_MANAGERS = frozenset({ADMIN, PFSO})
BAN_CHECKERS = frozenset({ADMIN, AM, PFSO, PSO, GG})
ANNOUNCERS = frozenset({AM, PFSO, SA, FW, HP})
VISIT_VIEWERS = frozenset({ADMIN, AM, PFSO, SA, FW, HP, PSO, GG, OP})


@dataclasses.dataclass(frozen=True)
class ScreeningEntry(Entry):
    """An entry where a role's session reaches further than any of its tokens can: screening
    anyone (``access.screen_people``) is never granted to a token."""

    token_foreign_by_role: dict[str, int] = dataclasses.field(default_factory=dict)

    def expected_for_token(self, role: str, side: str) -> set[int]:
        if side == "foreign" and role in self.token_foreign_by_role:
            return {self.token_foreign_by_role[role]}
        return super().expected_for_token(role, side)


def _people_rows(world, org, facility, port, zone) -> dict[str, int]:
    """A person employed by ``org`` with a badge (not activated) and an enrolled mobile credential,
    a requested verification, and a visit announced by ``org`` at ``facility``."""
    person = PersonFactory(employer=org)
    card = CredentialFactory(person=person, port=port, issued_by=org)
    mobile = CredentialFactory(person=person, port=port, issued_by=org, kind=CredentialKind.MOBILE)
    FacilityEnrolmentFactory(credential=mobile, facility=facility)
    verification = SecurityVerificationFactory(person=person, requested_by=org, status=VerificationStatus.REQUESTED,
                                               decided_at=None, valid_until=None)
    visit = VisitFactory(announcer=org, facility=facility)
    visit.zones.set([zone])
    VisitorFactory(visit=visit, person=PersonFactory(employer=None))
    return {"person": person.pk, "credential": card.pk, "enrolled_credential": mobile.pk,
            "verification": verification.pk, "visit": visit.pk}


def _access_world(world) -> None:
    zone = world.own_objects[world.operator.pk]["gate_zone"]
    from havenwatch.access.models import Zone

    own_zone, foreign_zone = Zone.objects.get(pk=zone), Zone.objects.get(pk=world.foreign_objects["gate_zone"])
    now = clock.now()
    for org in (world.shipping_line, world.forwarder, world.company):
        AnnouncerFactory(organisation=org, facility=world.facility, valid_from=now - timedelta(days=1),
                         valid_until=now + timedelta(days=90))
    banned = PersonFactory(employer=world.company)
    ban = PortBanFactory(person=banned, issued_by=world.police)
    authorisation = AuthorisationFactory(person=None, organisation=world.company, zone=own_zone)
    for org in world.orgs.values():
        world.own_objects[org.pk].update(_people_rows(world, org, world.facility, world.port, own_zone))
        world.own_objects[org.pk].update(ban=ban.pk, authorisation=authorisation.pk)
    world.foreign_objects.update(_people_rows(world, world.foreign_operator, world.foreign_facility,
                                              world.foreign_port, foreign_zone))
    world.foreign_objects["authorisation"] = AuthorisationFactory(
        person=None, organisation=world.foreign_operator, zone=foreign_zone).pk


register_world(_access_world)


def _other_org(world, ctx, side):
    org = ctx.org if side == "own" else world.foreign_operator
    return {"employer_id": (world.operator if org.pk != world.operator.pk else world.company).pk}


def _credential_body(world, ctx, side):
    return {"person_id": world.objects_for(ctx, side)["person"], "port_id": world.objects_for(ctx, side)["port"],
            "number": "MATRIX-NEW-1", "kind": "mobile", "valid_from": clock.now().isoformat(),
            "valid_until": (clock.now() + timedelta(days=30)).isoformat()}


def _zone_body(world, ctx, side):
    return {"facility_id": world.objects_for(ctx, side)["facility"], "code": "MATRIX-NEW", "name": "New quay"}


def _point_body(world, ctx, side):
    return {"zone_id": world.objects_for(ctx, side)["gate_zone"], "code": "MATRIX-NEW", "name": "New gate",
            "kind": "turnstile", "open_at_levels": [1, 2]}


def _authorisation_body(world, ctx, side):
    return {"zone_id": world.objects_for(ctx, side)["gate_zone"], "organisation_id": world.forwarder.pk,
            "valid_from": clock.now().isoformat(), "valid_until": (clock.now() + timedelta(days=30)).isoformat(),
            "purpose": "inspection"}


def _ban_body(world, ctx, side):
    return {"person_id": world.objects_for(ctx, side)["person"], "legal_reference": "Corr. Antwerpen 2026/99999",
            "valid_from": clock.now().isoformat(), "valid_until": (clock.now() + timedelta(days=365)).isoformat()}


def _visit_body(world, ctx, side):
    facility = world.facility if side == "own" else world.foreign_facility
    start = clock.now() + timedelta(days=2)
    return {"facility_id": facility.pk, "zone_ids": [world.objects_for(ctx, side)["gate_zone"]],
            "reason": "crew change", "window_start": start.isoformat(),
            "window_end": (start + timedelta(hours=8)).isoformat(),
            "visitors": [{"first_name": "Ana", "last_name": "Silva", "date_of_birth": "1985-06-01",
                          "nationality": "PT", "id_document_ref": "PT-P1234567"}]}


def _person_body(world, ctx, side):
    return {"first_name": "Mira", "last_name": "Janssens", "date_of_birth": "1990-04-02", "nationality": "BE"}


register(
    # people
    Entry("GET", "/api/v1/access/people?limit=500", allowed=ALL_ROLES),
    Entry("POST", "/api/v1/access/people", allowed=PEOPLE_MANAGERS, ok=201, token=False, body=_person_body),
    ScreeningEntry("GET", "/api/v1/access/people/{person}", allowed=VIEW_PEOPLE, denied=404, foreign=404,
                   foreign_by_role={INV: 200}, token_foreign_by_role={INV: 404}),
    Entry("POST", "/api/v1/access/people/{person}/employer", allowed=PEOPLE_MANAGERS, foreign=404, token=False,
          body=_other_org),
    # credentials
    Entry("GET", "/api/v1/access/credentials?limit=500", allowed=ALL_ROLES, leak=ids_of("credential")),
    Entry("POST", "/api/v1/access/credentials", allowed=PEOPLE_MANAGERS, ok=201, foreign=404, token=False,
          body=_credential_body),
    Entry("GET", "/api/v1/access/credentials/{credential}", allowed=VIEW_CREDENTIALS, denied=404, foreign=404),
    Entry("POST", "/api/v1/access/credentials/{credential}/state", allowed=PEOPLE_MANAGERS, foreign=404,
          token=False, body=lambda w, c, s: {"state": "inactive", "reason": "reported missing"}),
    Entry("POST", "/api/v1/access/credentials/{credential}/activations", allowed=ZONE_MANAGERS, ok=201, foreign=404,
          token=False, body=lambda w, c, s: {"facility_id": w.objects_for(c, s)["facility"]}),
    Entry("DELETE", "/api/v1/access/credentials/{enrolled_credential}/activations/{facility}",
          allowed=ZONE_MANAGERS, foreign=404, token=False),
    # vehicles
    Entry("GET", "/api/v1/access/vehicles?limit=500", allowed=ALL_ROLES),
    Entry("POST", "/api/v1/access/vehicles", allowed=PEOPLE_MANAGERS, ok=201, token=False,
          body=lambda w, c, s: {"plate": "1XYZ999", "country": "BE"}),
    # zones, access points, authorisations
    Entry("GET", "/api/v1/access/zones?limit=500", allowed=ALL_ROLES, leak=ids_of("gate_zone")),
    Entry("POST", "/api/v1/access/zones", allowed=ZONE_MANAGERS, ok=201, foreign=404, token=False, body=_zone_body),
    Entry("GET", "/api/v1/access/zones/{gate_zone}", allowed=ZONE_VIEWERS, denied=404, foreign=404),
    Entry("GET", "/api/v1/access/access-points?limit=500", allowed=ALL_ROLES, leak=ids_of("gate_point")),
    Entry("POST", "/api/v1/access/access-points", allowed=ZONE_MANAGERS, ok=201, foreign=404, token=False,
          body=_point_body),
    Entry("GET", "/api/v1/access/authorisations?limit=500", allowed=ALL_ROLES, leak=ids_of("authorisation")),
    Entry("POST", "/api/v1/access/authorisations", allowed=ZONE_MANAGERS, ok=201, foreign=404, token=False,
          body=_authorisation_body),
    Entry("POST", "/api/v1/access/authorisations/{authorisation}/revoke", allowed=ZONE_MANAGERS, foreign=404,
          token=False),
    # screening: the ban files are the authorities' (not even the platform's administrators')
    Entry("GET", "/api/v1/access/bans?limit=500", allowed=frozenset({ADMIN, INV}), token=False),
    Entry("POST", "/api/v1/access/bans", allowed=frozenset({INV}), ok=201, token=False, body=_ban_body),
    Entry("POST", "/api/v1/access/bans/{ban}/lift", allowed=frozenset({INV}), denied_by_role={ADMIN: 404},
          token=False, body=lambda w, c, s: {"reason": "judgment overturned on appeal"}),
    Entry("GET", "/api/v1/access/people/{person}/ban-status?port_id={port}", allowed=BAN_CHECKERS, foreign=404),
    Entry("GET", "/api/v1/access/verifications?limit=500", allowed=ALL_ROLES),
    Entry("POST", "/api/v1/access/verifications", allowed=frozenset({ADMIN, AM, PFSO}), ok=201, foreign=404,
          body=lambda w, c, s: {"person_id": w.objects_for(c, s)["person"], "function": "crane operator"}),
    Entry("POST", "/api/v1/access/verifications/{verification}/decision", allowed=frozenset({INV}), token=False,
          foreign_by_role={INV: 200}, admin_foreign=403, body=lambda w, c, s: {"status": "pending"}),
    Entry("POST", "/api/v1/access/record-checks", allowed=frozenset({ADMIN, AM}), ok=201, foreign=404,
          body=lambda w, c, s: {"person_id": w.objects_for(c, s)["person"], "checked_on": "2026-01-05",
                                "result": "no_entries"}),
    Entry("POST", "/api/v1/access/training-records", allowed=frozenset({ADMIN, AM, PFSO}), ok=201, foreign=404,
          body=lambda w, c, s: {"person_id": w.objects_for(c, s)["person"], "course": "ISPS security awareness",
                                "completed_on": "2026-01-05"}),
    Entry("GET", "/api/v1/access/training-records?limit=500", allowed=ALL_ROLES),
    # visits
    Entry("GET", "/api/v1/access/visits?limit=500", allowed=ALL_ROLES, leak=ids_of("visit")),
    Entry("GET", "/api/v1/access/visits/to-approve?limit=500", allowed=ALL_ROLES, leak=ids_of("visit")),
    # Announcers name only facilities they run or were approved at: another port's is a 404.
    Entry("POST", "/api/v1/access/visits", allowed=ANNOUNCERS, ok=201, foreign=404, denied_by_role={ADMIN: 404},
          admin_foreign=404, body=_visit_body),
    Entry("GET", "/api/v1/access/visits/{visit}", allowed=VISIT_VIEWERS, denied=404, foreign=404),
    # Only the facility's operator (or a ship call's agent) decides; anyone else holding the
    # permission sees no visit to decide. The world's visits are not ship calls: agents see none.
    Entry("POST", "/api/v1/access/visits/{visit}/approve", allowed=frozenset({PFSO}), foreign=404,
          denied_by_role={ADMIN: 404, SA: 404}, admin_foreign=404, body=lambda w, c, s: {}),
    Entry("POST", "/api/v1/access/visits/{visit}/reject", allowed=frozenset({PFSO}), foreign=404,
          denied_by_role={ADMIN: 404, SA: 404}, admin_foreign=404,
          body=lambda w, c, s: {"reason": "no berth that day"}),
    # Only the facility's operator sets how its visits are approved; an agent names no facility of its own.
    Entry("PUT", "/api/v1/access/facilities/{facility}/visit-policy", allowed=frozenset({PFSO}), foreign=404,
          denied_by_role={ADMIN: 404, SA: 404}, admin_foreign=404,
          body=lambda w, c, s: {"terminal_approves_ship_calls": True}),
    Entry("POST", "/api/v1/access/visits/{visit}/cancel", allowed=frozenset({ADMIN, *ANNOUNCERS}), foreign=404),
)

