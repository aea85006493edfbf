"""The evaluator: offers stored sensor events to the compiled rules, in id order, and
raises alarms from what fires (design: ``docs/controlroom.md``, "Evaluation").

Losing nothing: events are committed by ingestion first. A round reads the events after
the evaluator's offset (core's :class:`~havenwatch.core.models.ConsumerOffset`, named
``controlroom.evaluator``), writes its alarms and moves the offset **in one
transaction**. A crash anywhere in a round rolls all of it back; the next round offers
the same events again. Nothing is evaluated twice and nothing is skipped.

Fast: the request that accepted a batch runs a round right after its commit, so an alarm
is on the stream within the request; the worker runs rounds as the safety net (a
request that died after its commit, events from other processes). One process holds one
engine: the compiled rules of every port and their windows. A round runs under a
process lock and, on PostgreSQL, the offset row's lock (``skip_locked``: a busy
evaluator elsewhere will take the batch).

The windows (threshold counts, correlation candidates) live in memory. When the engine
is new, the rules or watch lists changed, or another process moved the offset, the
engine is built again and the recent events (the longest window back) are replayed into
it without raising anything, so a correlation spanning two rounds, or a restart, still
fires.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import NamedTuple

from django.db import connection, transaction
from django.db.models import Count, F, Max

from havenwatch.controlroom import rules as rule_language
from havenwatch.controlroom.choices import RuleStatus
from havenwatch.controlroom.models import Device, Rule, SensorEvent, Watchlist, WatchlistEntry
from havenwatch.core import clock
from havenwatch.core.models import ConsumerOffset, Facility, Port
from havenwatch.core.periodic import periodic

log = logging.getLogger(__name__)

CONSUMER = "controlroom.evaluator"
ROUND = 5_000
REPLAY_LIMIT = 50_000
_lock = threading.Lock()
_engine: Engine | None = None


class Row(NamedTuple):
    """What the evaluator reads of a stored event (a tuple: a round reads thousands)."""

    pk: int
    device_id: int
    port_id: int
    kind: str
    occurred_at: datetime
    attributes: dict


ROW_FIELDS = ("id", "device_id", "port_id", "kind", "occurred_at", "attributes")


def read_rows(queryset) -> list[Row]:
    return [Row(*values) for values in queryset.values_list(*ROW_FIELDS)]


@dataclass(frozen=True)
class Place:
    """What rules need of a device, cached per engine."""

    port_id: int
    facility_id: int | None
    facility: str | None  # ISPS number
    position: tuple[float, float] | None


def device_position(geometry: dict | None) -> tuple[float, float] | None:
    """A device's point: its own, or the middle vertex of a fence segment's line."""
    if not isinstance(geometry, dict):
        return None
    coordinates = geometry.get("coordinates")
    try:
        if geometry.get("type") == "Point":
            return float(coordinates[0]), float(coordinates[1])
        if geometry.get("type") == "LineString" and coordinates:
            lon = sum(float(c[0]) for c in coordinates) / len(coordinates)
            lat = sum(float(c[1]) for c in coordinates) / len(coordinates)
            return lon, lat
    except (TypeError, ValueError, IndexError):
        return None
    return None


def place_of(device: Device) -> Place:
    """A device's place (read with its facility's ISPS number)."""
    return Place(device.port_id, device.facility_id, device.facility.isps_number if device.facility_id else None,
                 device_position(device.geometry))


def make_event(pk: int, device_id: int, kind: str, occurred_at: datetime, attributes: dict | None, place: Place,
               levels: dict) -> rule_language.Event:
    """What rules see of a stored event: its own position if it has one (a drone), else its
    device's; the level in force at its facility, else its port. The live evaluator and
    "would it have fired?" both make events here."""
    attributes = attributes or {}
    position = attributes.get("position")
    position = (float(position[0]), float(position[1])) if isinstance(position, list) else place.position
    zone = attributes.get("zone")
    return rule_language.Event(
        id=pk, kind=kind, occurred_at=occurred_at, device_id=device_id, facility=place.facility,
        zone=zone if isinstance(zone, str) else None, position=position,
        level=levels.get(("facility", place.facility_id)) or levels.get(("port", place.port_id), 1),
        attributes=attributes)


class Engine:
    """The compiled rules of every port, their windows, and the places of devices."""

    def __init__(self, fingerprint: tuple) -> None:
        self.fingerprint = fingerprint
        self.offset = 0
        self.sources: dict[tuple[int, str], Rule] = {}
        self.evaluators: dict[int, rule_language.Evaluator] = {}
        self.places: dict[int, Place] = {}
        self.longest = timedelta(0)
        compiled: dict[int, list[rule_language.Rule]] = {}
        for rule in Rule.objects.filter(status=RuleStatus.ACTIVE).select_related("facility"):
            try:
                parsed = rule_language.parse_rule(rule.text)
            except rule_language.RuleError:
                log.error("rule %s of port %s does not compile; it is skipped", rule.code, rule.port_id)
                continue
            if rule.facility_id is not None:  # a facility's rule sees only its facility's events
                parsed = replace(parsed, facility=rule.facility.isps_number)
            compiled.setdefault(rule.port_id, []).append(parsed)
            self.sources[(rule.port_id, rule.code)] = rule
            self.longest = max(self.longest, parsed.within or timedelta(0))
        lists: dict[int, dict[str, set[str]]] = {}
        for port_id, code, value in WatchlistEntry.objects.values_list("watchlist__port_id", "watchlist__code",
                                                                         "value"):
            lists.setdefault(port_id, {}).setdefault(code, set()).add(value)
        for port_id, port_rules in compiled.items():
            watchlists = {code: frozenset(values) for code, values in lists.get(port_id, {}).items()}
            self.evaluators[port_id] = rule_language.Evaluator(port_rules, watchlists)

    @property
    def kinds(self) -> set[str]:
        return {kind for evaluator in self.evaluators.values() for kind in evaluator.by_kind}

    def place(self, device_id: int) -> Place:
        place = self.places.get(device_id)
        if place is None:
            self.load_places([device_id])
            place = self.places[device_id]
        return place

    def load_places(self, device_ids) -> None:
        missing = [pk for pk in set(device_ids) if pk not in self.places]
        for device in Device.objects.filter(pk__in=missing).select_related("facility").only(
                "pk", "port_id", "facility_id", "facility__isps_number", "geometry"):
            self.places[device.pk] = place_of(device)

    def to_event(self, row: Row, levels: dict) -> rule_language.Event:
        return make_event(row.pk, row.device_id, row.kind, row.occurred_at, row.attributes,
                          self.place(row.device_id), levels)

    def offer(self, rows: list[Row], levels: dict) -> list[tuple[rule_language.Firing, Rule, int]]:
        """The firings of ``rows``, each with the rule's row and the port it fired in."""
        self.load_places([row.device_id for row in rows])
        firings = []
        for row in rows:
            evaluator = self.evaluators.get(row.port_id)
            if evaluator is None or row.kind not in evaluator.by_kind:
                continue
            for firing in evaluator.offer(self.to_event(row, levels)):
                firings.append((firing, self.sources[(row.port_id, firing.rule.code)], row.port_id))
        return firings


