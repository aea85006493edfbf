"""The control room's device registry in the permission matrix (see tests/matrix.py).

World rows: a camera at Terminal A (run by the ``operator`` organisation, in port A) and
one at Terminal B. The facility's operator and the authorities over port A see and manage
Terminal A's; the control-room operator and the auditor only see them.
"""

from __future__ import annotations

from tests.controlroom.factories import DeviceFactory
from tests.matrix import ADMIN, ALL_ROLES, AUD, INV, OP, PFSO, PSO, Entry, ids_of, register, register_world

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


# --- events, alarms, rules -------------------------------------------------------------------

ALARM_VIEWERS = frozenset({ADMIN, PSO, PFSO, OP, AUD, INV})
ALARM_WORKERS = frozenset({ADMIN, PSO, PFSO, OP})
RULE_VIEWERS = frozenset({ADMIN, PSO, PFSO, OP, AUD})
RULE_WRITERS = frozenset({ADMIN, PSO, PFSO})


def _alarm(facility, device_id):
    from havenwatch.controlroom.models import Alarm
    from havenwatch.core import clock

    now = clock.now()
    return Alarm.objects.create(
        port=facility.port, facility=facility, owner=facility.operator, rule_code="mtx", rule_version=1,
        title="Matrix alarm", priority=2, suppress_key=f"mtx|{facility.pk}", device_id=device_id, first_event_at=now,
        last_event_at=now, raised_at=now, acknowledge_by=now, sop_steps=["Look"]).pk


def _rule_world(world) -> None:
    from havenwatch.controlroom.services.rules import rule_save, watchlist_save
    from havenwatch.core.principal import system_principal

    text = "code: mtx-seen\nkind: single\ntitle: Matrix\nwhen: {kind: fence.alarm}\n"
    own_rule = rule_save(actor=system_principal(), port=world.port, facility=world.facility, text=text).pk
    world.foreign_objects["rule"] = rule_save(actor=system_principal(), port=world.foreign_port,
                                              facility=world.foreign_facility, text=text).pk

    own_device = world.own_objects[world.orgs["operator"].pk]["device"]
    own_alarm = _alarm(world.facility, own_device)
    own_list = watchlist_save(actor=system_principal(), port=world.port, code="mtx-plates", name="Matrix").pk
    for org in world.orgs.values():
        world.own_objects[org.pk]["alarm"] = own_alarm
        world.own_objects[org.pk]["watchlist"] = own_list
        world.own_objects[org.pk]["rule"] = own_rule
    world.foreign_objects["alarm"] = _alarm(world.foreign_facility, world.foreign_objects["device"])
    world.foreign_objects["watchlist"] = watchlist_save(actor=system_principal(), port=world.foreign_port,
                                                        code="mtx-plates", name="Matrix B").pk


register_world(_rule_world)


def _events_body(world, ctx, side):
    from havenwatch.core import clock

    return {"events": [{"device_id": world.objects_for(ctx, side)["device"], "event_id": f"mtx-{ctx.role}",
                        "kind": "fence.alarm", "occurred_at": clock.now().isoformat()}]}


def _frigate_body(world, ctx, side):
    from havenwatch.controlroom.models import Device
    from havenwatch.core import clock

    device = Device.objects.get(pk=world.objects_for(ctx, side)["device"])
    if not device.external_name:
        Device.objects.filter(pk=device.pk).update(external_name=f"frigate-{device.code.lower()}")
    return {"type": "new", "after": {"id": f"1700000000.1-{ctx.role}", "camera": f"frigate-{device.code.lower()}",
                                     "label": "person", "top_score": 0.8, "start_time": clock.now().timestamp()}}


def _rule_body(world, ctx, side):
    facility = world.facility if side == "own" else world.foreign_facility
    return {"port_id": facility.port_id, "facility_id": facility.pk, "text": "code: mtx-rule\nkind: single\ntitle: Matrix\nwhen: {kind: fence.alarm}\n"}


def _port_body(extra):
    def body(world, ctx, side):
        port = world.port if side == "own" else world.foreign_port
        return {"port_id": port.pk, **extra}
    return body


register(
    # ports are reference data everyone sees: writing for a port one holds no authority over is 403
    # sending events is for device tokens (a role's token speaks for no device: 403)
    Entry("POST", f"{API}/events", allowed=STEWARDS, foreign=422, token=False, body=_events_body),
    Entry("GET", f"{API}/alarms?limit=500", allowed=ALL_ROLES, leak=ids_of("alarm")),
    Entry("GET", f"{API}/alarms/{{alarm}}", allowed=ALARM_VIEWERS, denied=404, foreign=404),
    Entry("POST", f"{API}/alarms/{{alarm}}/notes", allowed=ALARM_WORKERS, foreign=404,
          body=lambda w, c, s: {"text": "matrix note"}),
    Entry("POST", f"{API}/alarms/{{alarm}}/acknowledge", allowed=ALARM_WORKERS, foreign=404),
    Entry("POST", f"{API}/alarms/{{alarm}}/start", allowed=ALARM_WORKERS, foreign=404),
    Entry("POST", f"{API}/alarms/{{alarm}}/steps", allowed=ALARM_WORKERS, foreign=404,
          body=lambda w, c, s: {"step": 0}),
    # assigning to oneself: a platform administrator works no alarms
    Entry("POST", f"{API}/alarms/{{alarm}}/assign", allowed=ALARM_WORKERS - {ADMIN}, foreign=404, admin_foreign=403,
          body=lambda w, c, s: {"username": c.user.username}),
    Entry("POST", f"{API}/alarms/{{alarm}}/close", allowed=ALARM_WORKERS, foreign=404,
          body=lambda w, c, s: {"reason": "matrix: checked, nothing there", "false_alarm": True}),
    Entry("POST", f"{API}/adapters/frigate", allowed=STEWARDS, ok=200, foreign=422, token=False,
          body=_frigate_body),
    Entry("GET", f"{API}/rules?limit=500", allowed=ALL_ROLES),
    Entry("GET", f"{API}/sops?limit=500", allowed=ALL_ROLES),
    Entry("GET", f"{API}/rules/{{rule}}/versions", allowed=RULE_VIEWERS, denied=404, foreign=404),
    Entry("POST", f"{API}/rules", allowed=RULE_WRITERS, foreign=404, token=False, body=_rule_body),
    Entry("POST", f"{API}/sops", allowed=frozenset({ADMIN, PSO}), foreign=403, token=False,
          body=_port_body({"code": "mtx-sop", "title": "Matrix", "steps": ["Look"]})),
    Entry("GET", f"{API}/watchlists?limit=500", allowed=ALL_ROLES, leak=ids_of("watchlist")),
    Entry("POST", f"{API}/watchlists", allowed=frozenset({ADMIN, PSO}), foreign=403, token=False,
          body=_port_body({"code": "mtx-new", "name": "Matrix new"})),
    Entry("POST", f"{API}/watchlists/{{watchlist}}/entries", allowed=frozenset({ADMIN, PSO}), foreign=404,
          token=False, denied_by_role={PFSO: 404},
          body=lambda w, c, s: {"add": ["1-MTX-001"], "note": "matrix"}),
)
