"""Ingestion: sensor events in, durably, once.

Devices (or their gateways) send events in one normalised shape, one at a time or in
batches of up to 5,000. A batch is checked whole first: one bad row refuses it with every
row's error listed, and nothing is written. What is accepted is committed before the
answer: a 200 means the events are stored. The same event sent again (same device, same
event id: a gateway retrying after a lost answer) is recognised and ignored, so a sender
may always retry. Heartbeats are not stored; they only say the device is alive.

Rules run after the commit (:mod:`havenwatch.controlroom.evaluation`), never inside it:
accepting must not wait for, or fail with, evaluation.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from havenwatch.controlroom.models import Device, DeviceCredential, SensorEvent, Snapshot
from havenwatch.controlroom.rules import EVENT_KIND_RE
from havenwatch.core import bulk, clock, files
from havenwatch.core.authz import require
from havenwatch.core.errors import PermissionRefused, ValidationFailed
from havenwatch.core.principal import Principal

log = logging.getLogger(__name__)
MAX_BATCH = 5_000
MAX_ATTRIBUTES = 4_096  # bytes of JSON per event
MAX_SNAPSHOT = 2 * 1024 * 1024
FUTURE_SLACK = timedelta(minutes=5)  # clocks of devices drift
OLDEST = timedelta(days=7)  # a gateway may flush a week's buffer after an outage
HEARTBEAT = "device.heartbeat"
EXTERNAL_ID_RE = re.compile(r"^[\x21-\x7e]{1,120}$")  # printable, no spaces


@dataclass
class Result:
    accepted: int = 0
    duplicates: list[str] = field(default_factory=list)
    heartbeats: int = 0


@dataclass
class _Row:
    index: int
    device: Device
    external_id: str
    kind: str
    occurred_at: datetime
    attributes: dict
    snapshot: tuple[str, bytes] | None


def _devices_for(actor: Principal, codes: set[str], ids: set[int]) -> tuple[dict[str, list[Device]], dict[int, Device]]:
    """The devices ``actor`` may speak for, among those the batch names: a device token's
    own devices; for a person, the devices they manage; for the platform, any."""
    qs = Device.objects.all()
    if actor.is_system:
        pass
    elif actor.token is not None:
        if not DeviceCredential.objects.filter(token=actor.token).exists():
            raise PermissionRefused(_("This token speaks for no device: issue a device token to send events."))
        qs = qs.filter(credentials__token=actor.token)
    else:
        qs = Device.objects.restrict(actor, "controlroom.manage_devices")
    qs = qs.only("pk", "code", "port_id", "facility_id", "owner_id", "retired_at")  # all ingestion reads
    found = list(qs.filter(Q(code__in=sorted(codes)) | Q(pk__in=sorted(ids)))) if (codes or ids) else []
    by_code: dict[str, list[Device]] = {}
    for device in found:
        by_code.setdefault(device.code, []).append(device)
    return by_code, {device.pk: device for device in found}


def _error(errors: list[dict], index: int, field: str, message: str, code: str = "invalid") -> None:
    errors.append({"index": index, "field": field, "code": code, "message": str(message)})


def _device(item: dict, index: int, by_code, by_id, errors) -> Device | None:
    if item.get("device_id") is not None:
        device = by_id.get(item["device_id"])
        if device is None:
            _error(errors, index, "device_id", _("Unknown device, or not one this sender speaks for."),
                   "unknown_device")
            return None
    else:
        code = (item.get("device") or "").strip().upper()
        if not code:
            _error(errors, index, "device", _("Name the device by its code (or give device_id)."))
            return None
        candidates = by_code.get(code, [])
        if not candidates:
            _error(errors, index, "device", _("Unknown device %(code)s, or not one this sender speaks for.")
                   % {"code": code}, "unknown_device")
            return None
        if len(candidates) > 1:
            _error(errors, index, "device", _("%(code)s names devices in several ports: give device_id.")
                   % {"code": code})
            return None
        device = candidates[0]
    if device.retired_at is not None:
        _error(errors, index, "device", _("%(code)s is retired: it sends no more events.") % {"code": device.code},
               "device_retired")
        return None
    return device


def _attributes(value, index: int, errors) -> dict | None:
    if value is None:
        return {}
    if not isinstance(value, dict):
        _error(errors, index, "attributes", _("Attributes are a JSON object of names and values."))
        return None
    try:
        size = len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())
    except (TypeError, ValueError):
        _error(errors, index, "attributes", _("Attributes must be plain JSON."))
        return None
    if size > MAX_ATTRIBUTES:
        _error(errors, index, "attributes", _("Attributes take at most %(n)s bytes of JSON.") % {"n": MAX_ATTRIBUTES})
        return None
    position = value.get("position")
    if position is not None and not (
            isinstance(position, list) and len(position) == 2
            and all(isinstance(c, (int, float)) and not isinstance(c, bool) for c in position)
            and -180 <= position[0] <= 180 and -90 <= position[1] <= 90):
        _error(errors, index, "attributes.position", _("A position is [longitude, latitude]."))
        return None
    return value


def _snapshot(value, index: int, errors) -> tuple[str, bytes] | None | bool:
    """``None`` when there is none, ``False`` when it is refused (the error is listed)."""
    if value is None:
        return None
    if not isinstance(value, str):
        _error(errors, index, "snapshot", _("A snapshot is a base64-encoded JPEG or PNG image."))
        return False
    if len(value) > MAX_SNAPSHOT * 4 // 3 + 4:
        _error(errors, index, "snapshot", _("A snapshot is at most 2 MB."))
        return False
    try:
        data = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        _error(errors, index, "snapshot", _("The snapshot is not valid base64."))
        return False
    content_type = files.sniff(data)
    if content_type not in files.IMAGES:
        _error(errors, index, "snapshot", _("The snapshot is not a JPEG or PNG image."), "not_an_image")
        return False
    try:
        return content_type, files.strip_image(data, content_type)
    except ValueError:
        _error(errors, index, "snapshot", _("The snapshot claims to be an image but does not decode."),
               "not_an_image")
        return False


def _check(actor: Principal, items: list[dict], now: datetime) -> list[_Row]:
    codes = {str(item.get("device") or "").strip().upper() for item in items if item.get("device_id") is None}
    ids = {item["device_id"] for item in items if isinstance(item.get("device_id"), int)}
    by_code, by_id = _devices_for(actor, codes - {""}, ids)
    errors: list[dict] = []
    rows: list[_Row] = []
    for index, item in enumerate(items):
        failed = len(errors)
        device = _device(item, index, by_code, by_id, errors)
        external_id = item.get("event_id")
        if not isinstance(external_id, str) or not EXTERNAL_ID_RE.match(external_id):
            _error(errors, index, "event_id", _("Give the device's own event id: 1 to 120 printable characters, "
                                                "no spaces."))
        kind = item.get("kind")
        if not isinstance(kind, str) or len(kind) > 64 or not EVENT_KIND_RE.match(kind):
            _error(errors, index, "kind", _("An event kind is dotted lower-case words, e.g. fence.alarm."))
        occurred_at = item.get("occurred_at")
        if not isinstance(occurred_at, datetime) or occurred_at.tzinfo is None:
            _error(errors, index, "occurred_at", _("Give the time with its offset, e.g. 2026-03-29T01:59:00Z."))
        elif occurred_at > now + FUTURE_SLACK:
            _error(errors, index, "occurred_at", _("This time is in the future: check the device's clock."),
                   "clock_skew")
        elif occurred_at < now - OLDEST:
            _error(errors, index, "occurred_at", _("Events older than 7 days are not accepted."), "too_old")
        attributes = _attributes(item.get("attributes"), index, errors)
        snapshot = _snapshot(item.get("snapshot"), index, errors)
        if len(errors) == failed:
            rows.append(_Row(index, device, external_id, kind, occurred_at, attributes, snapshot))
    if errors:
        raise ValidationFailed(
            _("%(failed)s of %(total)s events are refused; nothing was stored.") % {"failed": len({e["index"] for e in errors}),
                                                                                  "total": len(items)},
            code="batch_rejected", field="events", errors=errors)
    return rows


def _existing(rows: list[_Row], chunk: int = 2000) -> set[tuple[int, str]]:
    """The (device, event id) pairs of ``rows`` already stored. The pairs go in as a VALUES
    table joined to the unique index: one probe per event. (``device_id IN (...) AND
    external_id IN (...)`` made SQLite probe every combination of the two lists: half a
    second for a gateway's 5,000 events.)"""
    pairs = sorted({(row.device.pk, row.external_id) for row in rows})
    table = connection.ops.quote_name(SensorEvent._meta.db_table)
    # SQLite's CROSS JOIN keeps the batch as the outer loop (its way of fixing join order);
    # PostgreSQL plans this well by itself and has no CROSS JOIN ... ON.
    join = "CROSS JOIN" if connection.vendor == "sqlite" else "JOIN"
    found: set[tuple[int, str]] = set()
    with connection.cursor() as cursor:
        for start in range(0, len(pairs), chunk):
            part = pairs[start:start + chunk]
            values = ", ".join(["(%s, %s)"] * len(part))
            cursor.execute(
                f"WITH batch(device_id, external_id) AS (VALUES {values}) "  # noqa: S608 (placeholders only)
                f"SELECT e.device_id, e.external_id FROM batch {join} {table} e "
                "ON e.device_id = batch.device_id AND e.external_id = batch.external_id",
                [value for pair in part for value in pair])
            found.update((int(device_id), external_id) for device_id, external_id in cursor.fetchall())
    return found


def _touch(seen: dict[int, datetime]) -> None:
    """Each device's ``last_seen_at``, moved forward only: one UPDATE per device, sent
    together (``executemany``)."""
    if not seen:
        return
    table = connection.ops.quote_name(Device._meta.db_table)
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET last_seen_at = %s WHERE id = %s "  # noqa: S608 (placeholders only)
            "AND (last_seen_at IS NULL OR last_seen_at < %s)",
            [(adapt(at), pk, adapt(at)) for pk, at in sorted(seen.items())])


