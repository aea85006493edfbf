"""Control-room rules: YAML a port security officer can read and edit, compiled into
matchers that an evaluator offers each sensor event to (design: ``docs/controlroom.md``).

This module is pure: it knows sensor events only as :class:`Event` values and touches no
database, so the same compiled rule serves the live evaluator and "would this rule have
fired last week?". Kinds built so far:

``single``       one event of a kind, with attribute conditions
``threshold``    ``count`` events of the conditions within ``within``, grouped ``per``
                 device, zone or facility
``correlation``  the conditions of ``when`` met in order, each within ``within`` of the
                 first and (``near``) within a distance of it
``geofence``     an event whose position lies inside one of the rule's polygons
``watchlist``    an event whose attribute (``plate`` by default) is on a named list
``absence``      a device silent for longer than its registry's *silent after*: the
                 ``device.silent`` events the platform writes for it (optionally only for
                 some kinds of device: ``devices: [thermal_camera, camera]``)

Every rule may require a security level (``at_level: ">= 2"``) and an area (a facility,
by its ISPS number). ``suppress`` (flood protection) is the evaluator's, not the
matcher's: a rule only says by what key and for how long.

Example::

    code: verified-intrusion
    kind: correlation
    title: Verified intrusion over the fence
    priority: 1
    at_level: ">= 1"
    when:
      - kind: fence.alarm
      - kind: camera.detection
        where: {label: person, score: ">= 0.7"}
    within: 60s
    near: 150m
    suppress: {per: device, for: 10m}
"""

from __future__ import annotations

import math
import re
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import yaml
from django.utils.translation import gettext as _

KINDS = ("single", "threshold", "correlation", "geofence", "watchlist", "absence")
SILENT = "device.silent"
GROUPS = ("device", "zone", "facility")
CODE_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,63}$")
EVENT_KIND_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")
DURATION_RE = re.compile(r"^\s*(\d+)\s*(s|m|h)\s*$")
DISTANCE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(m|km)\s*$")
COMPARISON_RE = re.compile(r"^\s*(>=|<=|>|<|==|!=)\s*(-?\d+(?:\.\d+)?)\s*$")
MAX_TEXT = 20_000


