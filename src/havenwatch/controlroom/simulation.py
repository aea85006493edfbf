"""The demo port's sensors, alive: mostly noise, now and then something real.

Every few simulated seconds the ``controlroom.sensors`` scenario sends what a port's
sensors send, through ingestion and the evaluator, as the simulator's principal:

- noise: gusts of wind on fence segments (in spells, more at night), foxes and birds on
  the thermal cameras (low scores), plate reads at the truck gates, and heartbeats;
- now and then a real incident (the first one two simulated minutes in, an intrusion, so
  that a newcomer sees the control room work at once): someone climbing the fence at
  night, seen on a thermal camera about 20 seconds later; a drone over a terminal; a
  watch-listed plate at a gate; a camera that falls silent (the platform's silent-device
  job then writes its ``device.silent`` event).

Events are stamped with the platform clock (ingestion refuses events from the future, and
the simulated clock runs ahead of it at speeds above 1). Every choice comes from the
scenario's ``ctx.rng`` over devices read in primary-key order: the same seed on the same
port sends the same events.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from havenwatch.controlroom import evaluation
from havenwatch.controlroom.choices import DeviceKind
from havenwatch.controlroom.models import Device, Watchlist, WatchlistEntry
from havenwatch.controlroom.seed import (
    HEARTBEAT_CHUNK,
    Site,
    centre,
    intrusion_point,
    is_night,
    plate,
    point_inside,
    rounded,
    shift,
    sites_of,
    toward,
)
from havenwatch.controlroom.services.ingestion import HEARTBEAT, events_ingest
from havenwatch.core import clock
from havenwatch.core.errors import ServiceError
from havenwatch.core.models import Port
from havenwatch.core.simulation.registry import scenario

STEP = 10.0  # simulated seconds between two rounds of sensor traffic
HEARTBEAT_EVERY = 120  # simulated seconds between two heartbeats of a device
REFRESH = 300  # the devices are read again this often (simulated seconds)
FIRST_INCIDENT = 120
INCIDENT_GAP = (900, 2400)  # simulated seconds between two incidents
RETRY_AFTER = 60.0
DRONES = ["DJI Mavic 3", "DJI Mini 4 Pro", "Autel EVO II", "DJI Matrice 30"]


@dataclass
class _World:
    """The sensors of every seeded port, as the scenario read them last."""

    read_at: datetime
    sites: list[Site]
    devices: dict[int, Device] = field(default_factory=dict)
    watched: dict[int, list[str]] = field(default_factory=dict)  # port -> plates on its "plates" list

    @property
    def facilities(self) -> list[Site]:
        return [s for s in self.sites if s.facility is not None]

    @property
    def featured(self) -> Site | None:
        facilities = self.facilities
        return facilities[0] if facilities else None


def _watch_lists() -> dict[int, list[str]]:
    lists: dict[int, list[str]] = {}
    codes = Watchlist.objects.filter(code="plates").values_list("pk", "port_id")
    ports = dict(codes)
    for watchlist_id, value in WatchlistEntry.objects.filter(watchlist_id__in=sorted(ports)).order_by(
            "watchlist_id", "value").values_list("watchlist_id", "value"):
        lists.setdefault(ports[watchlist_id], []).append(value)
    return lists


def _world(ctx) -> _World | None:
    world = ctx.state.get("world")
    if world is None or (ctx.now - world.read_at).total_seconds() >= REFRESH:
        sites = [site for port in Port.objects.order_by("pk") for site in sites_of(port)]
        world = _World(read_at=ctx.now, sites=sites, devices={d.pk: d for site in sites for d in site.devices()},
                       watched=_watch_lists())
        ctx.state["world"] = world
    return world if world.facilities else None


class _Batch:
    """The events of one round, all stamped with the platform's now."""

    def __init__(self, ctx, now: datetime) -> None:
        self.ctx = ctx
        self.now = now
        self.events: list[dict] = []

    def add(self, device: Device, kind: str, **attributes) -> None:
        seq = self.ctx.state["seq"] = self.ctx.state.get("seq", 0) + 1
        self.events.append({"device_id": device.pk, "event_id": f"sim-{int(self.now.timestamp())}-{seq}",
                            "kind": kind, "occurred_at": self.now, "attributes": attributes})

    def send(self) -> None:
        signals = [e for e in self.events if e["kind"] != HEARTBEAT]
        beats = [e for e in self.events if e["kind"] == HEARTBEAT]
        items = signals + beats
        for start in range(0, len(items), HEARTBEAT_CHUNK):
            events_ingest(actor=self.ctx.actor, events=items[start:start + HEARTBEAT_CHUNK])
        if signals:
            evaluation.run()


