"""Dispatch: who is told of an alarm (see docs/controlroom.md, "Alarms, dispatch and escalation").

- A raised alarm goes to the operators posted to its area (its facility, or the whole
  port) whose hours cover now, in the port's time. If no post covers it, it goes to every
  control-room operator of the alarm's organisation and of the port's authority.
- An escalated alarm goes to the backups posted to its area; with none, to the security
  officers (PSO and PFSO) of the same organisations.
- A skipped step of a procedure goes to the security officers: they supervise.

Each person told gets core's notification (the bell in the page; made at most once per
person and event, so a consumer that runs twice tells nobody twice) and, with an e-mail
address, an e-mail in their language with a link to the alarm and to its snapshots
(links that expire and need a sign-in: ``controlroom/links.py``). For SMS and push, a
``controlroom.alarm.notify`` event names who was told, with the same links: the
organisation's SMS or push gateway is a webhook receiver of it (as the Port of Limburg
sends camera images to the responsible person's phone). Telling is audited.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from havenwatch.controlroom import links
from havenwatch.controlroom.models import Alarm, AlarmEvent, OperatorPost, Snapshot
from havenwatch.core import clock, schedules
from havenwatch.core.choices import Role
from havenwatch.core.events import consumer
from havenwatch.core.models import Membership, Notification, OutboxEvent, Port
from havenwatch.core.principal import system_principal
from havenwatch.core.services._emit import emit

log = logging.getLogger(__name__)
PLATFORM = system_principal("control room")
MAX_SNAPSHOT_LINKS = 3

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
    told = []
    for user_id, organisation_id in dict.fromkeys(people):
        _note, created = Notification.objects.get_or_create(user_id=user_id, event_sequence=event.sequence, kind=kind,
                                                            defaults={
            "organisation_id": organisation_id, "title": title, "created_at": clock.now(),
            # Stored as data, untranslated: the bell shows it in the reader's language.
            "body": f"#{alarm.pk} · P{alarm.priority} · {alarm.title}",
            "link": f"/controlroom/alarms/{alarm.pk}/",
        })
        if created:
            told.append(user_id)
    if told:
        _send(alarm, told, kind, title)


def _send(alarm: Alarm, user_ids: list[int], kind: str, title: str) -> None:
    """E-mail each person told (after the commit: a rolled-back dispatch sends nothing), and
    publish the push/SMS event with the same links."""
    users = list(get_user_model().objects.filter(pk__in=user_ids, is_active=True))
    snapshots = list(Snapshot.objects.filter(event_id__in=AlarmEvent.objects.filter(alarm=alarm).values("event_id"))
                     .order_by("-event_id").values_list("event_id", flat=True)[:MAX_SNAPSHOT_LINKS])
    recipients = [{"username": user.get_username(), "snapshots": [links.snapshot_url(e, user.pk) for e in snapshots]}
                  for user in users]
    emit(actor=PLATFORM, code="controlroom.alarm.notify", subject=alarm, organisation_id=alarm.owner_id,
         port_id=alarm.port_id, facility_id=alarm.facility_id, priority=alarm.priority,
         data={"alarm": alarm.pk, "kind": kind, "recipients": [r["username"] for r in recipients]},
         payload={"alarm": alarm.pk, "kind": kind, "priority": alarm.priority, "title": alarm.title,
                  "link": links.alarm_url(alarm.pk), "recipients": recipients})
    mails = [(user, recipient) for user, recipient in zip(users, recipients, strict=True) if user.email]
    if mails:
        transaction.on_commit(lambda: _mail(alarm, mails, title))


def _mail(alarm: Alarm, mails, title: str) -> None:
    for user, recipient in mails:
        with translation.override(user.preferred_language or settings.LANGUAGE_CODE):
            subject = f"[{settings.HAVENWATCH['INSTANCE_NAME']}] P{alarm.priority} · #{alarm.pk} · {_(title)}"
            lines = [f"{_(title)}: {alarm.title}", "", _("Open the alarm: %(link)s") % {"link": links.alarm_url(alarm.pk)}]
            for url in recipient["snapshots"]:
                lines.append(_("Camera image (expires in 24 hours, sign-in needed): %(link)s") % {"link": url})
        try:
            send_mail(subject[:200], "\n".join(lines), None, [user.email])
        except Exception:  # the bell in the page still has it; the mail server's trouble is logged
            log.exception("alarm e-mail to user %s failed", user.pk)


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
