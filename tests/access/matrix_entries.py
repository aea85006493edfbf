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