def events_ingest(*, actor: Principal, events: Iterable[dict[str, Any]]) -> Result:
    """Store ``events`` (dicts: ``device`` code or ``device_id``, ``event_id``, ``kind``,
    ``occurred_at`` (aware), ``attributes``, ``snapshot`` (base64)) for the devices
    ``actor`` speaks for. All or nothing; duplicates are ignored and listed."""
    require(actor, "controlroom.ingest")
    items = list(events)
    if not items:
        raise ValidationFailed(_("Send at least one event."), field="events")
    if len(items) > MAX_BATCH:
        raise ValidationFailed(_("At most %(n)s events at a time.") % {"n": MAX_BATCH}, field="events")
    now = clock.now()
    rows = _check(actor, items, now)
    result = Result()
    with transaction.atomic():
        seen: dict[int, datetime] = {}
        for row in rows:
            if seen.get(row.device.pk) is None or row.occurred_at > seen[row.device.pk]:
                seen[row.device.pk] = min(row.occurred_at, now)
        stored = [row for row in rows if row.kind != HEARTBEAT]
        result.heartbeats = len(rows) - len(stored)
        existing = _existing(stored)
        fresh: list[_Row] = []
        keys: set[tuple[int, str]] = set()
        for row in stored:
            key = (row.device.pk, row.external_id)
            if key in existing or key in keys:
                result.duplicates.append(row.external_id)
                continue
            keys.add(key)
            fresh.append(row)
        fresh.sort(key=lambda row: (row.occurred_at, row.index))  # ids follow time within a batch
        objs = [bulk.new(
            SensorEvent, device_id=row.device.pk, port_id=row.device.port_id, facility_id=row.device.facility_id,
            owner_id=row.device.owner_id, external_id=row.external_id, kind=row.kind, occurred_at=row.occurred_at,
            received_at=now, attributes=row.attributes, has_snapshot=bool(row.snapshot),
        ) for row in fresh]
        bulk.insert_many(SensorEvent, objs, on_conflict_ignore=True)
        _snapshots([row for row in fresh if row.snapshot])
        _touch(seen)
        result.accepted = len(fresh)
    return result