class RuleError(ValueError):
    """A rule that cannot be compiled: ``where`` says which key, ``message`` what is wrong."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}" if where else message)
        self.where = where
        self.message = message


# --- what a rule sees of a sensor event ------------------------------------------------------


@dataclass(frozen=True)
class Event:
    id: int
    kind: str
    occurred_at: datetime
    device_id: int
    facility: str | None = None  # the facility's ISPS number
    zone: str | None = None
    position: tuple[float, float] | None = None  # (longitude, latitude)
    level: int = 1  # the security level in force where the event happened
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Firing:
    """A rule fired: its events (oldest first) and the key its suppression groups by."""

    rule: Rule
    events: tuple[Event, ...]
    key: tuple

    @property
    def last(self) -> Event:
        return self.events[-1]


# --- parsing -----------------------------------------------------------------------------


def _duration(value, where: str) -> timedelta:
    match = DURATION_RE.match(str(value)) if isinstance(value, (str, int)) else None
    if match is None:
        raise RuleError(where, _("write a duration as a number and s, m or h, e.g. 60s or 10m"))
    amount, unit = int(match.group(1)), match.group(2)
    seconds = amount * {"s": 1, "m": 60, "h": 3600}[unit]
    if not 0 < seconds <= 7 * 24 * 3600:
        raise RuleError(where, _("a duration is more than 0 and at most 7 days"))
    return timedelta(seconds=seconds)


def _distance(value, where: str) -> float:
    match = DISTANCE_RE.match(str(value)) if isinstance(value, (str, int, float)) else None
    if match is None:
        raise RuleError(where, _("write a distance as a number and m or km, e.g. 150m"))
    metres = float(match.group(1)) * (1000 if match.group(2) == "km" else 1)
    if not 0 < metres <= 50_000:
        raise RuleError(where, _("a distance is more than 0 and at most 50 km"))
    return metres


@dataclass(frozen=True)
class Predicate:
    """One attribute condition: equal to a value, one of a list, or a number comparison."""

    name: str
    op: str
    value: Any

    def holds(self, attributes: dict[str, Any]) -> bool:
        if self.name not in attributes:
            return False
        actual = attributes[self.name]
        if self.op == "in":
            return actual in self.value
        if self.op == "=":
            return actual == self.value
        if isinstance(actual, bool) or not isinstance(actual, (int, float)):
            return False
        return {">=": actual >= self.value, "<=": actual <= self.value, ">": actual > self.value,
                "<": actual < self.value, "==": actual == self.value, "!=": actual != self.value}[self.op]


def _predicates(where_map, where: str) -> tuple[Predicate, ...]:
    if where_map is None:
        return ()
    if not isinstance(where_map, dict):
        raise RuleError(where, _("write the conditions as name: value pairs"))
    found = []
    for name, value in where_map.items():
        key = f"{where}.{name}"
        if not isinstance(name, str) or not name:
            raise RuleError(where, _("an attribute is named by a word"))
        if isinstance(value, list):
            found.append(Predicate(name, "in", tuple(value)))
        elif isinstance(value, str) and COMPARISON_RE.match(value):
            op, number = COMPARISON_RE.match(value).groups()
            found.append(Predicate(name, op, float(number)))
        elif isinstance(value, (str, int, float, bool)):
            found.append(Predicate(name, "=", value))
        else:
            raise RuleError(key, _("a condition is a value, a list of values or a comparison such as \">= 0.7\""))
    return tuple(found)


@dataclass(frozen=True)
class Condition:
    kind: str
    where: tuple[Predicate, ...] = ()

    def matches(self, event: Event) -> bool:
        return event.kind == self.kind and all(p.holds(event.attributes) for p in self.where)


def _condition(item, where: str) -> Condition:
    if not isinstance(item, dict) or "kind" not in item:
        raise RuleError(where, _("each condition names the event kind, e.g. kind: fence.alarm"))
    unknown = set(item) - {"kind", "where"}
    if unknown:
        raise RuleError(where, _("unknown key(s) %(keys)s") % {"keys": ", ".join(sorted(map(str, unknown)))})
    kind = item["kind"]
    if not isinstance(kind, str) or not EVENT_KIND_RE.match(kind):
        raise RuleError(f"{where}.kind", _("an event kind is dotted lower-case words, e.g. camera.detection"))
    return Condition(kind=kind, where=_predicates(item.get("where"), f"{where}.where"))


@dataclass(frozen=True)
class Rule:
    code: str
    kind: str
    title: str
    priority: int
    conditions: tuple[Condition, ...]
    within: timedelta | None = None
    near: float | None = None
    count: int = 1
    per: str = "device"
    facility: str | None = None
    min_level: int = 1
    polygons: tuple[tuple[tuple[float, float], ...], ...] = ()
    watchlist: str | None = None
    attribute: str = "plate"
    suppress_per: str = "device"
    suppress_for: timedelta = timedelta(minutes=10)
    sop: str | None = None

    @property
    def kinds(self) -> frozenset[str]:
        return frozenset(c.kind for c in self.conditions)


TOP_KEYS = {"code", "kind", "title", "priority", "when", "within", "near", "count", "per", "area", "at_level",
            "polygons", "watchlist", "attribute", "suppress", "sop", "description", "devices"}
DEVICE_KIND_RE = re.compile(r"^[a-z][a-z_]{1,31}$")


def parse_rule(text: str) -> Rule:
    """A rule from its YAML text, or :class:`RuleError` naming the key at fault."""
    if not isinstance(text, str) or not text.strip():
        raise RuleError("", _("the rule is empty"))
    if len(text) > MAX_TEXT:
        raise RuleError("", _("a rule has at most %(n)s characters") % {"n": MAX_TEXT})
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        place = f"line {mark.line + 1}" if mark is not None else ""
        raise RuleError(place, _("this is not valid YAML")) from None
    if not isinstance(data, dict):
        raise RuleError("", _("a rule is a set of keys (code, kind, title, when, ...)"))
    unknown = set(data) - TOP_KEYS
    if unknown:
        raise RuleError("", _("unknown key(s) %(keys)s") % {"keys": ", ".join(sorted(map(str, unknown)))})
    code = data.get("code")
    if not isinstance(code, str) or not CODE_RE.match(code):
        raise RuleError("code", _("a code is 2 to 64 lower-case letters, digits and dashes, e.g. verified-intrusion"))
    kind = data.get("kind")
    if kind not in KINDS:
        raise RuleError("kind", _("the kind is one of %(kinds)s") % {"kinds": ", ".join(KINDS)})
    title = data.get("title")
    if not isinstance(title, str) or not title.strip() or len(title) > 160:
        raise RuleError("title", _("give a title of at most 160 characters: operators read it in the queue"))
    priority = data.get("priority", 3)
    if not isinstance(priority, int) or isinstance(priority, bool) or not 1 <= priority <= 5:
        raise RuleError("priority", _("the priority is 1 (highest) to 5"))
    when = data.get("when")
    if kind == "absence":
        when = _absence_when(when, data.get("devices"))
    elif "devices" in data:
        raise RuleError("devices", _("only an absence rule chooses devices by kind"))
    if isinstance(when, dict):
        when = [when]
    if not isinstance(when, list) or not when:
        raise RuleError("when", _("say which events the rule looks at"))
    conditions = tuple(_condition(item, f"when[{i}]") for i, item in enumerate(when))
    fields: dict[str, Any] = {"code": code, "kind": kind, "title": title.strip(), "priority": priority,
                              "conditions": conditions}
    _area(data, fields)
    _suppress(data.get("suppress"), fields)
    if data.get("sop") is not None:
        if not isinstance(data["sop"], str) or not CODE_RE.match(data["sop"]):
            raise RuleError("sop", _("name the procedure by its code"))
        fields["sop"] = data["sop"]
    _kind_keys(kind, data, conditions, fields)
    return Rule(**fields)


def _absence_when(when, devices) -> list[dict]:
    """An absence rule looks at the platform's ``device.silent`` events, of some kinds of device."""
    if when is not None:
        raise RuleError("when", _("an absence rule looks at %(kind)s events: choose devices with devices: [...]") % {"kind": SILENT})
    condition: dict = {"kind": SILENT}
    if devices is not None:
        if (not isinstance(devices, list) or not devices
                or not all(isinstance(d, str) and DEVICE_KIND_RE.match(d) for d in devices)):
            raise RuleError("devices", _("list the kinds of device, e.g. [thermal_camera, camera]"))
        condition["where"] = {"device_kind": devices}
    return [condition]