def fingerprint() -> tuple:
    """Changes when a rule or a watch list does: the engine is then built again."""
    rules = Rule.objects.aggregate(at=Max("updated_at"), n=Count("id"))
    lists = Watchlist.objects.aggregate(at=Max("updated_at"), n=Count("id"))
    return rules["at"], rules["n"], lists["at"], lists["n"]


def security_levels() -> dict:
    """The level in force at each port and facility, now."""
    levels: dict = {("port", pk): level for pk, level in Port.objects.values_list("pk", "security_level")}
    for pk, port_id, level in Facility.objects.values_list("pk", "port_id", "security_level"):
        levels[("facility", pk)] = max(level, levels.get(("port", port_id), 1))
    return levels


def _build(offset: int, print_: tuple) -> Engine:
    """A new engine, with the events of its longest window replayed into it (firing nothing)."""
    engine = Engine(print_)
    kinds = engine.kinds
    if kinds and engine.longest and offset:
        since = clock.now() - engine.longest
        recent = read_rows(SensorEvent.objects.filter(id__lte=offset, occurred_at__gte=since, kind__in=sorted(kinds))
                           .order_by("-id")[:REPLAY_LIMIT])
        recent.reverse()
        engine.offer(recent, security_levels())
    engine.offset = offset
    return engine


def _offset_row() -> ConsumerOffset | None:
    locked = ConsumerOffset.objects.select_for_update(skip_locked=connection.vendor == "postgresql")
    return locked.filter(consumer=CONSUMER).first()


def _round(limit: int) -> tuple[int, int]:
    global _engine
    from havenwatch.controlroom.services.alarms import alarms_raise

    with transaction.atomic():
        offset = _offset_row()
        if offset is None:  # another process is evaluating
            return 0, 0
        rows = read_rows(SensorEvent.objects.filter(id__gt=offset.sequence).order_by("id")[:limit])
        if not rows:
            return 0, 0
        print_ = fingerprint()
        if _engine is None or _engine.offset != offset.sequence or _engine.fingerprint != print_:
            _engine = _build(offset.sequence, print_)
        engine = _engine
        try:
            firings = engine.offer(rows, security_levels())
            raised = alarms_raise(firings)
            offset.sequence = rows[-1].pk
            offset.failures = 0
            offset.last_error = ""
            offset.save(update_fields=["sequence", "failures", "last_error", "updated_at"])
        except BaseException:
            _engine = None  # its windows hold events that were not committed
            raise
        engine.offset = offset.sequence
    return len(rows), len(raised)


def run(*, limit: int = ROUND, rounds: int = 100) -> int:
    """Evaluate what is waiting. Returns the number of events offered; 0 when another
    thread of this process is at it (it will take these events too)."""
    return _run(limit, rounds)[0]


def run_counting(*, limit: int = ROUND, rounds: int = 100) -> int:
    """:func:`run`, returning the number of alarms raised instead."""
    return _run(limit, rounds)[1]


def _run(limit: int, rounds: int) -> tuple[int, int]:
    global _engine
    if not _lock.acquire(blocking=False):
        return 0, 0
    try:
        ConsumerOffset.objects.get_or_create(consumer=CONSUMER)  # outside the round: a failure is counted on it
        done = raised = 0
        for _ in range(rounds):
            try:
                n, r = _round(limit)
            except Exception:
                _engine = None
                raise
            done += n
            raised += r
            if n < limit:
                break
        return done, raised
    finally:
        _lock.release()


def reset() -> None:
    """Forget the engine (tests; a process that restored a database)."""
    global _engine
    with _lock:
        _engine = None


@periodic("controlroom.evaluate", every=1)
def evaluate_waiting() -> int:
    """The safety net: events that no request evaluated (it died after its commit, or
    the events came from another process). A failure is counted on the offset and the
    round is tried again at the next turn, from the same event."""
    try:
        return run()
    except Exception as exc:
        log.exception("the control-room evaluator failed; it retries at its next turn")
        ConsumerOffset.objects.filter(consumer=CONSUMER).update(
            failures=F("failures") + 1, last_error=str(exc)[:2000])
        return 0
