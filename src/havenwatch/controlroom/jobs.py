"""The control room's periodic jobs: what must happen because time passed."""

from __future__ import annotations

from datetime import timedelta

from havenwatch.controlroom import evaluation
from havenwatch.controlroom.models import Device
from havenwatch.controlroom.rules import SILENT
from havenwatch.controlroom.services import alarms, ingestion
from havenwatch.core import clock
from havenwatch.core.periodic import periodic
from havenwatch.core.principal import system_principal


@periodic("controlroom.escalation", every=10)
def escalation() -> int:
    """Alarms not acknowledged in time go to the backups (see ``alarms.escalate_due``)."""
    return alarms.escalate_due()


@periodic("controlroom.silent_devices", every=30)
def silent_devices() -> int:
    """A device heard from last longer ago than its *silent after* gets a ``device.silent``
    event, once per silence (its id is the time it was last heard: the same silence
    written again is a duplicate, ignored). Absence rules fire on these events."""
    now = clock.now()
    items = []
    for device in Device.objects.filter(retired_at__isnull=True).only(
            "pk", "kind", "last_seen_at", "created_at", "silent_after"):
        heard = device.last_seen_at or device.created_at
        if heard is None or now - heard <= timedelta(minutes=device.silent_after):
            continue
        items.append({"device_id": device.pk, "event_id": f"silent-{heard.isoformat()}"[:120], "kind": SILENT,
                      "occurred_at": max(heard + timedelta(minutes=device.silent_after), now - ingestion.OLDEST
                                         + timedelta(minutes=1)),
                      "attributes": {"device_kind": device.kind, "last_seen_at": heard.isoformat(),
                                     "silent_after": device.silent_after}})
    written = 0
    for start in range(0, len(items), ingestion.MAX_BATCH):
        written += ingestion.events_ingest(actor=system_principal("control room"),
                                           events=items[start:start + ingestion.MAX_BATCH]).accepted
    if written:
        evaluation.run()
    return written
