"""The live stream: server-sent events at ``/api/v1/stream``.

Each client gets the domain events it may see, in order, as ``id: <sequence>`` frames;
a reconnecting browser sends ``Last-Event-ID`` and resumes without a gap. The stream
waits on :mod:`havenwatch.core.notify` (in-process, or Redis across processes) and
always re-reads the outbox, so a lost wake-up only delays an event by a few seconds.
"""

from __future__ import annotations

import asyncio
import json

from asgiref.sync import sync_to_async
from django.db import connection
from django.http import JsonResponse, StreamingHttpResponse

from havenwatch.core import notify, selectors
from havenwatch.core.principal import principal_for_token
from havenwatch.core.services.tokens import token_authenticate

HEARTBEAT_SECONDS = 15
MAX_BATCH = 200


def _resolve_principal(request):
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        token = token_authenticate(header[7:].strip())
        return principal_for_token(token) if token else None
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        principal = request.principal
        _ = principal.permissions  # resolve the lazy object inside the sync thread
        return principal
    return None


def _released(func):
    """Run a poll and hand its database connection back: an open stream waits for minutes
    between events and must not hold a connection (or a pool slot) while it waits."""

    def run(*args):
        try:
            return func(*args)
        finally:
            connection.close()

    return run


@_released
def _fetch(principal, after: int) -> list[dict]:
    rows = selectors.visible_events(principal=principal).filter(sequence__gt=after).order_by("sequence")[:MAX_BATCH]
    return [
        {
            "sequence": e.sequence, "type": e.type, "time": e.created_at.isoformat(), "priority": e.priority,
            "subject": {"type": e.subject_type, "id": e.subject_id}, "port_id": e.port_id,
            "facility_id": e.facility_id, "organisation_id": e.organisation_id, "payload": e.payload,
        }
        for e in rows
    ]


@_released
def _latest(principal) -> int:
    last = selectors.visible_events(principal=principal).order_by("-sequence").values_list("sequence", flat=True).first()
    return last or 0


def _problem(status: int, detail: str) -> JsonResponse:
    return JsonResponse({"title": "Not allowed", "status": status, "detail": detail},
                        status=status, content_type="application/problem+json")


async def event_stream(request):
    principal = await sync_to_async(_resolve_principal)(request)
    if principal is None:
        return _problem(401, "Sign in, or send a valid token as 'Authorization: Bearer <token>'.")
    if not principal.has_perm("core.view_events"):
        return _problem(403, "Your role or token does not allow following the live event feed.")
    start = request.headers.get("Last-Event-ID") or request.GET.get("after")
    try:
        after = int(start) if start is not None else await sync_to_async(_latest)(principal)
    except ValueError:
        return _problem(400, "Last-Event-ID must be an event sequence number.")
    once = request.GET.get("once") == "1"

    async def frames():
        nonlocal after
        yield "retry: 3000\n\n"
        idle = 0.0
        horizon = after  # the newest sequence announced, visible to us or not
        while True:
            events = await sync_to_async(_fetch)(principal, after)
            for event in events:
                after = event["sequence"]
                yield f"id: {after}\nevent: {event['type']}\ndata: {json.dumps(event)}\n\n"
            if once:
                return
            if events:
                idle = 0.0
                continue
            horizon = max(horizon, after)
            announced = await asyncio.to_thread(notify.wait, horizon, 2.0)
            if announced > horizon:
                horizon = announced
                continue
            idle += 2.0
            if idle >= HEARTBEAT_SECONDS:
                idle = 0.0
                yield ": heartbeat\n\n"

    response = StreamingHttpResponse(frames(), content_type="text/event-stream")
    response["Cache-Control"] = "no-cache, no-store"
    response["X-Accel-Buffering"] = "no"
    return response
