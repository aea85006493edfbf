"""Alarms: raised from rule firings, worked by operators, closed with a reason.

Raising (:func:`alarms_raise`) runs inside the evaluator's round, in its transaction.
Flood protection happens here: a firing whose rule and source (``suppress.per``) already
have an open alarm whose last event is less than ``suppress.for`` old joins that alarm,
adds its events and raises its count, instead of making a new one. The queue then shows
"Fence F-12 ×37", not 37 alarms. A new alarm is an act of the platform: audited and
published (``controlroom.alarm.raised``, at the rule's priority) so that the live stream,
webhooks and phones carry it. An alarm that grew is published once per round
(``controlroom.alarm.updated``) and not audited: nobody acted.

Working an alarm is a small state machine::

    new ──acknowledge──▶ acknowledged ──start──▶ in_progress ──resolve──▶ resolved
     │                        │                      │
     └────────────────────────┴──────────────────────┴──false alarm──▶ false_alarm

Closing takes a reason. Every act is on the alarm's timeline and in the audit chain.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from havenwatch.controlroom.choices import CLOSED_STATES, OPEN_STATES, AlarmEntryKind, AlarmState
from havenwatch.controlroom.models import Alarm, AlarmEntry, AlarmEvent, Rule, Sop
from havenwatch.controlroom.rules import Firing
from havenwatch.core import bulk, clock, events, validation
from havenwatch.core.authz import require
from havenwatch.core.errors import Conflict, PermissionRefused, ValidationFailed
from havenwatch.core.principal import Principal, system_principal
from havenwatch.core.services._emit import emit, emit_many

PLATFORM = system_principal("control room")
ACKNOWLEDGE_WITHIN = {1: timedelta(minutes=2), 2: timedelta(minutes=5), 3: timedelta(minutes=15),
                      4: timedelta(hours=1), 5: timedelta(hours=4)}


def suppress_key(port_id: int, firing: Firing) -> str:
    code, group = firing.key
    return f"{port_id}|{code}|{group}"[:200]


def _alarm_payload(alarm: Alarm) -> dict:
    return {"alarm": alarm.pk, "rule": alarm.rule_code, "version": alarm.rule_version, "title": alarm.title,
            "priority": alarm.priority, "state": alarm.state, "count": alarm.count,
            "device": alarm.device_id, "position": alarm.position, "facility": alarm.facility_id,
            "last_event_at": alarm.last_event_at.isoformat()}


def _parties(alarm: Alarm, owners: set[int], rule: Rule) -> list[int]:
    return sorted((owners | {rule.owner_id}) - {alarm.owner_id})


def alarms_raise(firings: list[tuple[Firing, Rule, int]]) -> list[Alarm]:
    """New alarms, and firings joined to open ones. Runs in the evaluator's transaction;
    returns the alarms raised."""
    if not firings:
        return []
    from havenwatch.controlroom.models import Device

    now = clock.now()
    keys = {suppress_key(port_id, firing) for firing, _rule, port_id in firings}
    open_alarms: dict[str, Alarm] = {}
    for alarm in Alarm.objects.filter(suppress_key__in=sorted(keys), state__in=OPEN_STATES).order_by("raised_at"):
        open_alarms[alarm.suppress_key] = alarm  # the newest open one of each key
    device_ids = {event.device_id for firing, _rule, _port in firings for event in firing.events}
    devices = {d.pk: d for d in Device.objects.filter(pk__in=device_ids).only(
        "pk", "owner_id", "facility_id", "port_id", "code")}
    sops = {(s.port_id, s.code): s for s in Sop.objects.filter(
        port_id__in={port for _f, _r, port in firings},
        code__in={f.rule.sop for f, _r, _p in firings if f.rule.sop})}

    raised: list[Alarm] = []
    grown: dict[int, Alarm] = {}
    links: list[AlarmEvent] = []
    owners: dict[int, set[int]] = defaultdict(set)
    for firing, rule, port_id in firings:
        key = suppress_key(port_id, firing)
        first, last = firing.events[0], firing.last
        alarm = open_alarms.get(key)
        if alarm is not None and first.occurred_at - alarm.last_event_at < firing.rule.suppress_for:
            alarm.count += 1
            alarm.last_event_at = max(alarm.last_event_at, last.occurred_at)
            if alarm.pk is not None:
                grown[alarm.pk] = alarm
        else:
            device = devices[first.device_id]
            sop = sops.get((port_id, firing.rule.sop)) if firing.rule.sop else None
            alarm = Alarm(
                port_id=port_id, facility_id=device.facility_id, owner_id=device.owner_id, rule=rule,
                rule_code=rule.code, rule_version=rule.version, title=firing.rule.title,
                priority=firing.rule.priority, state=AlarmState.NEW, suppress_key=key, device_id=device.pk,
                position={"type": "Point", "coordinates": list(first.position)} if first.position else None,
                count=1, first_event_at=first.occurred_at, last_event_at=last.occurred_at, raised_at=now,
                acknowledge_by=now + ACKNOWLEDGE_WITHIN[firing.rule.priority],
                sop_code=sop.code if sop else "", sop_version=sop.version if sop else None,
                sop_steps=list(sop.steps) if sop else [])
            alarm.save(force_insert=True)
            open_alarms[key] = alarm
            raised.append(alarm)
        owners[alarm.pk].update(devices[e.device_id].owner_id for e in firing.events if e.device_id in devices)
        links.extend(bulk.new(AlarmEvent, alarm_id=alarm.pk, event_id=e.id) for e in firing.events)
    bulk.insert_many(AlarmEvent, links, on_conflict_ignore=True)
    if grown:  # new alarms that grew in this round too; one statement for all
        adapt = connection.ops.adapt_datetimefield_value
        with connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {connection.ops.quote_name(Alarm._meta.db_table)} SET {connection.ops.quote_name('count')} "
                "= %s, last_event_at = %s WHERE id = %s",
                [(alarm.count, adapt(alarm.last_event_at), alarm.pk) for alarm in grown.values()])
    rules = {(r.port_id, r.code): r for _f, r, _p in firings}
    if raised:
        AlarmEntry.objects.bulk_create([
            AlarmEntry(alarm=alarm, at=now, kind=AlarmEntryKind.RAISED, actor=PLATFORM.label,
                       text=_count_text(alarm)) for alarm in raised])
        emit_many(actor=PLATFORM, acts=[dict(
            code="controlroom.alarm.raised", subject=alarm, organisation_id=alarm.owner_id, port_id=alarm.port_id,
            facility_id=alarm.facility_id, priority=alarm.priority, data=_alarm_payload(alarm),
            parties=_parties(alarm, owners[alarm.pk], rules[(alarm.port_id, alarm.rule_code)]),
        ) for alarm in raised])
    updated = [alarm for alarm in grown.values() if alarm not in raised]
    if updated:
        events.publish_many([dict(
            type="controlroom.alarm.updated", subject=alarm, organisation_id=alarm.owner_id, port_id=alarm.port_id,
            facility_id=alarm.facility_id, priority=alarm.priority, payload=_alarm_payload(alarm),
            parties=_parties(alarm, owners[alarm.pk], rules[(alarm.port_id, alarm.rule_code)]),
        ) for alarm in updated])
    return raised


def _count_text(alarm: Alarm) -> str:
    return f"{alarm.rule_code} v{alarm.rule_version}"


# --- working an alarm ---------------------------------------------------------------------


def _locked(alarm: Alarm) -> Alarm:
    return Alarm.objects.select_for_update(of=("self",)).get(pk=alarm.pk)


def _act(actor: Principal, alarm: Alarm, code: str, kind: str, *, text: str = "", step: int | None = None,
         data: dict | None = None, at: datetime | None = None) -> None:
    AlarmEntry.objects.create(alarm=alarm, at=at or clock.now(), kind=kind, actor=actor.label,
                              user=actor.user, text=text, step=step)
    emit(actor=actor, code=code, subject=alarm, organisation_id=alarm.owner_id, port_id=alarm.port_id,
         facility_id=alarm.facility_id, priority=alarm.priority,
         data={"alarm": alarm.pk, "state": alarm.state, **(data or {})})


def _open(alarm: Alarm) -> None:
    if alarm.state in CLOSED_STATES:
        raise Conflict(_("Alarm #%(n)s is closed.") % {"n": alarm.pk}, code="alarm_closed")


@transaction.atomic
def alarm_acknowledge(*, actor: Principal, alarm: Alarm) -> Alarm:
    """The operator has seen it: escalation stops, and it is theirs unless assigned."""
    require(actor, "controlroom.work_alarm")
    alarm = _locked(alarm)
    _open(alarm)
    if alarm.state != AlarmState.NEW:
        raise Conflict(_("Alarm #%(n)s is acknowledged already.") % {"n": alarm.pk}, code="already_acknowledged")
    now = clock.now()
    alarm.state = AlarmState.ACKNOWLEDGED
    alarm.acknowledged_at = now
    if alarm.assignee_id is None and actor.user is not None:
        alarm.assignee = actor.user
    alarm.save(update_fields=["state", "acknowledged_at", "assignee"])
    _act(actor, alarm, "controlroom.alarm.acknowledged", AlarmEntryKind.ACKNOWLEDGED, at=now,
         data={"late": now > alarm.acknowledge_by})
    return alarm


@transaction.atomic
def alarm_start(*, actor: Principal, alarm: Alarm) -> Alarm:
    """Work has begun (someone is sent, the camera is turned). Acknowledges it too."""
    require(actor, "controlroom.work_alarm")
    alarm = _locked(alarm)
    _open(alarm)
    if alarm.state == AlarmState.IN_PROGRESS:
        raise Conflict(_("Alarm #%(n)s is in progress already.") % {"n": alarm.pk}, code="already_started")
    now = clock.now()
    if alarm.acknowledged_at is None:
        alarm.acknowledged_at = now
    if alarm.assignee_id is None and actor.user is not None:
        alarm.assignee = actor.user
    alarm.state = AlarmState.IN_PROGRESS
    alarm.save(update_fields=["state", "acknowledged_at", "assignee"])
    _act(actor, alarm, "controlroom.alarm.started", AlarmEntryKind.STARTED, at=now)
    return alarm


@transaction.atomic
def alarm_note(*, actor: Principal, alarm: Alarm, text: str) -> Alarm:
    require(actor, "controlroom.work_alarm")
    alarm = _locked(alarm)
    text = validation.text(text, field="text", max_length=1000, required=_("Write the note."))
    _act(actor, alarm, "controlroom.alarm.noted", AlarmEntryKind.NOTE, text=text)
    return alarm


@transaction.atomic
def alarm_step(*, actor: Principal, alarm: Alarm, step: int, done: bool = True, reason: str = "") -> Alarm:
    """Tick a step of the procedure, or skip it with a reason (the supervisor is told)."""
    require(actor, "controlroom.work_alarm")
    alarm = _locked(alarm)
    _open(alarm)
    if not isinstance(step, int) or not 0 <= step < len(alarm.sop_steps):
        raise ValidationFailed(_("Alarm #%(n)s's procedure has no step %(step)s.") % {"n": alarm.pk, "step": step},
                               field="step")
    if step in _steps_settled(alarm):
        raise Conflict(_("This step is settled already."), code="step_settled", field="step")
    if done:
        _act(actor, alarm, "controlroom.alarm.step_done", AlarmEntryKind.STEP_DONE, step=step,
             text=alarm.sop_steps[step], data={"step": step})
    else:
        reason = validation.text(reason, field="reason", max_length=500, required=_("Say why the step is skipped."))
        _act(actor, alarm, "controlroom.alarm.step_skipped", AlarmEntryKind.STEP_SKIPPED, step=step,
             text=reason, data={"step": step, "reason": reason})
    return alarm


def _steps_settled(alarm: Alarm) -> set[int]:
    return set(alarm.entries.filter(kind__in=[AlarmEntryKind.STEP_DONE, AlarmEntryKind.STEP_SKIPPED])
               .values_list("step", flat=True))


@transaction.atomic
def alarm_close(*, actor: Principal, alarm: Alarm, false_alarm: bool = False, reason: str) -> Alarm:
    """Resolve it, or close it as a false alarm; steps of the procedure left open are
    recorded as skipped by closing, and the supervisor is told."""
    require(actor, "controlroom.work_alarm")
    alarm = _locked(alarm)
    _open(alarm)
    reason = validation.text(reason, field="reason", max_length=500, required=_("Say how the alarm ended."))
    open_steps = [i for i in range(len(alarm.sop_steps)) if i not in _steps_settled(alarm)]
    if open_steps and not false_alarm:
        for step in open_steps:
            _act(actor, alarm, "controlroom.alarm.step_skipped", AlarmEntryKind.STEP_SKIPPED, step=step,
                 text="", data={"step": step, "reason": "closed with the step open"})
    now = clock.now()
    alarm.state = AlarmState.FALSE_ALARM if false_alarm else AlarmState.RESOLVED
    alarm.closed_at = now
    alarm.close_reason = reason
    if alarm.acknowledged_at is None:
        alarm.acknowledged_at = now
    alarm.save(update_fields=["state", "closed_at", "close_reason", "acknowledged_at"])
    kind = AlarmEntryKind.FALSE_ALARM if false_alarm else AlarmEntryKind.RESOLVED
    _act(actor, alarm, f"controlroom.alarm.{kind}", kind, text=reason, at=now, data={"reason": reason})
    return alarm


@transaction.atomic
def alarm_assign(*, actor: Principal, alarm: Alarm, user) -> Alarm:
    """Hand the alarm to a colleague of the alarm's organisation or the port's control room."""
    require(actor, "controlroom.work_alarm")
    alarm = _locked(alarm)
    _open(alarm)
    from havenwatch.core.models import Membership

    allowed = Membership.objects.filter(user=user, is_active=True, organisation_id__in=_working_orgs(alarm)).exists()
    if not allowed:
        raise PermissionRefused(_("%(user)s does not work alarms here.") % {"user": user.get_username()},
                                field="user")
    alarm.assignee = user
    alarm.save(update_fields=["assignee"])
    _act(actor, alarm, "controlroom.alarm.assigned", AlarmEntryKind.ASSIGNED, text=user.get_username(),
         data={"assignee": user.get_username()})
    return alarm


def _working_orgs(alarm: Alarm) -> set[int]:
    from havenwatch.core.models import Jurisdiction, Port

    orgs = {alarm.owner_id}
    orgs.update(Jurisdiction.objects.filter(port_id=alarm.port_id).values_list("organisation_id", flat=True))
    orgs.update(Port.objects.filter(pk=alarm.port_id).exclude(authority=None).values_list("authority_id", flat=True))
    return orgs


def escalate_due(now: datetime | None = None) -> int:
    """Alarms nobody acknowledged in time go up one level: the backups of their area are
    told, and a new deadline is set. Run by the periodic job; returns how many."""
    now = now or clock.now()
    due = list(Alarm.objects.select_for_update(of=("self",)).filter(state=AlarmState.NEW, acknowledge_by__lte=now)
               .order_by("acknowledge_by")[:500])
    for alarm in due:
        alarm.escalation = F("escalation") + 1
        alarm.acknowledge_by = now + ACKNOWLEDGE_WITHIN[alarm.priority]
        alarm.save(update_fields=["escalation", "acknowledge_by"])
        alarm.refresh_from_db(fields=["escalation"])
        _act(PLATFORM, alarm, "controlroom.alarm.escalated", AlarmEntryKind.ESCALATED, at=now,
             text=str(alarm.escalation),
             data={"level": alarm.escalation})
    return len(due)
