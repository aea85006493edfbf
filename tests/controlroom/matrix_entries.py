"""The control room's device registry in the permission matrix (see tests/matrix.py).

World rows: a camera at Terminal A (run by the ``operator`` organisation, in port A) and
one at Terminal B. The facility's operator and the authorities over port A see and manage
Terminal A's; the control-room operator and the auditor only see them.
"""

from __future__ import annotations

from tests.controlroom.factories import DeviceFactory
from tests.matrix import ADMIN, ALL_ROLES, AUD, OP, PFSO, PSO, Entry, ids_of, register, register_world

VIEWERS = frozenset({ADMIN, PSO, PFSO, OP, AUD})
STEWARDS = frozenset({ADMIN, PSO, PFSO})
API = "/api/v1/controlroom"


def _world(world) -> None:
    own = DeviceFactory(facility=world.facility, code="MTX-CAM-A").pk
    for org in world.orgs.values():
        world.own_objects[org.pk]["device"] = own
    world.foreign_objects["device"] = DeviceFactory(facility=world.foreign_facility, code="MTX-CAM-B").pk


register_world(_world)


def _device_body(world, ctx, side):
    facility = world.facility if side == "own" else world.foreign_facility
    return {"port_id": facility.port_id, "facility_id": facility.pk, "kind": "fence", "code": "MTX-F-1",
            "name": "Matrix fence", "geometry": {"type": "LineString", "coordinates": [[4.3, 51.28], [4.31, 51.28]]}}


def _token_body(world, ctx, side):
    return {"name": "matrix gateway", "device_ids": [world.objects_for(ctx, side)["device"]]}


register(
    Entry("GET", f"{API}/devices?limit=500", allowed=ALL_ROLES, leak=ids_of("device")),
    Entry("GET", f"{API}/devices/{{device}}", allowed=VIEWERS, denied=404, foreign=404),
    # managing devices is never given to a token (a device's token only sends events)
    Entry("POST", f"{API}/devices", allowed=STEWARDS, ok=201, foreign=404, token=False, body=_device_body),
    Entry("PATCH", f"{API}/devices/{{device}}", allowed=STEWARDS, foreign=404, token=False,
          body=lambda w, c, s: {"name": "Renamed"}),
    Entry("POST", f"{API}/devices/{{device}}/retire", allowed=STEWARDS, foreign=404, token=False,
          body=lambda w, c, s: {"reason": "matrix: replaced"}),
    Entry("POST", f"{API}/device-tokens", allowed=STEWARDS, ok=201, foreign=404, token=False, body=_token_body),
)
