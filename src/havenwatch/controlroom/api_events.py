"""Sensor events in: the normalised batch endpoint and the Frigate adapter.

Both answer only after the events are committed (a 200 means stored), then run the
evaluator at once so that an alarm is on the stream before the answer leaves; the
worker's periodic round is the safety net if this request dies in between.
"""


import logging
from datetime import UTC, datetime
from typing import Any, Literal

from django.utils.translation import gettext as _
from ninja import Field, Router, Schema

from havenwatch.controlroom import evaluation
from havenwatch.controlroom.services import ingestion
from havenwatch.core.api.common import need, principal_of
from havenwatch.core.errors import PermissionRefused, ValidationFailed

log = logging.getLogger(__name__)
router = Router(tags=["control room: events"])


class EventIn(Schema):
    device: str | None = Field(None, max_length=40, description="The device's code (or give device_id).")
    device_id: int | None = Field(None, ge=1, le=2**63 - 1)
    event_id: str = Field(..., max_length=120, description="The device's own id of the event: sent again, ignored.")
    kind: str = Field(..., max_length=64, description="fence.alarm, camera.detection, anpr.read, drone.detected, ...")
    occurred_at: datetime
    attributes: dict[str, Any] = Field(default_factory=dict, description="label, score, zone, plate, position, ...")
    snapshot: str | None = Field(None, description="A JPEG or PNG image, base64-encoded (at most 2 MB).")


class BatchIn(Schema):
    events: list[EventIn] = Field(..., min_length=1, max_length=ingestion.MAX_BATCH)


class IngestOut(Schema):
    accepted: int
    duplicates: list[str] = Field(..., description="Event ids already stored: ignored.")
    heartbeats: int
    alarms_raised: int = Field(..., description="Alarms this batch raised when it was evaluated (0 if deferred).")


def _ingest(request, items: list[dict]) -> dict:
    actor = principal_of(request)
    result = ingestion.events_ingest(actor=actor, events=items)
    raised = 0
    if result.accepted:
        try:
            raised = evaluation.run_counting()
        except Exception:  # stored is stored: the worker evaluates them at its next turn
            log.exception("evaluation after ingestion failed; the worker will retry")
    return {"accepted": result.accepted, "duplicates": result.duplicates, "heartbeats": result.heartbeats,
            "alarms_raised": raised}


@router.post("/events", response=IngestOut, summary="Send sensor events (one batch of up to 5,000)")
def events_post(request, payload: BatchIn):
    """All or nothing: one bad event refuses the batch, and the problem lists every bad
    event by its index. Events already stored (same device and event id) are ignored and
    listed as duplicates, so a sender may always retry."""
    return _ingest(request, [event.dict() for event in payload.events])


# --- Frigate (NVR with object detection) -------------------------------------------------


class FrigateObject(Schema):
    id: str = Field(..., max_length=100)
    camera: str = Field(..., max_length=120)
    label: str = Field(..., max_length=40)
    sub_label: Any = None
    top_score: float | None = None
    score: float | None = None
    false_positive: bool = False
    start_time: float
    end_time: float | None = None
    current_zones: list[str] = Field(default_factory=list)
    entered_zones: list[str] = Field(default_factory=list)
    has_snapshot: bool = False


class FrigateIn(Schema):
    type: Literal["new", "update", "end"]
    before: FrigateObject | None = None
    after: FrigateObject


def frigate_event(message: dict, device_code: str) -> dict | None:
    """A Frigate ``frigate/events`` message as a normalised event (``None`` for a false
    positive). ``new`` and each ``update`` are events of their own (``<id>:<type>:<n>``)
    so that a score rising above a rule's threshold is seen; ``end`` closes it."""
    after = message["after"]
    if after.get("false_positive"):
        return None
    kind = "camera.detection" if message["type"] != "end" else "camera.detection_end"
    when = after["end_time"] if message["type"] == "end" and after.get("end_time") else after["start_time"]
    sub_label = after.get("sub_label")
    if isinstance(sub_label, list):  # [name, score] in Frigate 0.13+
        sub_label = sub_label[0] if sub_label else None
    attributes = {"label": after["label"], "score": after.get("top_score") or after.get("score") or 0.0,
                  "zones": after.get("current_zones") or after.get("entered_zones") or [],
                  "source": "frigate", "object": after["id"]}
    if attributes["zones"]:
        attributes["zone"] = attributes["zones"][0]
    if after["label"] == "license_plate" or (sub_label and after["label"] in {"car", "truck"}):
        attributes["plate"] = str(sub_label) if sub_label else None
    elif sub_label:
        attributes["sub_label"] = str(sub_label)
    score_key = f"{attributes['score']:.2f}"
    return {"device": device_code, "event_id": f"{after['id']}:{message['type']}:{score_key}"[:120], "kind": kind,
            "occurred_at": datetime.fromtimestamp(float(when), tz=UTC), "attributes": attributes}


@router.post("/adapters/frigate", response=IngestOut,
             summary="Send a Frigate event (the frigate/events MQTT message, relayed by HTTP)")
def frigate_post(request, payload: FrigateIn):
    """The camera is the device whose *name in the source system* is Frigate's camera
    name, among those the token speaks for. A false positive is acknowledged and dropped."""
    from havenwatch.controlroom.models import Device, DeviceCredential

    actor = principal_of(request)
    need(actor, "controlroom.ingest")
    message = payload.dict()
    camera = message["after"]["camera"]
    devices = Device.objects.filter(external_name=camera, retired_at__isnull=True)
    if actor.token is not None:
        if not DeviceCredential.objects.filter(token=actor.token).exists():
            raise PermissionRefused(_("This token speaks for no device: issue a device token to send events."))
        devices = devices.filter(credentials__token=actor.token)
    elif not actor.is_system:
        devices = Device.objects.restrict(actor, "controlroom.manage_devices").filter(
            external_name=camera, retired_at__isnull=True)
    codes = list(devices.values_list("code", flat=True)[:2])
    if len(codes) != 1:
        raise ValidationFailed(
            _("No camera of yours is named %(camera)s in Frigate: set it as the device's name in the source system.")
            % {"camera": camera} if not codes else
            _("Several devices are named %(camera)s in Frigate: give each camera its own name.") % {"camera": camera},
            field="after.camera", code="unknown_device")
    event = frigate_event(message, codes[0])
    if event is None:
        return {"accepted": 0, "duplicates": [], "heartbeats": 0, "alarms_raised": 0}
    return _ingest(request, [event])
