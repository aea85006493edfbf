"""What the operator's screen and the wall screen read: the visible ports' devices and open
alarms as GeoJSON for the map, the counts of the wall, an alarm's timeline and procedure,
and the snapshot of an event. Everything goes through the control room's selectors, so a
principal sees here exactly the devices and alarms it sees anywhere else."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from havenwatch.controlroom import selectors
from havenwatch.controlroom.choices import CAMERAS, AlarmEntryKind, AlarmState, DeviceKind
from havenwatch.controlroom.evaluation import device_position
from havenwatch.controlroom.models import Alarm, AlarmEntry, AlarmEvent, Device, Snapshot
from havenwatch.core import clock
from havenwatch.core import selectors as core_selectors
from havenwatch.core.principal import Principal
from havenwatch.core.templatetags.havenwatch import level_short

PRIORITIES = (1, 2, 3, 4, 5)
MAP_ALARMS = 500  # markers on the map; the queue and the counts still count every one
QUEUE_ROWS = 200


def is_silent(device: Device, now: datetime) -> bool:
    """Silent: nothing heard for ``silent_after`` minutes (since it was registered, if it
    has never spoken)."""
    heard = device.last_seen_at or device.created_at
    return heard is not None and heard < now - timedelta(minutes=device.silent_after)


def live_devices(*, principal: Principal) -> QuerySet[Device]:
    """The sensors the principal sees that are in service: retired ones are not drawn, nor
    the platform's sources (a gate's refusals, a terminal's pickups), which are not on the
    ground and are silent whenever nothing goes wrong."""
    return selectors.device_list(principal=principal).filter(retired_at__isnull=True).exclude(
        kind=DeviceKind.PLATFORM)


def _placed(point: dict | None) -> dict | None:
    """A point that is somewhere: (0, 0) is where a source without a place was put."""
    coordinates = point.get("coordinates") if isinstance(point, dict) else None
    if not isinstance(coordinates, list) or len(coordinates) < 2 or coordinates[:2] == [0, 0]:
        return None
    return point


def alarm_point(alarm: Alarm) -> dict | None:
    """Where an alarm sits on the map: its own position, else its device's."""
    position = alarm.position
    if isinstance(position, dict) and position.get("type") == "Point":
        return _placed(position)
    if alarm.device_id is not None and alarm.device is not None:
        point = device_position(alarm.device.geometry)
        if point is not None:
            return _placed({"type": "Point", "coordinates": list(point)})
    return None


def _device_features(devices: list[Device], now: datetime) -> list[dict]:
    features = []
    for device in devices:
        silent = is_silent(device, now)
        kind = "fence" if device.kind == DeviceKind.FENCE else "camera" if device.kind in CAMERAS else "sensor"
        properties = {
            "id": device.pk, "code": device.code, "name": device.name, "kind": device.kind, "shape": kind,
            "kind_label": str(device.get_kind_display()), "silent": silent,
            "label": f"{device.code} · {device.name}",
            "status": _("silent") if silent else "",
        }
        if isinstance(device.geometry, dict):
            features.append({"type": "Feature", "id": f"device-{device.pk}", "geometry": device.geometry,
                             "properties": {**properties, "layer": "device"}})
        if kind == "camera" and isinstance(device.field_of_view, dict):
            features.append({"type": "Feature", "id": f"fov-{device.pk}", "geometry": device.field_of_view,
                             "properties": {**properties, "layer": "field_of_view"}})
    return features


def _alarm_features(alarms: list[Alarm]) -> list[dict]:
    features = []
    for alarm in alarms:
        point = alarm_point(alarm)
        if point is None:
            continue
        features.append({"type": "Feature", "id": f"alarm-{alarm.pk}", "geometry": point, "properties": {
            "id": alarm.pk, "title": alarm.title, "priority": alarm.priority, "state": alarm.state,
            "state_label": str(alarm.get_state_display()), "count": alarm.count,
            "device": alarm.device.code if alarm.device_id else "",
            "label": f"P{alarm.priority} · {alarm.title}" + (f" ×{alarm.count}" if alarm.count > 1 else ""),
            "url": reverse("controlroom:alarm", args=[alarm.pk]),
            "panel_url": reverse("controlroom:alarm_panel", args=[alarm.pk]),
        }})
    return features