def _silent(ctx, device: Device, now: datetime) -> bool:
    until = ctx.state.setdefault("silent", {}).get(device.pk)
    if until is not None and now >= until:
        del ctx.state["silent"][device.pk]
        return False
    return until is not None


def _pick_site(ctx, world: _World, sites: list[Site]) -> Site:
    """The demo's featured facility (the first) half of the time: it is the one on screen."""
    featured = world.featured
    if any(site is featured for site in sites) and ctx.rng.random() < 0.5:
        return featured
    return ctx.rng.choice(sites)


# --- noise ------------------------------------------------------------------------------------------


def _heartbeats(ctx, world: _World, batch: _Batch) -> None:
    tick = ctx.state["tick"] = ctx.state.get("tick", -1) + 1
    turns = max(1, int(HEARTBEAT_EVERY / STEP))
    for n, device in enumerate(world.devices.values()):
        if n % turns == tick % turns and not _silent(ctx, device, batch.now):
            batch.add(device, HEARTBEAT)


def _wind(ctx, world: _World, batch: _Batch, night: bool) -> None:
    """Spells of gusts on a few neighbouring fence segments: clusters of fence alarms."""
    rng = ctx.rng
    spells = ctx.state.setdefault("spells", [])
    spells[:] = [spell for spell in spells if spell[0] > ctx.now]
    if rng.random() < (1 / 240 if night else 1 / 480):  # a spell every 40 minutes at night, 80 by day
        site = _pick_site(ctx, world, [s for s in world.facilities if len(s.fences) >= 2])
        first = rng.randrange(len(site.fences))
        segments = [site.fences[(first + k) % len(site.fences)] for k in range(rng.randint(1, 3))]
        spells.append((ctx.now + timedelta(minutes=rng.uniform(3, 12)), segments))
    for _until, segments in spells:
        for segment in segments:
            if rng.random() < 0.25:
                batch.add(segment, "fence.alarm", type="vibration", level=round(rng.uniform(0.3, 0.65), 2))


def _wildlife(ctx, world: _World, batch: _Batch, night: bool) -> None:
    """A fox or a bird on a thermal camera: a detection with a low score, never a person."""
    rng = ctx.rng
    if rng.random() >= (0.2 if night else 0.06):
        return
    cameras = [c for s in world.facilities for c in s.thermal if not _silent(ctx, c, batch.now)]
    if not cameras:
        return
    label = rng.choice(["fox", "fox", "bird"] if night else ["bird", "bird", "fox"])
    batch.add(rng.choice(cameras), "camera.detection", label=label, score=round(rng.uniform(0.25, 0.68), 2),
              zone="fence_line")


def _plates(ctx, world: _World, batch: _Batch, night: bool) -> None:
    rng = ctx.rng
    watched = {value for values in world.watched.values() for value in values}
    if rng.random() >= (0.08 if night else 0.35):
        return
    gates = [s for s in world.facilities if s.anpr is not None and not _silent(ctx, s.anpr, batch.now)]
    if not gates:
        return
    site = _pick_site(ctx, world, gates)
    value = plate(rng)
    while value in watched:
        value = plate(rng)
    batch.add(site.anpr, "anpr.read", plate=value, confidence=round(rng.uniform(0.82, 0.99), 2),
              direction=rng.choice(["in", "out"]), country="BE")


# --- incidents --------------------------------------------------------------------------------------


def _later(ctx, seconds: float, device: Device, kind: str, **attributes) -> None:
    ctx.state.setdefault("pending", []).append((ctx.now + timedelta(seconds=seconds), device.pk, kind, attributes))


def _due(ctx, world: _World, batch: _Batch) -> None:
    pending = ctx.state.setdefault("pending", [])
    for item in [p for p in pending if p[0] <= ctx.now]:
        pending.remove(item)
        _when, pk, kind, attributes = item
        device = world.devices.get(pk)
        if device is not None:
            batch.add(device, kind, **attributes)


def _intrusion(ctx, world: _World, batch: _Batch) -> bool:
    """Someone climbs the fence; a thermal camera sees a person there about 20 s later."""
    rng = ctx.rng
    sites = [s for s in world.facilities
             if s.ring and s.fences and any(not _silent(ctx, c, batch.now) for c in s.thermal)]
    if not sites:
        return False
    site = _pick_site(ctx, world, sites)
    camera = rng.choice([c for c in site.thermal if not _silent(ctx, c, batch.now)])
    where, segment = intrusion_point(site, camera, rng)
    batch.add(segment, "fence.alarm", type="climb", level=round(rng.uniform(0.85, 0.97), 2))
    _later(ctx, 6, segment, "fence.alarm", type="climb", level=round(rng.uniform(0.7, 0.9), 2))
    _later(ctx, rng.uniform(17, 24), camera, "camera.detection", label="person",
           score=round(rng.uniform(0.75, 0.95), 2), zone="fence_line", position=rounded(where))
    inside = toward(where, centre(site.ring), rng.uniform(15, 30))
    _later(ctx, rng.uniform(33, 40), camera, "camera.detection", label="person",
           score=round(rng.uniform(0.8, 0.97), 2), zone="yard", position=rounded(inside))
    return True


