"""The other apps' security events, as the control room's sensor events.

The control room never imports ``access`` or ``release``: their decisions reach it
through the outbox, like any consumer's. Each becomes a sensor event of a *platform*
device, one per gate (access point) or per terminal's pickup gate, registered the first
time it speaks, so that rules see everything the same way ("5 denied badges at one gate
in 10 minutes" is a threshold per device). The outbox sequence is the event id: handled
twice, stored once.

================================  ===========================================
outbox event                      sensor event kind
================================  ===========================================
``access.decision``, refused      ``access.denied``; ``access.ban_hit`` when a
                                  port ban refused it
``access.override``               ``access.override``
``release.pickup``, refused       ``release.refused``; ``release.fraud`` when the
                                  release app marked it priority 1 (fraud)
``release.pickup.override``       ``release.override``
================================  ===========================================
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import IntegrityError, transaction

from havenwatch.controlroom.choices import DeviceKind
from havenwatch.controlroom.models import Device
from havenwatch.controlroom.services import ingestion
from havenwatch.core import clock
from havenwatch.core.events import consumer
from havenwatch.core.models import Facility, OutboxEvent
from havenwatch.core.principal import system_principal

log = logging.getLogger(__name__)
SOURCES = {"access.decision", "access.override", "release.pickup", "release.pickup.override"}
BAN = "port_ban"


def centroid(geometry) -> list[float] | None:
    """The mean of a GeoJSON shape's vertices: where a facility is, near enough for a map."""
    points: list[tuple[float, float]] = []

    def walk(value):
        if isinstance(value, list) and len(value) >= 2 and all(isinstance(c, (int, float)) for c in value[:2]):
            points.append((float(value[0]), float(value[1])))
        elif isinstance(value, list):
            for item in value:
                walk(item)

    if isinstance(geometry, dict):
        if geometry.get("type") == "FeatureCollection":
            for feature in geometry.get("features") or []:
                walk((feature.get("geometry") or {}).get("coordinates"))
        elif geometry.get("type") == "Feature":
            walk((geometry.get("geometry") or {}).get("coordinates"))
        else:
            walk(geometry.get("coordinates"))
    if not points:
        return None
    return [sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points)]


def platform_device(facility: Facility, source: str, name: str) -> Device:
    """The platform device of a facility's gate or pickup gate, registered on first use."""
    code = f"{facility.isps_number}/{source}"[:40].upper()
    device = Device.objects.filter(port_id=facility.port_id, code=code).first()
    if device is not None:
        return device
    where = centroid(facility.geometry) or centroid(facility.port.boundary) or [0.0, 0.0]
    try:
        with transaction.atomic():
            return Device.objects.create(
                port_id=facility.port_id, facility=facility, owner_id=facility.operator_id, kind=DeviceKind.PLATFORM,
                code=code, name=name[:120], geometry={"type": "Point", "coordinates": where},
                external_name=f"platform:{source}"[:120], silent_after=7 * 24 * 60, created_at=clock.now())
    except IntegrityError:  # made meanwhile by another worker
        return Device.objects.get(port_id=facility.port_id, code=code)


def sensor_event(event: OutboxEvent) -> tuple[str, str, str, dict] | None:
    """(source, device name, kind, attributes) of an outbox event, or ``None`` if the
    control room has no use for it (a granted passage)."""
    p = event.payload or {}
    if event.type == "access.decision":
        if p.get("granted"):
            return None
        reasons = list(p.get("reasons") or [])
        kind = "access.ban_hit" if BAN in reasons else "access.denied"
        return (f"GATE-{p.get('access_point', '')}", f"Gate {p.get('access_point', '')}", kind,
                {"reasons": reasons, "plate": p.get("plate") or None, "direction": p.get("direction"),
                 "access_point": p.get("access_point")})
    if event.type == "access.override":
        return (f"GATE-{p.get('access_point', '')}", f"Gate {p.get('access_point', '')}", "access.override",
                {"overrides": p.get("overrides"), "access_point": p.get("access_point")})
    if event.type == "release.pickup":
        if p.get("granted"):
            return None
        kind = "release.fraud" if event.priority == 1 else "release.refused"
        return ("PICKUP", "Pickup gate", kind, {"reasons": list(p.get("reasons") or []),
                                                "container": p.get("container"), "plate": p.get("plate") or None})
    if event.type == "release.pickup.override":
        return ("PICKUP", "Pickup gate", "release.override", {"container": p.get("container"),
                                                              "overridden": p.get("overridden_reasons")})
    return None


@consumer("controlroom.bridge", types=SOURCES)
def bridge(event: OutboxEvent) -> None:
    if event.facility_id is None or event.created_at < clock.now() - ingestion.OLDEST + timedelta(minutes=1):
        return  # too old for ingestion (a fresh control room reading a long outbox): history, not news
    mapped = sensor_event(event)
    if mapped is None:
        return
    source, name, kind, attributes = mapped
    facility = Facility.objects.select_related("port").get(pk=event.facility_id)
    device = platform_device(facility, source, name)
    attributes = {key: value for key, value in attributes.items() if value is not None}
    ingestion.events_ingest(actor=system_principal("control room bridge"), events=[{
        "device_id": device.pk, "event_id": f"outbox-{event.sequence}", "kind": kind,
        "occurred_at": min(event.created_at, clock.now()), "attributes": attributes}])
    transaction.on_commit(_evaluate)


def _evaluate() -> None:
    from havenwatch.controlroom import evaluation

    try:
        evaluation.run()
    except Exception:  # the periodic round retries
        log.exception("evaluation after bridged events failed; the worker will retry")