def _area(data: dict, fields: dict) -> None:
    area = data.get("area")
    if area is not None:
        if not isinstance(area, dict) or set(area) - {"facility"} or not isinstance(area.get("facility"), str):
            raise RuleError("area", _("write the area as facility: <ISPS number>, or leave it out for the port"))
        fields["facility"] = area["facility"].strip().upper()
    level = data.get("at_level")
    if level is not None:
        match = re.match(r"^\s*>=\s*([1-3])\s*$", str(level))
        if match is None:
            raise RuleError("at_level", _("write the lowest security level the rule applies at, e.g. \">= 2\""))
        fields["min_level"] = int(match.group(1))


def _suppress(value, fields: dict) -> None:
    if value is None:
        return
    if not isinstance(value, dict) or set(value) - {"per", "for"}:
        raise RuleError("suppress", _("write suppress as per: device|zone|facility and for: a duration"))
    if "per" in value:
        if value["per"] not in GROUPS:
            raise RuleError("suppress.per", _("group by one of %(groups)s") % {"groups": ", ".join(GROUPS)})
        fields["suppress_per"] = value["per"]
    if "for" in value:
        fields["suppress_for"] = _duration(value["for"], "suppress.for")


def _kind_keys(kind: str, data: dict, conditions: tuple[Condition, ...], fields: dict) -> None:
    allowed = {
        "single": set(),
        "threshold": {"count", "within", "per"},
        "correlation": {"within", "near"},
        "geofence": {"polygons"},
        "watchlist": {"watchlist", "attribute"},
        "absence": set(),
    }[kind]
    for key in ("count", "within", "per", "near", "polygons", "watchlist", "attribute"):
        if key in data and key not in allowed:
            raise RuleError(key, _("a %(kind)s rule has no %(key)s") % {"kind": kind, "key": key})
    if kind != "correlation" and len(conditions) > 1:
        raise RuleError("when", _("a %(kind)s rule looks at one kind of event; a correlation rule at several") % {"kind": kind})
    if kind == "threshold":
        count = data.get("count")
        if not isinstance(count, int) or isinstance(count, bool) or not 2 <= count <= 10_000:
            raise RuleError("count", _("a threshold counts 2 to 10,000 events"))
        fields["count"] = count
        fields["within"] = _duration(data.get("within"), "within")
        per = data.get("per", "device")
        if per not in GROUPS:
            raise RuleError("per", _("group by one of %(groups)s") % {"groups": ", ".join(GROUPS)})
        fields["per"] = per
    elif kind == "correlation":
        if len(conditions) < 2:
            raise RuleError("when", _("a correlation looks at two events or more"))
        fields["within"] = _duration(data.get("within"), "within")
        if data.get("near") is not None:
            fields["near"] = _distance(data["near"], "near")
    elif kind == "geofence":
        fields["polygons"] = _polygons(data.get("polygons"))
    elif kind == "watchlist":
        name = data.get("watchlist")
        if not isinstance(name, str) or not CODE_RE.match(name):
            raise RuleError("watchlist", _("name the list by its code"))
        fields["watchlist"] = name
        attribute = data.get("attribute", "plate")
        if not isinstance(attribute, str) or not attribute:
            raise RuleError("attribute", _("name the attribute the list is checked against"))
        fields["attribute"] = attribute


