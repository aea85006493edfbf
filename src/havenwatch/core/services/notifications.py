from __future__ import annotations

from django.db import transaction

from havenwatch.core import clock
from havenwatch.core.errors import PermissionRefused
from havenwatch.core.models import Notification
from havenwatch.core.principal import Principal


@transaction.atomic
def notification_mark_read(*, actor: Principal, notification: Notification) -> Notification:
    """Reading a notification is not a security act: it is not audited."""
    if notification.user_id != actor.user_id:
        raise PermissionRefused("This notification is someone else's.")
    if notification.read_at is None:
        notification.read_at = clock.now()
        notification.save(update_fields=["read_at"])
    return notification


@transaction.atomic
def notification_mark_all_read(*, actor: Principal) -> int:
    return Notification.objects.filter(
        user_id=actor.user_id, organisation_id=actor.organisation_id, read_at__isnull=True
    ).update(read_at=clock.now())
