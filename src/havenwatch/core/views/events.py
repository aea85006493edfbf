"""The live event feed: the last events rendered here, newer ones pushed by /api/v1/stream."""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import render

from havenwatch.core import event_types, selectors
from havenwatch.core.models import Port
from havenwatch.core.views._common import page

LATEST = 50


def event_label(code: str) -> str:
    try:
        return str(event_types.get(code).label)
    except event_types.UnknownEventType:
        return code


def payload_summary(payload: dict) -> str:
    """One line of the payload a person can scan: its short fields, without the bookkeeping."""
    parts = []
    for key, value in (payload or {}).items():
        if key in {"audit_sequence"} or isinstance(value, dict | list):
            continue
        text = str(value)
        if len(text) > 60:
            text = text[:57] + "…"
        parts.append(f"{key}: {text}")
    return " · ".join(parts)


def event_rows(events) -> list[dict]:
    events = list(events)
    zones = dict(Port.objects.filter(pk__in={e.port_id for e in events if e.port_id})
                 .values_list("pk", "time_zone"))
    return [
        {"event": e, "label": event_label(e.type), "summary": payload_summary(e.payload),
         "zone": zones.get(e.port_id, settings.TIME_ZONE)}
        for e in events
    ]


@page("core.view_events")
def events(request):
    rows = event_rows(selectors.visible_events(principal=request.principal).order_by("-sequence")[:LATEST])
    last = rows[0]["event"].sequence if rows else 0
    return render(request, "core/events.html", {
        "rows": rows,
        "last_sequence": last,
        "labels": {t.code: str(t.label) for t in event_types.all_types()},
        "time_zone": settings.TIME_ZONE,
    })
