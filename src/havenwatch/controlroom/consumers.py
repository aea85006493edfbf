"""Dispatch: who is told of an alarm (see docs/controlroom.md, "Alarms, dispatch and escalation").

- A raised alarm goes to the operators posted to its area (its facility, or the whole
  port) whose hours cover now, in the port's time. If no post covers it, it goes to every
  control-room operator of the alarm's organisation and of the port's authority.
- An escalated alarm goes to the backups posted to its area; with none, to the security
  officers (PSO and PFSO) of the same organisations.
- A skipped step of a procedure goes to the security officers: they supervise.

Notifications are core's (a bell in the page, and through webhooks to phones): each is
made at most once per person and event, so a consumer that runs twice tells nobody twice.
"""

from __future__ import annotations

from django.utils.translation import gettext_noop

from havenwatch.controlroom.models import Alarm, OperatorPost
from havenwatch.core import clock, schedules
from havenwatch.core.choices import Role
from havenwatch.core.events import consumer
from havenwatch.core.models import Membership, Notification, OutboxEvent, Port

OPERATORS = [Role.CONTROL_ROOM_OPERATOR]
OFFICERS = [Role.PORT_SECURITY_OFFICER, Role.FACILITY_SECURITY_OFFICER]


def _organisations(alarm: Alarm) -> set[int]:
    authority = Port.objects.filter(pk=alarm.port_id).values_list("authority_id", flat=True).first()
    return {alarm.owner_id} | ({authority} if authority else set())


def _posted(alarm: Alarm, *, backup: bool) -> list[tuple[int, int]]:
    """(user, organisation) of the posts covering the alarm's area now."""
    tz = Port.objects.filter(pk=alarm.port_id).values_list("time_zone", flat=True).first() or "UTC"
    now = clock.now()
    posts = OperatorPost.objects.filter(port_id=alarm.port_id, backup=backup, user__is_active=True)
    found = []
    for post in posts:
        if post.facility_id is not None and post.facility_id != alarm.facility_id:
            continue
        if schedules.allows(post.hours or {}, now, tz):
            found.append((post.user_id, post.organisation_id))
    return found


def _by_role(alarm: Alarm, roles: list[str]) -> list[tuple[int, int]]:
    return list(Membership.objects.filter(organisation_id__in=_organisations(alarm), role__in=roles, is_active=True,
                                          user__is_active=True).values_list("user_id", "organisation_id"))


def _tell(event: OutboxEvent, alarm: Alarm, people: list[tuple[int, int]], kind: str, title: str) -> None:
    for user_id, organisation_id in dict.fromkeys(people):
        Notification.objects.get_or_create(user_id=user_id, event_sequence=event.sequence, kind=kind, defaults={
            "organisation_id": organisation_id, "title": title, "created_at": clock.now(),
            # Stored as data, untranslated: the bell shows it in the reader's language.
            "body": f"#{alarm.pk} · P{alarm.priority} · {alarm.title}",
            "link": f"/controlroom/alarms/{alarm.pk}/",
        })


@consumer("controlroom.dispatch", types={"controlroom.alarm.raised", "controlroom.alarm.escalated",
                                         "controlroom.alarm.step_skipped"})
def dispatch(event: OutboxEvent) -> None:
    alarm = Alarm.objects.filter(pk=event.payload.get("alarm")).first()
    if alarm is None:
        return
    if event.type == "controlroom.alarm.raised":
        people = _posted(alarm, backup=False) or _by_role(alarm, OPERATORS)
        _tell(event, alarm, people, "controlroom.alarm", gettext_noop("New alarm"))
    elif event.type == "controlroom.alarm.escalated":
        if alarm.state != "new":
            return  # acknowledged meanwhile
        people = _posted(alarm, backup=True) or _by_role(alarm, OFFICERS)
        _tell(event, alarm, people, "controlroom.escalation", gettext_noop("Alarm not acknowledged in time"))
    else:
        _tell(event, alarm, _by_role(alarm, OFFICERS), "controlroom.step_skipped",
              gettext_noop("A procedure step was skipped"))