def _snapshots(rows: list[_Row]) -> None:
    if not rows:
        return
    ids = {}
    for row in rows:
        ids[(row.device.pk, row.external_id)] = SensorEvent.objects.filter(
            device_id=row.device.pk, external_id=row.external_id).values_list("id", flat=True).get()
    Snapshot.objects.bulk_create([
        Snapshot(event_id=ids[(row.device.pk, row.external_id)], content_type=row.snapshot[0], data=row.snapshot[1],
                 size=len(row.snapshot[1]), sha256=hashlib.sha256(row.snapshot[1]).hexdigest())
        for row in rows])



def sia_sink(events: list[dict]) -> None:
    """Alarm-panel messages from ``havenwatch siareceiver`` (already parsed and mapped to
    kinds by :mod:`havenwatch.controlroom.sia`), stored as events of the panel whose name in
    the source system is the message's account. Raises ``KeyError`` for an account no
    device answers to (the receiver then NAKs, and the panel keeps its message). A panel's
    clock is often wrong: a time outside what ingestion accepts is replaced by the time of
    receipt, and the panel's own is kept in the attributes."""
    from havenwatch.controlroom import evaluation
    from havenwatch.core.principal import system_principal

    now = clock.now()
    accounts = {str(event["account"]).upper() for event in events}
    devices = {}
    for device in Device.objects.filter(retired_at__isnull=True, external_name__in=sorted(accounts)):
        devices.setdefault(device.external_name.upper(), []).append(device)
    items = []
    for event in events:
        candidates = devices.get(str(event["account"]).upper(), [])
        if len(candidates) != 1:
            raise KeyError(event["account"])
        occurred_at = event.get("occurred_at") or now
        attributes = dict(event.get("attributes") or {})
        if not (now - OLDEST < occurred_at <= now + FUTURE_SLACK):
            attributes["panel_time"] = occurred_at.isoformat()
            occurred_at = now
        items.append({"device_id": candidates[0].pk, "event_id": event["external_id"], "kind": event["kind"],
                      "occurred_at": occurred_at, "attributes": attributes})
    result = events_ingest(actor=system_principal("SIA receiver"), events=items)
    if result.accepted:
        try:
            evaluation.run()
        except Exception:  # stored is stored: the worker evaluates at its next turn
            log.exception("evaluation after an alarm panel's message failed; the worker will retry")
