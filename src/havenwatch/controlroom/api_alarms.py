"""Alarms over the API: the queue, one alarm with its events and timeline, and the acts
of working it (acknowledge, start, note, procedure steps, assign, close)."""


from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from havenwatch.controlroom import selectors
from havenwatch.controlroom.choices import OPEN_STATES
from havenwatch.controlroom.services import alarms as alarm_services
from havenwatch.core.api.common import Page, get_visible, need, principal_of
from havenwatch.core.errors import PermissionRefused

router = Router(tags=["control room: alarms"])


class AlarmOut(Schema):
    id: int
    port_id: int
    facility_id: int | None
    owner_id: int
    rule_code: str
    rule_version: int
    title: str
    priority: int
    state: str
    device_id: int | None
    position: dict[str, Any] | None
    count: int
    first_event_at: datetime
    last_event_at: datetime
    raised_at: datetime
    acknowledge_by: datetime
    acknowledged_at: datetime | None
    assignee: str | None = Field(None, alias="assignee_name")
    escalation: int
    closed_at: datetime | None
    close_reason: str
    sop_code: str
    sop_steps: list[str]

    @staticmethod
    def resolve_assignee_name(obj) -> str | None:
        return obj.assignee.get_username() if obj.assignee_id else None


class AlarmEntryOut(Schema):
    at: datetime
    kind: str
    actor: str
    text: str
    step: int | None


class SensorEventOut(Schema):
    id: int
    device_id: int
    external_id: str
    kind: str
    occurred_at: datetime
    attributes: dict[str, Any]
    has_snapshot: bool


class AlarmDetailOut(AlarmOut):
    events: list[SensorEventOut]
    timeline: list[AlarmEntryOut]


class AlarmFilter(Schema):
    open: bool | None = Field(None, description="Only open (true) or closed (false) alarms.")
    priority: int | None = Field(None, ge=1, le=5)
    rule: str | None = Field(None, max_length=64)
    port_id: int | None = Field(None, ge=1, le=2**31 - 1)
    facility_id: int | None = Field(None, ge=1, le=2**31 - 1)


class StepIn(Schema):
    step: int = Field(..., ge=0, le=100, description="The step's index in the procedure, from 0.")
    done: bool = True
    reason: str = Field("", max_length=500, description="Why it is skipped (when done is false).")


class NoteIn(Schema):
    text: str = Field(..., max_length=1000)


class CloseIn(Schema):
    reason: str = Field(..., max_length=500)
    false_alarm: bool = False


class AssignIn(Schema):
    username: str = Field(..., max_length=150)


@router.get("/alarms", response=list[AlarmOut], summary="Alarms you may see, the most urgent open ones first")
@paginate(Page)
def alarm_list(request, filters: Query[AlarmFilter]):
    qs = selectors.alarm_list(principal=principal_of(request))
    if filters.open is True:
        qs = qs.filter(state__in=OPEN_STATES).order_by("priority", "raised_at", "id")
    elif filters.open is False:
        qs = qs.exclude(state__in=OPEN_STATES)
    if filters.priority is not None:
        qs = qs.filter(priority=filters.priority)
    if filters.rule:
        qs = qs.filter(rule_code=filters.rule)
    if filters.port_id is not None:
        qs = qs.filter(port_id=filters.port_id)
    if filters.facility_id is not None:
        qs = qs.filter(facility_id=filters.facility_id)
    return qs


@router.get("/alarms/{int:alarm_id}", response=AlarmDetailOut, summary="One alarm, its events and its timeline")
def alarm_detail(request, alarm_id: int):
    actor = principal_of(request)
    alarm = get_visible(selectors.alarm_list(principal=actor), alarm_id, "alarm")
    alarm.events = list(selectors.alarm_events(principal=actor, alarm=alarm)[:500])
    alarm.timeline = list(alarm.entries.all())
    return alarm


def _workable(request, alarm_id: int):
    actor = principal_of(request)
    need(actor, "controlroom.work_alarm")
    return actor, get_visible(selectors.workable_alarms(principal=actor), alarm_id, "alarm")


@router.post("/alarms/{int:alarm_id}/acknowledge", response=AlarmOut, summary="I have seen it")
def alarm_acknowledge(request, alarm_id: int):
    actor, alarm = _workable(request, alarm_id)
    return alarm_services.alarm_acknowledge(actor=actor, alarm=alarm)


@router.post("/alarms/{int:alarm_id}/start", response=AlarmOut, summary="Work on it has begun")
def alarm_start(request, alarm_id: int):
    actor, alarm = _workable(request, alarm_id)
    return alarm_services.alarm_start(actor=actor, alarm=alarm)


@router.post("/alarms/{int:alarm_id}/notes", response=AlarmOut, summary="Add a note to the timeline")
def alarm_note(request, alarm_id: int, payload: NoteIn):
    actor, alarm = _workable(request, alarm_id)
    return alarm_services.alarm_note(actor=actor, alarm=alarm, text=payload.text)


@router.post("/alarms/{int:alarm_id}/steps", response=AlarmOut, summary="Tick or skip a step of the procedure")
def alarm_step(request, alarm_id: int, payload: StepIn):
    actor, alarm = _workable(request, alarm_id)
    return alarm_services.alarm_step(actor=actor, alarm=alarm, step=payload.step, done=payload.done,
                                     reason=payload.reason)


@router.post("/alarms/{int:alarm_id}/assign", response=AlarmOut, summary="Hand it to a colleague")
def alarm_assign(request, alarm_id: int, payload: AssignIn):
    actor, alarm = _workable(request, alarm_id)
    user = get_user_model().objects.filter(username=payload.username, is_active=True).first()
    if user is None:  # the same answer as for someone who exists elsewhere: names are not probed here
        raise PermissionRefused(_("%(user)s does not work alarms here.") % {"user": payload.username},
                                field="user")
    return alarm_services.alarm_assign(actor=actor, alarm=alarm, user=user)


@router.post("/alarms/{int:alarm_id}/close", response=AlarmOut, summary="Resolve it, or close it as a false alarm")
def alarm_close(request, alarm_id: int, payload: CloseIn):
    actor, alarm = _workable(request, alarm_id)
    return alarm_services.alarm_close(actor=actor, alarm=alarm, reason=payload.reason,
                                      false_alarm=payload.false_alarm)