def _drone(ctx, world: _World, batch: _Batch) -> bool:
    """A drone crosses a terminal: three or four fixes of the port's drone detector inside it."""
    rng = ctx.rng
    detectors = [s for s in world.sites if s.drone is not None and not _silent(ctx, s.drone, batch.now)]
    if not detectors:
        return False
    port_site = rng.choice(detectors)
    terminals = [s for s in world.facilities if s.port.pk == port_site.port.pk and s.ring
                 and "terminal" in s.facility.name.lower()]
    if not terminals:
        return False
    terminal = _pick_site(ctx, world, terminals)
    model = rng.choice(DRONES)
    serial = f"1581F{rng.randint(10**8, 10**9 - 1)}"
    fix = point_inside(terminal.ring, rng)
    for k in range(rng.randint(3, 4)):
        attributes = {"position": rounded(fix), "model": model, "serial": serial,
                      "altitude_m": rng.randint(40, 120), "rssi": rng.randint(-82, -60)}
        if k == 0:
            batch.add(port_site.drone, "drone.detected", **attributes)
        else:
            _later(ctx, 15 * k, port_site.drone, "drone.detected", **attributes)
        fix = shift(fix, rng.uniform(-60, 60), rng.uniform(-60, 60))
    return True


def _watched_plate(ctx, world: _World, batch: _Batch) -> bool:
    """A truck whose plate is on the port's watch list drives up to a gate."""
    watched = world.watched
    gates = [s for s in world.facilities if s.anpr is not None and watched.get(s.port.pk)
             and not _silent(ctx, s.anpr, batch.now)]
    if not gates:
        return False
    site = _pick_site(ctx, world, gates)
    batch.add(site.anpr, "anpr.read", plate=ctx.rng.choice(watched[site.port.pk]),
              confidence=round(ctx.rng.uniform(0.9, 0.99), 2), direction="in", country="BE")
    return True


def _camera_down(ctx, world: _World, batch: _Batch) -> bool:
    """A camera stops sending anything, heartbeats included, for longer than its setting."""
    cameras = [c for s in world.facilities for c in s.cameras
               if c.kind in (DeviceKind.THERMAL_CAMERA, DeviceKind.CAMERA) and not _silent(ctx, c, batch.now)]
    if len(cameras) < 2:
        return False
    camera = ctx.rng.choice(cameras)
    # In platform time: the silent-device job measures silence by the platform clock.
    minutes = camera.silent_after + ctx.rng.randint(10, 30)
    ctx.state.setdefault("silent", {})[camera.pk] = batch.now + timedelta(minutes=minutes)
    return True


INCIDENTS = {"intrusion": _intrusion, "drone": _drone, "plate": _watched_plate, "camera_down": _camera_down}


def _incident(ctx, world: _World, batch: _Batch, night: bool) -> None:
    rng = ctx.rng
    due = ctx.state.setdefault("next_incident", ctx.now + timedelta(seconds=FIRST_INCIDENT))
    if ctx.now < due:
        return
    ctx.state["next_incident"] = ctx.now + timedelta(seconds=rng.uniform(*INCIDENT_GAP))
    if "incidents" not in ctx.state:
        order = ["intrusion"]  # the first one: what the control room is for
    else:
        weights = {"intrusion": 3 if night else 1, "drone": 2, "plate": 2, "camera_down": 1}
        first = rng.choices(list(weights), list(weights.values()))[0]
        order = [first, *[name for name in INCIDENTS if name != first]]
    for name in order:  # the first that this port can stage
        if INCIDENTS[name](ctx, world, batch):
            ctx.state.setdefault("incidents", []).append((ctx.now, name))
            return


@scenario("controlroom.sensors", label="Control-room sensors: wind, wildlife, plates, heartbeats and incidents",
          every=STEP, first_after=5)
def sensors(ctx) -> float | None:
    world = _world(ctx)
    if world is None:
        return REFRESH  # no control room seeded: nothing to send
    now = clock.now()
    night = is_night(now, world.featured.port.time_zone)
    batch = _Batch(ctx, now)
    _due(ctx, world, batch)
    _incident(ctx, world, batch, night)
    _wind(ctx, world, batch, night)
    _wildlife(ctx, world, batch, night)
    _plates(ctx, world, batch, night)
    _heartbeats(ctx, world, batch)
    try:
        batch.send()
    except ServiceError:  # a device retired meanwhile: read the devices again and carry on
        ctx.state.pop("world", None)
        return RETRY_AFTER
    return None
