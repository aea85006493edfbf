"""The control room of the synthetic port: devices, rules, procedures, a watch list,
operator posts, and a day of history in the alarm queue.

Every facility gets fence segments along its outline, two to four thermal and visible
cameras at its corners (each with a field of view along the fence), an ANPR camera at
its truck gate and an alarm panel in its administration building; the port gets fence
segments along its boundary, two cameras and a drone detector. The port's authority
writes the rules, procedures and the watch list of plates; the demo's control-room
operator is posted on the day and night shifts, the port security officer as backup.

A day of sensor history (wind on the fence, foxes and birds on the thermal cameras,
plate reads at the gates, and a few real incidents) goes through ingestion and the
evaluator, and the operator works some of the alarms, so that the queue shows every
state. Everything goes through the control room's services (posts excepted: they have
no service yet), as the organisation that would act, labelled ``demo-seed``, and is
drawn from ``ctx.rng``: the same seed gives the same control room.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from havenwatch.controlroom import evaluation
from havenwatch.controlroom.choices import AlarmState, DeviceKind
from havenwatch.controlroom.models import Alarm, Device, OperatorPost
from havenwatch.controlroom.rules import distance_m
from havenwatch.controlroom.services import alarms as alarm_services
from havenwatch.controlroom.services import devices as device_services
from havenwatch.controlroom.services import rules as rule_services
from havenwatch.controlroom.services.ingestion import MAX_BATCH, events_ingest
from havenwatch.core import clock, schedules
from havenwatch.core.choices import Role
from havenwatch.core.models import Facility, Membership, Organisation, Port
from havenwatch.core.permissions import permissions_for_role
from havenwatch.core.principal import Principal, port_sets, principal_for_membership, system_principal
from havenwatch.demo.registry import seeder

SEED_LABEL = "demo-seed"
M_PER_DEG = 111_320.0
SEGMENT_M = 450  # a fence segment (one sensor zone) is about this long
MAX_SEGMENTS_PER_EDGE = {"small": 4, "port": 1, "national": 2}  # the large scales keep the registry light
PORT_SEGMENTS_PER_EDGE = 2
FIRST_PANEL_ACCOUNT = 3456  # SIA accounts of the panels: 3456, 3457, ...
HEARTBEAT_CHUNK = 200  # devices per heartbeat batch (each batch updates last_seen_at in one statement)
DAY = {day: [["07:00", "19:00"]] for day in schedules.DAYS}
NIGHT = {day: [["19:00", "07:00"]] for day in schedules.DAYS}

# Belgian plates (1-ABC-123) on the port's watch list, with why they are listed.
WATCHED_PLATES = [
    ("1-KZW-482", "Reported stolen on 3 November; federal police notice 2026/118."),
    ("2-HTR-731", "Driver banned from the port after a cocaine extraction attempt; call the maritime police."),
    ("1-DPL-905", "Seen filming the container yard on three nights; police ask for a call, do not stop it."),
]
PLATE_LETTERS = "ABCDEFGHJKLMNPRSTVWXYZ"

# Procedures: short imperative steps, in the order the operator works them (EEMUA 191).
SOPS = [
    ("intrusion", "Verified intrusion over the fence", [
        "Keep the intruder in view on the thermal and PTZ cameras.",
        "Send the nearest patrol to the fence segment with the intruder's position.",
        "Call the maritime police (101) and report a verified intrusion.",
        "Tell the facility's security officer (PFSO) and lock the facility's gates.",
        "Record what the patrol found: people, vehicles, damage to the fence.",
    ]),
    ("drone", "Drone over a terminal", [
        "Locate the drone and, if shown, its pilot on the detector's map.",
        "Tell the terminal's security officer which area the drone is over.",
        "Report the drone to the police with its model, serial number and position.",
        "Follow the drone until it leaves the port and record where it went.",
    ]),
    ("plate", "Watch-listed vehicle at a gate", [
        "Compare the plate on the gate camera with the watch list.",
        "Tell the gate guard to hold the vehicle at the barrier without alarming the driver.",
        "Act on the watch-list note: call the contact it names.",
        "Record the driver, the vehicle and what was decided.",
    ]),
    ("fence", "Fence alarm", [
        "Look at the fence segment on the nearest camera.",
        "If nobody is in view, check the wind and the segment's recent alarms.",
        "If in doubt, send a patrol to inspect the segment.",
        "Record the cause: wind, animal, maintenance or a person.",
    ]),
]


# --- geometry (port scale: a flat earth around each point is plenty) ----------------------------


def shift(point: tuple[float, float], east: float, north: float) -> tuple[float, float]:
    """``point`` (longitude, latitude) moved ``east`` and ``north`` metres."""
    lon, lat = point
    return lon + east / (M_PER_DEG * math.cos(math.radians(lat))), lat + north / M_PER_DEG


def vector(a: tuple[float, float], b: tuple[float, float]) -> tuple[float, float]:
    """From ``a`` to ``b`` in metres (east, north)."""
    return ((b[0] - a[0]) * M_PER_DEG * math.cos(math.radians(a[1])), (b[1] - a[1]) * M_PER_DEG)


def toward(a: tuple[float, float], b: tuple[float, float], metres: float) -> tuple[float, float]:
    east, north = vector(a, b)
    length = math.hypot(east, north) or 1.0
    return shift(a, east / length * metres, north / length * metres)


def rounded(point: tuple[float, float]) -> list[float]:
    return [round(point[0], 6), round(point[1], 6)]


def ring_of(geometry) -> list[tuple[float, float]] | None:
    """The outer ring of a GeoJSON Polygon (or a MultiPolygon's first), without its closing point."""
    if not isinstance(geometry, dict):
        return None
    coordinates = geometry.get("coordinates")
    try:
        if geometry.get("type") == "MultiPolygon":
            coordinates = coordinates[0]
        if geometry.get("type") not in ("Polygon", "MultiPolygon"):
            return None
        ring = [(float(p[0]), float(p[1])) for p in coordinates[0]]
    except (TypeError, ValueError, IndexError):
        return None
    if len(ring) > 1 and ring[0] == ring[-1]:
        ring.pop()
    return ring if len(ring) >= 3 else None


def centre(ring: list[tuple[float, float]]) -> tuple[float, float]:
    return sum(p[0] for p in ring) / len(ring), sum(p[1] for p in ring) / len(ring)


def square_ring(middle: tuple[float, float], half_m: float) -> list[tuple[float, float]]:
    return [shift(middle, -half_m, -half_m), shift(middle, half_m, -half_m), shift(middle, half_m, half_m),
            shift(middle, -half_m, half_m)]


COMPASS = ["east", "north-east", "north", "north-west", "west", "south-west", "south", "south-east"]


def compass(origin: tuple[float, float], point: tuple[float, float]) -> str:
    east, north = vector(origin, point)
    return COMPASS[round(math.degrees(math.atan2(north, east)) / 45) % 8]


def sector(apex: tuple[float, float], facing: tuple[float, float], reach: float, half_angle: float = 20) -> dict:
    """A camera's field of view: a fan of ``reach`` metres from ``apex`` towards ``facing``."""
    east, north = vector(apex, facing)
    heading = math.atan2(north, east)
    ring = [rounded(apex)]
    for step in (-half_angle, -half_angle / 2, 0, half_angle / 2, half_angle):
        angle = heading + math.radians(step)
        ring.append(rounded(shift(apex, reach * math.cos(angle), reach * math.sin(angle))))
    ring.append(rounded(apex))
    return {"type": "Polygon", "coordinates": [ring]}


# --- the devices of one site (a facility, or the port itself) -------------------------------------


@dataclass
class Site:
    """What the seed and the simulation know of one facility's (or the port's) devices."""

    port: Port
    facility: Facility | None
    ring: list[tuple[float, float]]
    fences: list[Device] = field(default_factory=list)
    cameras: list[Device] = field(default_factory=list)  # thermal and visible, in corner order
    anpr: Device | None = None
    panel: Device | None = None
    drone: Device | None = None

    @property
    def thermal(self) -> list[Device]:
        return [c for c in self.cameras if c.kind == DeviceKind.THERMAL_CAMERA]

    def devices(self) -> list[Device]:
        extra = [d for d in (self.anpr, self.panel, self.drone) if d is not None]
        return [*self.fences, *self.cameras, *extra]


def fence_lines(ring, per_edge_max: int) -> list[tuple[str, list[tuple[float, float]]]]:
    """(side, line) of the fence segments along ``ring``: each edge cut into pieces of about
    ``SEGMENT_M`` metres, at most ``per_edge_max`` per edge."""
    middle = centre(ring)
    lines = []
    for i, start in enumerate(ring):
        end = ring[(i + 1) % len(ring)]
        pieces = max(1, min(per_edge_max, round(distance_m(start, end) / SEGMENT_M)))
        side = compass(middle, ((start[0] + end[0]) / 2, (start[1] + end[1]) / 2))
        for k in range(pieces):
            a = (start[0] + (end[0] - start[0]) * k / pieces, start[1] + (end[1] - start[1]) * k / pieces)
            b = (start[0] + (end[0] - start[0]) * (k + 1) / pieces, start[1] + (end[1] - start[1]) * (k + 1) / pieces)
            lines.append((side, [a, b]))
    return lines


def nearest_fence(site: Site, point: tuple[float, float]) -> Device:
    return min(site.fences, key=lambda d: distance_m(evaluation.device_position(d.geometry), point))


def frigate_name(prefix: str, what: str) -> str:
    return f"{prefix.lower().replace('-', '_')}_{what}".replace("-", "_")


class _Registry:
    """Registers the devices of the port's sites through the device service."""

    def __init__(self, ctx) -> None:
        self.ctx = ctx
        self.rng = ctx.rng
        self.per_edge = MAX_SEGMENTS_PER_EDGE.get(ctx.scale.name, MAX_SEGMENTS_PER_EDGE["small"])
        self.accounts = FIRST_PANEL_ACCOUNT

    def register(self, actor, site: Site, kind: str, code: str, name: str, geometry: dict, **extra) -> Device:
        return device_services.device_register(actor=actor, port=site.port, facility=site.facility, kind=kind,
                                               code=code, name=name, geometry=geometry, **extra)

    def fences(self, actor, site: Site, prefix: str, label: str, per_edge: int) -> None:
        for n, (side, line) in enumerate(fence_lines(site.ring, per_edge), start=1):
            site.fences.append(self.register(
                actor, site, DeviceKind.FENCE, f"{prefix}-{n:02d}", f"{label}: fence segment {n} ({side} side)",
                {"type": "LineString", "coordinates": [rounded(p) for p in line]}, silent_after=15))

    def cameras(self, actor, site: Site, prefix: str, label: str, frigate: str, count: int, reach: float) -> None:
        middle = centre(site.ring)
        for n in range(count):
            corner = site.ring[n % len(site.ring)]
            facing = site.ring[(n + 1) % len(site.ring)]
            apex = toward(corner, middle, 5)  # just inside the fence
            thermal = n % 2 == 0
            kind = DeviceKind.THERMAL_CAMERA if thermal else DeviceKind.CAMERA
            what = "thermal" if thermal else "visible"
            where = compass(middle, corner)
            site.cameras.append(self.register(
                actor, site, kind, f"CAM{prefix}-{n + 1}", f"{label}: {what} camera, {where} corner",
                {"type": "Point", "coordinates": rounded(apex)}, field_of_view=sector(apex, facing, reach),
                external_name=frigate_name(frigate, f"{what}_{where}"), silent_after=10))

    def facility(self, actor, port: Port, facility: Facility, n: int, ring) -> Site:
        site = Site(port=port, facility=facility, ring=ring)
        label = facility.name
        self.fences(actor, site, f"F{n}", label, self.per_edge)
        self.cameras(actor, site, str(n), label, facility.isps_number, self.rng.randint(2, 4), reach=300)
        middle = centre(ring)
        gate = toward(((ring[0][0] + ring[1][0]) / 2, (ring[0][1] + ring[1][1]) / 2), middle, 12)
        site.anpr = self.register(
            actor, site, DeviceKind.ANPR_CAMERA, f"ANPR{n}-G1", f"{label}: ANPR camera, truck gate G1",
            {"type": "Point", "coordinates": rounded(gate)}, field_of_view=sector(gate, middle, 40, 25),
            external_name=frigate_name(facility.isps_number, "anpr_gate"), silent_after=10)
        site.panel = self.register(
            actor, site, DeviceKind.ALARM_PANEL, f"PNL{n}", f"{label}: alarm panel, administration building",
            {"type": "Point", "coordinates": rounded(shift(middle, 40, 25))}, external_name=str(self.accounts),
            silent_after=60)
        self.accounts += 1
        return site

    def port(self, actor, port: Port, ring) -> Site:
        site = Site(port=port, facility=None, ring=ring)
        label = port.name
        self.fences(actor, site, "FP", f"{label} perimeter", PORT_SEGMENTS_PER_EDGE)
        self.cameras(actor, site, "P", label, f"{port.unlocode}-port", 2, reach=1000)
        site.drone = self.register(
            actor, site, DeviceKind.DRONE_DETECTOR, "DRONE-1", f"{label}: drone detector",
            {"type": "Point", "coordinates": rounded(centre(ring))}, silent_after=10)
        return site


# --- who acts -------------------------------------------------------------------------------------


def acting(organisation: Organisation, role: str) -> Principal:
    """A principal of ``organisation`` in ``role`` (no user behind it), labelled ``demo-seed``."""
    jurisdiction, active = port_sets(organisation)
    return Principal(organisation=organisation, role=role, permissions=permissions_for_role(role),
                     jurisdiction_port_ids=jurisdiction, active_port_ids=active, label_override=SEED_LABEL)


def members(organisation_id: int, role: str) -> list[Membership]:
    return list(Membership.objects.filter(organisation_id=organisation_id, role=role, is_active=True,
                                          user__is_active=True).select_related("user", "organisation")
                .order_by("user__username"))


def sites_of(port: Port) -> list[Site]:
    """The sites of a seeded port, read back (the simulation's view of it): the port first."""
    devices = list(Device.objects.filter(port=port, retired_at__isnull=True).exclude(kind=DeviceKind.PLATFORM)
                   .select_related("facility").order_by("pk"))
    facilities = {d.facility_id: d.facility for d in devices if d.facility_id is not None}
    sites: dict[int | None, Site] = {}
    for key in [None, *sorted(facilities)]:
        geometry = facilities[key].geometry if key is not None else port.boundary
        ring = ring_of(geometry)
        if ring is None:  # no outline: a square around the site's devices
            points = [p for d in devices if d.facility_id == key
                      for p in [evaluation.device_position(d.geometry)] if p is not None]
            ring = square_ring(centre(points), 300) if points else []
        sites[key] = Site(port=port, facility=facilities.get(key), ring=ring)
    for device in devices:
        site = sites[device.facility_id]
        if device.kind == DeviceKind.FENCE:
            site.fences.append(device)
        elif device.kind in (DeviceKind.THERMAL_CAMERA, DeviceKind.CAMERA, DeviceKind.PTZ_CAMERA):
            site.cameras.append(device)
        elif device.kind == DeviceKind.ANPR_CAMERA and site.anpr is None:
            site.anpr = device
        elif device.kind == DeviceKind.ALARM_PANEL and site.panel is None:
            site.panel = device
        elif device.kind == DeviceKind.DRONE_DETECTOR and site.drone is None:
            site.drone = device
    return [site for site in sites.values() if site.devices()]


# --- rules ----------------------------------------------------------------------------------------


def rule_texts(terminals: list[Facility]) -> list[str]:
    polygons = []
    for facility in terminals:
        ring = ring_of(facility.geometry)
        if ring:
            points = ", ".join(f"[{p[0]:.5f}, {p[1]:.5f}]" for p in ring)
            polygons.append(f"  - [{points}]  # {facility.name}")
    texts = [
        """code: fence-alarm
kind: single
title: Fence alarm
description: One fence segment's alarm, unverified. Wind and animals set them off; the camera tells.
priority: 3
when: {kind: fence.alarm}
suppress: {per: device, for: 10m}
sop: fence
""",
        """code: verified-intrusion
kind: correlation
title: Verified intrusion over the fence
description: A fence alarm, then a person on a camera near it within a minute.
priority: 1
when:
  - kind: fence.alarm
  - kind: camera.detection
    where: {label: person, score: ">= 0.7"}
within: 60s
near: 150m
suppress: {per: device, for: 10m}
sop: intrusion
""",
        """code: denied-badges
kind: threshold
title: Five badges refused at one gate in 10 minutes
description: Someone trying cards at a gate, or a gate that refuses everyone.
priority: 2
when: {kind: access.denied}
count: 5
within: 10m
per: device
suppress: {per: device, for: 30m}
""",
        """code: watchlisted-plate
kind: watchlist
title: Watch-listed vehicle at a gate
priority: 2
when: {kind: anpr.read}
watchlist: plates
attribute: plate
suppress: {per: device, for: 10m}
sop: plate
""",
        """code: panel-burglary
kind: single
title: Burglary alarm on an alarm panel
priority: 1
when: {kind: panel.burglary}
suppress: {per: device, for: 10m}
""",
        """code: camera-silent
kind: absence
title: Camera silent
description: A camera has sent nothing, not even a heartbeat, for longer than its setting.
priority: 3
devices: [thermal_camera, camera]
suppress: {per: device, for: 1h}
""",
    ]
    if polygons:
        texts.insert(4, "\n".join([
            "code: drone-over-terminal",
            "kind: geofence",
            "title: Drone over a terminal",
            "priority: 1",
            "when: {kind: drone.detected}",
            "polygons:",
            *polygons,
            "suppress: {per: device, for: 15m}",
            "sop: drone",
        ]) + "\n")
    return texts


MAX_GEOFENCE_TERMINALS = 100  # keeps the rule's text under the rule language's limit


def seed_rules(ctx, port: Port, facilities: list[Facility]) -> None:
    pso = acting(port.authority, Role.PORT_SECURITY_OFFICER)
    for code, title, steps in SOPS:
        rule_services.sop_save(actor=pso, port=port, code=code, title=title, steps=steps)
    watchlist = rule_services.watchlist_save(actor=pso, port=port, code="plates", name="Plates to watch")
    for plate, note in WATCHED_PLATES:
        rule_services.watchlist_change(actor=pso, watchlist=watchlist, add=[plate], note=note)
    terminals = [f for f in facilities if "terminal" in f.name.lower()][:MAX_GEOFENCE_TERMINALS]
    for text in rule_texts(terminals):
        rule_services.rule_save(actor=pso, port=port, text=text, note="Demo rule set")


def seed_posts(port: Port) -> None:
    """The authority's control-room operators on the day and the night shift, its port
    security officer as their backup. (No service writes posts yet.)"""
    for membership in members(port.authority_id, Role.CONTROL_ROOM_OPERATOR):
        for hours in (DAY, NIGHT):
            OperatorPost.objects.create(port=port, organisation=membership.organisation, user=membership.user,
                                        backup=False, hours=schedules.validate(hours))
    for membership in members(port.authority_id, Role.PORT_SECURITY_OFFICER)[:1]:
        OperatorPost.objects.create(port=port, organisation=membership.organisation, user=membership.user,
                                    backup=True, hours={})


# --- a day of history -----------------------------------------------------------------------------


def plate(rng) -> str:
    return f"{rng.randint(1, 2)}-{''.join(rng.choice(PLATE_LETTERS) for _ in range(3))}-{rng.randint(0, 999):03d}"


def last_local(now: datetime, tz: str, at: time, at_least: timedelta) -> datetime:
    """The latest moment at local time ``at`` that is at least ``at_least`` before ``now``."""
    zone = ZoneInfo(tz)
    local = now.astimezone(zone)
    moment = datetime.combine(local.date(), at, tzinfo=zone)
    while moment > now - at_least:
        moment -= timedelta(days=1)
    return moment


def is_night(moment: datetime, tz: str) -> bool:
    hour = moment.astimezone(ZoneInfo(tz)).hour
    return hour >= 21 or hour < 6


def facing(camera: Device) -> tuple[float, float] | None:
    """The far middle of a camera's field of view (where it looks)."""
    ring = ring_of(camera.field_of_view)
    return ring[len(ring) // 2] if ring else None


def intrusion_point(site: Site, camera: Device, rng) -> tuple[tuple[float, float], Device]:
    """Where an intruder climbs the fence in ``camera``'s view, and that fence segment."""
    middle = centre(site.ring)
    apex = tuple(camera.geometry["coordinates"])
    segment = nearest_fence(site, toward(apex, facing(camera) or middle, 200))
    on_fence = toward(evaluation.device_position(segment.geometry), apex, rng.uniform(0, 60))
    return toward(on_fence, middle, rng.uniform(4, 15)), segment


def point_inside(ring, rng) -> tuple[float, float]:
    """A point well inside a (roughly convex) outline."""
    middle = centre(ring)
    corner = ring[rng.randrange(len(ring))]
    share = rng.uniform(0.1, 0.6)
    return middle[0] + (corner[0] - middle[0]) * share, middle[1] + (corner[1] - middle[1]) * share


class _History:
    """~200 events of the last 24 hours, ingested in one batch (ids follow time)."""

    def __init__(self, rng, now: datetime, tz: str) -> None:
        self.rng = rng
        self.now = now
        self.tz = tz
        self.events: list[dict] = []

    def add(self, device: Device, kind: str, at: datetime, **attributes) -> None:
        self.events.append({"device_id": device.pk, "event_id": f"seed-{len(self.events) + 1:04d}", "kind": kind,
                            "occurred_at": min(at, self.now), "attributes": attributes})

    def spread(self, start: datetime, minutes: float) -> datetime:
        return start + timedelta(seconds=self.rng.uniform(0, minutes * 60))

    def night_moment(self) -> datetime:
        while True:
            at = self.now - timedelta(seconds=self.rng.uniform(600, 24 * 3600))
            if is_night(at, self.tz):
                return at

    def day_moment(self) -> datetime:
        while True:
            at = self.now - timedelta(seconds=self.rng.uniform(600, 24 * 3600))
            if not is_night(at, self.tz):
                return at


def seed_history(ctx, port: Port, sites: list[Site]) -> dict[str, datetime]:
    rng, now, tz = ctx.rng, clock.now(), port.time_zone
    history = _History(rng, now, tz)
    facilities = [s for s in sites if s.facility is not None and s.fences]
    if not facilities:
        return {}
    featured = facilities[0]
    port_site = next((s for s in sites if s.facility is None), None)
    # Noise: plate reads at the gates in the day, foxes and birds on thermal cameras at night.
    gates = [s.anpr for s in facilities if s.anpr is not None]
    for _ in range(100 if gates else 0):
        history.add(rng.choice(gates), "anpr.read", history.day_moment(), plate=plate(rng),
                    confidence=round(rng.uniform(0.82, 0.99), 2), direction=rng.choice(["in", "out"]), country="BE")
    thermals = [c for s in facilities for c in s.thermal]
    for _ in range(50 if thermals else 0):
        label = rng.choice(["fox", "fox", "bird"])
        history.add(rng.choice(thermals), "camera.detection", history.night_moment(), label=label,
                    score=round(rng.uniform(0.25, 0.68), 2), zone="fence_line")
    # Two windy spells: gusts on neighbouring fence segments, in clusters.
    moments = {}
    for site, hours_ago, minutes in ((featured, 17, 25), (facilities[-1], 1.2, 15)):
        start = now - timedelta(hours=hours_ago)
        first = rng.randrange(len(site.fences) - 1)
        for segment in site.fences[first:first + 2]:
            for _ in range(rng.randint(7, 10)):
                history.add(segment, "fence.alarm", history.spread(start, minutes), type="vibration",
                            level=round(rng.uniform(0.3, 0.6), 2))
        moments.setdefault("wind", start)
    # A single recent fence alarm nobody has looked at yet.
    history.add(rng.choice(featured.fences), "fence.alarm", now - timedelta(minutes=rng.randint(10, 30)),
                type="vibration", level=0.41)
    # Last night: someone climbs the fence in view of a thermal camera.
    if featured.thermal:
        camera = featured.thermal[0]
        at = last_local(now, tz, time(2, 40), timedelta(hours=1))
        where, segment = intrusion_point(featured, camera, rng)
        history.add(segment, "fence.alarm", at, type="climb", level=0.93)
        history.add(segment, "fence.alarm", at + timedelta(seconds=6), type="climb", level=0.88)
        for seconds, score in ((21, 0.86), (34, 0.92)):
            history.add(camera, "camera.detection", at + timedelta(seconds=seconds), label="person", score=score,
                        zone="fence_line", position=rounded(where))
        moments["intrusion"] = at
    # In the evening, a drone over a terminal.
    terminal = next((s for s in facilities if "terminal" in s.facility.name.lower()), featured)
    if port_site is not None and port_site.drone is not None:
        at = last_local(now, tz, time(21, 10), timedelta(hours=1))
        serial = f"1581F{rng.randint(10**8, 10**9 - 1)}"
        for k in range(3):
            history.add(port_site.drone, "drone.detected", at + timedelta(seconds=25 * k),
                        position=rounded(point_inside(terminal.ring, rng)), model="DJI Mavic 3", serial=serial,
                        altitude_m=rng.randint(60, 110), rssi=rng.randint(-80, -62))
        moments["drone"] = at
    # Early morning, the cleaners set off the office's burglary alarm.
    if featured.panel is not None:
        at = last_local(now, tz, time(6, 5), timedelta(minutes=30))
        history.add(featured.panel, "panel.burglary", at, zone="3", partition="1", code="BA",
                    text="Burglary alarm, zone 3 (office corridor)")
        moments["panel"] = at
    # This afternoon, a watch-listed truck at a gate.
    if featured.anpr is not None:
        history.add(featured.anpr, "anpr.read", now - timedelta(minutes=rng.randint(100, 180)),
                    plate=WATCHED_PLATES[1][0], confidence=0.97, direction="in", country="BE")
    actor = system_principal(SEED_LABEL)
    for start in range(0, len(history.events), MAX_BATCH):
        events_ingest(actor=actor, events=history.events[start:start + MAX_BATCH])
    heartbeats(sites, rng)  # every device has just said it is alive
    evaluation.reset()  # a fresh database: nothing the process's engine holds is true here
    evaluation.run()
    return moments


def heartbeats(sites: list[Site], rng) -> None:
    """Every device of ``sites`` says it is alive (a batch's ``last_seen_at`` update is one
    statement per batch: SQLite refuses one that names thousands of devices)."""
    now = clock.now()
    devices = [d for site in sites for d in site.devices()]
    actor = system_principal(SEED_LABEL)
    for start in range(0, len(devices), HEARTBEAT_CHUNK):
        events_ingest(actor=actor, events=[
            {"device_id": d.pk, "event_id": f"seed-hb-{d.pk}", "kind": "device.heartbeat",
             "occurred_at": now - timedelta(seconds=rng.randint(5, 90)), "attributes": {}}
            for d in devices[start:start + HEARTBEAT_CHUNK]])


def _steps(actor, alarm: Alarm, count: int | None = None) -> Alarm:
    for step in range(len(alarm.sop_steps) if count is None else min(count, len(alarm.sop_steps))):
        alarm = alarm_services.alarm_step(actor=actor, alarm=alarm, step=step)
    return alarm


def work_alarms(port: Port, moments: dict[str, datetime]) -> None:
    """The operator's night and day: resolved, a false alarm, and some still open."""
    memberships = members(port.authority_id, Role.CONTROL_ROOM_OPERATOR)
    if not memberships:
        return
    actor = principal_for_membership(memberships[0])
    queue = list(Alarm.objects.filter(port=port).order_by("first_event_at", "pk"))
    by_rule: dict[str, list[Alarm]] = {}
    for alarm in queue:
        by_rule.setdefault(alarm.rule_code, []).append(alarm)
    for alarm in by_rule.get("verified-intrusion", [])[:1]:
        alarm = alarm_services.alarm_start(actor=actor, alarm=alarm)
        alarm = _steps(actor, alarm)
        alarm_services.alarm_note(actor=actor, alarm=alarm, text="Patrol 2 on site in 6 minutes; the intruder "
                                  "ran off towards the dock. Police took over.")
        alarm_services.alarm_close(actor=actor, alarm=alarm, reason="Hole cut in the fence, intruder gone; police "
                                   "report filed and the fence repaired.")
        for fence_alarm in by_rule.get("fence-alarm", []):
            if fence_alarm.device_id == alarm.device_id and fence_alarm.state == AlarmState.NEW:
                fence_alarm = _steps(actor, fence_alarm)
                alarm_services.alarm_close(actor=actor, alarm=fence_alarm,
                                           reason=f"Same event as the verified intrusion #{alarm.pk}.")
    for alarm in by_rule.get("panel-burglary", [])[:1]:
        alarm_services.alarm_acknowledge(actor=actor, alarm=alarm)
        alarm_services.alarm_close(actor=actor, alarm=alarm, false_alarm=True,
                                   reason="The cleaning crew opened the office with an expired code; the PFSO "
                                   "confirmed by phone.")
    for alarm in by_rule.get("drone-over-terminal", [])[:1]:
        alarm_services.alarm_acknowledge(actor=actor, alarm=alarm)
    for alarm in by_rule.get("watchlisted-plate", [])[:1]:
        alarm = alarm_services.alarm_start(actor=actor, alarm=alarm)
        alarm = _steps(actor, alarm, 2)
        alarm_services.alarm_note(actor=actor, alarm=alarm, text="Truck held at G1; waiting for the maritime "
                                  "police to call back.")
    # The first windy spell was checked on camera: wind, nothing else.
    calm = moments["wind"] + timedelta(hours=1)
    for alarm in by_rule.get("fence-alarm", []):
        alarm.refresh_from_db(fields=["state"])
        if alarm.state != AlarmState.NEW or alarm.last_event_at > calm:
            continue
        alarm = _steps(actor, alarm)
        alarm_services.alarm_close(actor=actor, alarm=alarm, reason="Gusts of 70 km/h; nobody on camera and the "
                                   "fence intact.")


# --- the seeder -----------------------------------------------------------------------------------


@seeder("controlroom", order=30, label="control room: devices, rules, procedures, posts and a day of alarms")
def seed_controlroom(ctx) -> None:
    registry = _Registry(ctx)
    for index, port in enumerate(ctx.ports):
        facilities = [f for f in ctx.facilities if f.port_id == port.pk]
        port_ring = ring_of(port.boundary)
        sites: list[Site] = []
        if port_ring:
            sites.append(registry.port(acting(port.authority, Role.PORT_SECURITY_OFFICER), port, port_ring))
        for n, facility in enumerate(facilities, start=1):
            ring = ring_of(facility.geometry)
            if ring is None and port_ring:  # no outline: a square around a spot in the port
                ring = square_ring(point_inside(port_ring, ctx.rng), 300)
            if ring is None:
                continue
            sites.append(registry.facility(acting(facility.operator, Role.FACILITY_SECURITY_OFFICER), port,
                                           facility, n, ring))
            ctx.report("control room: devices", n, len(facilities))
        seed_rules(ctx, port, facilities)
        seed_posts(port)
        if index == 0:
            # Facilities first, the port last: the featured facility is the first facility.
            ordered = [s for s in sites if s.facility is not None] + [s for s in sites if s.facility is None]
            moments = seed_history(ctx, port, ordered)
            if moments:
                work_alarms(port, moments)
        else:  # no history at the other ports: their devices are just alive
            heartbeats(sites, ctx.rng)