def _polygons(value) -> tuple[tuple[tuple[float, float], ...], ...]:
    """Polygons as lists of [longitude, latitude] (a GeoJSON ring, closed or not)."""
    if not isinstance(value, list) or not value:
        raise RuleError("polygons", _("give one polygon or more, each a list of [longitude, latitude] points"))
    rings = []
    for i, ring in enumerate(value):
        where = f"polygons[{i}]"
        if not isinstance(ring, list) or len(ring) < 3:
            raise RuleError(where, _("a polygon has three points or more"))
        points = []
        for point in ring:
            if (not isinstance(point, list) or len(point) != 2
                    or not all(isinstance(c, (int, float)) and not isinstance(c, bool) for c in point)):
                raise RuleError(where, _("each point is [longitude, latitude]"))
            lon, lat = float(point[0]), float(point[1])
            if not (-180 <= lon <= 180 and -90 <= lat <= 90):
                raise RuleError(where, _("a point is outside the world's coordinates"))
            points.append((lon, lat))
        if points[0] == points[-1]:
            points.pop()
        if len(points) < 3:
            raise RuleError(where, _("a polygon has three distinct points or more"))
        rings.append(tuple(points))
    return tuple(rings)


# --- geometry (port scale: metres on a sphere are plenty) ---------------------------------------


def distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in metres between two (longitude, latitude) points."""
    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6_371_000 * math.asin(min(1.0, math.sqrt(h)))


def inside(point: tuple[float, float], ring: tuple[tuple[float, float], ...]) -> bool:
    """Whether ``point`` lies inside the polygon ``ring`` (ray casting; a port is small and
    far from the poles and the date line)."""
    x, y = point
    hit = False
    j = len(ring) - 1
    for i, (xi, yi) in enumerate(ring):
        xj, yj = ring[j]
        if (yi > y) != (yj > y) and x < (xj - xi) * (y - yi) / (yj - yi) + xi:
            hit = not hit
        j = i
    return hit


# --- evaluation ----------------------------------------------------------------------------


def listed_form(value) -> str | None:
    """A value as watch lists keep it: letters and digits in capitals, without the spaces,
    dots and dashes plates are written with ("1-ABC-123", "1 ABC 123" and "1abc123" are
    one plate). ``None`` when nothing is left."""
    if not isinstance(value, str):
        return None
    value = re.sub(r"[\s.\-]", "", value).upper()
    return value or None


def _group(event: Event, per: str):
    return {"device": event.device_id, "zone": event.zone, "facility": event.facility}[per]


class Evaluator:
    """The compiled rules and their windows. ``offer(event)`` in time order returns the
    firings; ``watchlists`` maps a list's code to its (normalised) entries."""

    def __init__(self, rules: Iterable[Rule], watchlists: dict[str, frozenset[str]] | None = None) -> None:
        self.rules = list(rules)
        self.watchlists = watchlists or {}
        self.by_kind: dict[str, list[Rule]] = {}
        for rule in self.rules:
            for kind in rule.kinds:
                self.by_kind.setdefault(kind, []).append(rule)
        self._windows: dict[tuple, deque[Event]] = {}

    def offer(self, event: Event) -> list[Firing]:
        firings = []
        for rule in self.by_kind.get(event.kind, ()):
            if event.level < rule.min_level or (rule.facility and event.facility != rule.facility):
                continue
            firing = getattr(self, f"_{rule.kind}")(rule, event)
            if firing is not None:
                firings.append(firing)
        return firings

    def _key(self, rule: Rule, event: Event) -> tuple:
        return (rule.code, _group(event, rule.suppress_per))

    def _single(self, rule: Rule, event: Event) -> Firing | None:
        if rule.conditions[0].matches(event):
            return Firing(rule, (event,), self._key(rule, event))
        return None

    def _window(self, key: tuple, now: datetime, within: timedelta) -> deque[Event]:
        window = self._windows.setdefault(key, deque())
        while window and window[0].occurred_at <= now - within:
            window.popleft()
        return window

    def _threshold(self, rule: Rule, event: Event) -> Firing | None:
        if not rule.conditions[0].matches(event):
            return None
        window = self._window(("threshold", rule.code, _group(event, rule.per)), event.occurred_at, rule.within)
        window.append(event)
        if len(window) < rule.count:
            return None
        events = tuple(window)
        window.clear()  # counted once: the next firing needs ``count`` new events
        return Firing(rule, events, self._key(rule, event))

    def _correlation(self, rule: Rule, event: Event) -> Firing | None:
        """Each condition's candidates are kept for ``within``; an event that meets the last
        condition fires with the nearest earlier candidates of the others, in order."""
        matched = [i for i, condition in enumerate(rule.conditions) if condition.matches(event)]
        if not matched:
            return None
        firing = None
        if matched[-1] == len(rule.conditions) - 1:
            chain = self._chain(rule, event)
            if chain is not None:
                firing = Firing(rule, (*chain, event), self._key(rule, chain[0]))
                for i in range(len(rule.conditions) - 1):
                    self._windows.pop(("correlation", rule.code, i), None)
        if firing is None:
            for i in matched:
                if i < len(rule.conditions) - 1:
                    self._window(("correlation", rule.code, i), event.occurred_at, rule.within).append(event)
        return firing

    def _chain(self, rule: Rule, last: Event) -> list[Event] | None:
        chain: list[Event] = []
        for i in range(len(rule.conditions) - 1):
            window = self._window(("correlation", rule.code, i), last.occurred_at, rule.within)
            before = chain[-1].occurred_at if chain else None
            candidates = [e for e in window if (before is None or e.occurred_at >= before)
                          and last.occurred_at - e.occurred_at < rule.within and self._near(rule, e, last)]
            if not candidates:
                return None
            chain.append(candidates[-1])
        return chain

    @staticmethod
    def _near(rule: Rule, a: Event, b: Event) -> bool:
        if rule.near is None:
            return True
        if a.position is None or b.position is None:
            return False
        return distance_m(a.position, b.position) <= rule.near

    _absence = _single  # the silence is the event: the platform writes it when a device falls silent

    def _geofence(self, rule: Rule, event: Event) -> Firing | None:
        if not rule.conditions[0].matches(event) or event.position is None:
            return None
        if any(inside(event.position, ring) for ring in rule.polygons):
            return Firing(rule, (event,), self._key(rule, event))
        return None

    def _watchlist(self, rule: Rule, event: Event) -> Firing | None:
        if not rule.conditions[0].matches(event):
            return None
        value = listed_form(event.attributes.get(rule.attribute))
        entries = self.watchlists.get(rule.watchlist, frozenset())
        if value is not None and value in entries:
            return Firing(rule, (event,), self._key(rule, event))
        return None