def _outline(principal: Principal, port_ids: set[int]) -> tuple[dict, list[dict]]:
    """What ``havenwatch/map.js`` draws (the first port's boundary and the visible facilities'
    outlines, in the colour of their level), and the boundaries of any further ports."""
    ports = list(core_selectors.port_list(principal=principal).filter(pk__in=sorted(port_ids)).order_by("name"))
    facilities = []
    if ports and principal.has_perm("core.view_facility"):
        facilities = [f for f in core_selectors.facility_list(principal=principal).filter(
            port__in=ports, is_active=True).order_by("name") if f.geometry]

    def port_item(port):
        return {"name": port.name, "level": port.security_level, "label": level_short(port.security_level),
                "geometry": port.boundary}

    outline = {
        "port": port_item(ports[0]) if ports else None,
        "facilities": [{"name": f.name, "level": f.effective_security_level,
                        "label": level_short(f.effective_security_level), "geometry": f.geometry}
                       for f in facilities],
    }
    return outline, [port_item(port) for port in ports[1:] if port.boundary]


def alarm_counts(*, principal: Principal, now: datetime | None = None, devices: list[Device] | None = None) -> dict:
    """The wall's numbers: open alarms by priority (and how many are new), silent devices."""
    now = now or clock.now()
    by_priority = dict(selectors.alarm_queue(principal=principal).order_by().values("priority")
                       .annotate(n=Count("id")).values_list("priority", "n"))
    new = selectors.alarm_queue(principal=principal).filter(state=AlarmState.NEW).count()
    if devices is None:
        devices = list(live_devices(principal=principal).select_related(None).only(
            "pk", "last_seen_at", "created_at", "silent_after"))
    silent = sum(1 for device in devices if is_silent(device, now))
    return {"open": {str(p): by_priority.get(p, 0) for p in PRIORITIES}, "total": sum(by_priority.values()),
            "new": new, "silent": silent}


def screen_ports(*, principal: Principal) -> set[int]:
    """The ports the screen shows: those of the devices and open alarms the principal sees,
    and those its organisation is an authority over."""
    ids = set(live_devices(principal=principal).order_by().values_list("port_id", flat=True).distinct())
    ids |= set(selectors.alarm_queue(principal=principal).order_by().values_list("port_id", flat=True).distinct())
    if not principal.unrestricted:
        ids |= set(principal.jurisdiction_port_ids)
    return ids


def screen_map(*, principal: Principal, now: datetime | None = None) -> dict:
    """Everything the map draws, as JSON: the outline for ``map.js``, the devices (fences as
    lines, cameras with their fields of view, silent ones flagged) and the open alarms."""
    now = now or clock.now()
    devices = list(live_devices(principal=principal).order_by("code"))
    alarms = list(selectors.alarm_queue(principal=principal)[:MAP_ALARMS])
    outline, more_ports = _outline(principal, screen_ports(principal=principal))
    return {
        "outline": outline,
        "ports": more_ports,
        "devices": {"type": "FeatureCollection", "features": _device_features(devices, now)},
        "alarms": {"type": "FeatureCollection", "features": _alarm_features(alarms)},
        "counts": alarm_counts(principal=principal, now=now, devices=devices),
    }


def queue(*, principal: Principal) -> tuple[list[Alarm], int]:
    """The open alarms most urgent first (at most ``QUEUE_ROWS``), and how many there are."""
    qs = selectors.alarm_queue(principal=principal)
    rows = list(qs[:QUEUE_ROWS])
    total = len(rows) if len(rows) < QUEUE_ROWS else qs.count()
    return rows, total


# --- one alarm -------------------------------------------------------------------------------


@dataclass
class Step:
    index: int
    text: str
    entry: AlarmEntry | None

    @property
    def state(self) -> str:
        if self.entry is None:
            return "open"
        return "done" if self.entry.kind == AlarmEntryKind.STEP_DONE else "skipped"


def alarm_timeline(*, principal: Principal, alarm: Alarm) -> list[AlarmEntry]:
    """The alarm's timeline, oldest first (the alarm is one the principal sees)."""
    return list(AlarmEntry.objects.filter(alarm=alarm).select_related("user").order_by("at", "id"))


def alarm_steps(alarm: Alarm, timeline: list[AlarmEntry]) -> list[Step]:
    """The alarm's procedure, each step with the entry that settled it (done or skipped)."""
    settled = {e.step: e for e in timeline
               if e.kind in (AlarmEntryKind.STEP_DONE, AlarmEntryKind.STEP_SKIPPED) and e.step is not None}
    return [Step(index, text, settled.get(index)) for index, text in enumerate(alarm.sop_steps or [])]


def event_snapshot(*, principal: Principal, event_id: int) -> Snapshot | None:
    """An event's snapshot, for a principal who sees the event or an alarm raised from it;
    ``None`` otherwise (and when there is none)."""
    visible = selectors.event_list(principal=principal).filter(pk=event_id).exists() or AlarmEvent.objects.filter(
        event_id=event_id, alarm__in=selectors.alarm_list(principal=principal).values("pk")).exists()
    if not visible:
        return None
    return Snapshot.objects.filter(event_id=event_id).first()
