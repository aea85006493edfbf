"""In-process consumers of the core's own domain events."""

from __future__ import annotations

from django.utils.translation import gettext_noop

from havenwatch.core import clock
from havenwatch.core.choices import Role
from havenwatch.core.events import consumer
from havenwatch.core.models import Membership, Notification, OutboxEvent, SecurityLevelAcknowledgement

# Who is told to acknowledge a level change at their facility.
ACKNOWLEDGING_ROLES = [Role.FACILITY_SECURITY_OFFICER, Role.CONTROL_ROOM_OPERATOR]


@consumer("core.notifications", types={"core.security_level.changed"})
def notify_level_change(event: OutboxEvent) -> None:
    """Tell each facility's security officers and operators that a change awaits acknowledgement.

    Idempotent: a notification exists at most once per (user, event, kind).
    """
    change_id = event.payload.get("change_id")
    pending = SecurityLevelAcknowledgement.objects.filter(change_id=change_id).select_related("facility")
    for ack in pending:
        members = Membership.objects.filter(
            organisation_id=ack.facility.operator_id, role__in=ACKNOWLEDGING_ROLES, is_active=True,
            user__is_active=True,
        ).select_related("user")
        for membership in members:
            Notification.objects.get_or_create(
                user=membership.user,
                event_sequence=event.sequence,
                kind="security_level_ack",
                defaults={
                    "organisation_id": ack.facility.operator_id,
                    # Stored untranslated; the page translates it for the reader's language.
                    "title": gettext_noop("Security level change to acknowledge"),
                    # Levels as bare numbers: the title says what they are, in the reader's language.
                    "body": f"{event.payload.get('scope_name', '')}: {event.payload.get('previous_level')}"
                    f" → {event.payload.get('level')}",
                    "link": "/security-levels/",
                    "created_at": clock.now(),
                },
            )
