from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from havenwatch.core import clock
from havenwatch.core.authz import require
from havenwatch.core.choices import EventAudience, SecurityLevel
from havenwatch.core.errors import Conflict, PermissionRefused, ValidationFailed
from havenwatch.core.models import Facility, Port, SecurityLevelAcknowledgement, SecurityLevelChange
from havenwatch.core.principal import Principal
from havenwatch.core.services._emit import emit


@transaction.atomic
def security_level_set(
    *, actor: Principal, port: Port, level: int, reason: str, facility: Facility | None = None
) -> SecurityLevelChange:
    """Raise or lower the security level of a whole port or of one facility.

    - A port's level is set by its port security officer (or an authority with
      jurisdiction); every active facility of the port must acknowledge it.
    - A facility's level may be set above the port's by the facility's own security
      officer or by the port; never below the port's level.
    - Lowering a port's level lowers facilities that stood at the old port level; a
      facility raised on its own stays where it is.
    """
    require(actor, "core.change_security_level")
    try:
        level = int(level)
    except (TypeError, ValueError):
        level = 0
    if level not in SecurityLevel.values:
        raise ValidationFailed(_("Choose security level 1, 2 or 3."), field="level")
    reason = (reason or "").strip()
    if len(reason) < 5:
        raise ValidationFailed(_("Say why the level changes (at least a few words)."), field="reason")
    port = Port.objects.select_for_update().get(pk=port.pk)
    if facility is None:
        if not actor.unrestricted and port.pk not in actor.jurisdiction_port_ids:
            raise PermissionRefused(_("Only the port's authorities can set the level of %(port)s.") % {"port": port})
        previous = port.security_level
        if previous == level:
            raise Conflict(_("%(port)s is at security level %(level)s already.") % {"port": port.name, "level": level})
        port.security_level = level
        port.save(update_fields=["security_level"])
        affected = list(Facility.objects.select_for_update().filter(port=port, is_active=True))
        for item in affected:
            # Facilities follow the port up; going down, a facility that its own officer
            # raised above the old port level keeps its higher level.
            new_level = max(item.security_level, level) if level > previous else (
                level if item.security_level <= previous else item.security_level
            )
            if new_level != item.security_level:
                item.security_level = new_level
                item.save(update_fields=["security_level"])
        scope_name = port.name
    else:
        if facility.port_id != port.pk:
            raise ValidationFailed(_("%(facility)s is not in %(port)s.") % {"facility": facility, "port": port},
                                   field="facility")
        require(actor, "core.change_security_level", facility)
        facility = Facility.objects.select_for_update().get(pk=facility.pk)
        if level < port.security_level:
            raise ValidationFailed(
                _("A facility cannot be below its port's level (%(port)s is at level %(level)s).")
                % {"port": port.name, "level": port.security_level},
                field="level",
            )
        previous = facility.security_level
        if previous == level:
            raise Conflict(_("%(facility)s is at security level %(level)s already.")
                           % {"facility": facility.name, "level": level})
        facility.security_level = level
        facility.save(update_fields=["security_level"])
        affected = [facility]
        scope_name = facility.name
    change = SecurityLevelChange.objects.create(
        port=port, facility=facility, level=level, previous_level=previous, reason=reason,
        set_by=actor.user, set_by_organisation=actor.organisation, set_at=clock.now(),
    )
    acknowledging = [f for f in affected if f.operator_id != actor.organisation_id or facility is None]
    SecurityLevelAcknowledgement.objects.bulk_create(
        [SecurityLevelAcknowledgement(change=change, facility=f) for f in acknowledging]
    )
    emit(
        actor=actor, code="core.security_level.changed", subject=change, organisation_id=actor.organisation_id,
        port_id=port.pk, facility_id=facility.pk if facility else None,
        data={"scope": "facility" if facility else "port", "port": port.unlocode,
              "facility": facility.isps_number if facility else None, "level": level,
              "previous_level": previous, "reason": reason, "facilities_to_acknowledge": len(acknowledging)},
        payload={"change_id": change.pk, "scope": "facility" if facility else "port", "scope_name": scope_name,
                 "port": port.unlocode, "level": level, "previous_level": previous, "reason": reason},
        audience=EventAudience.PORT, priority=1 if level > previous else 2,
    )
    return change


@transaction.atomic
def security_level_acknowledge(
    *, actor: Principal, acknowledgement: SecurityLevelAcknowledgement
) -> SecurityLevelAcknowledgement:
    """A facility confirms it has seen a level change and applies its measures."""
    require(actor, "core.acknowledge_security_level", acknowledgement)
    ack = SecurityLevelAcknowledgement.objects.select_for_update().select_related("change", "facility").get(
        pk=acknowledgement.pk
    )
    if ack.acknowledged_at is not None:
        raise Conflict(_("%(facility)s acknowledged this change already.") % {"facility": ack.facility.name})
    ack.acknowledged_at = clock.now()
    ack.acknowledged_by = actor.user
    ack.save(update_fields=["acknowledged_at", "acknowledged_by"])
    emit(
        actor=actor, code="core.security_level.acknowledged", subject=ack, organisation_id=ack.facility.operator_id,
        port_id=ack.change.port_id, facility_id=ack.facility_id,
        data={"change": ack.change_id, "facility": ack.facility.isps_number, "level": ack.change.level},
        payload={"change_id": ack.change_id, "facility": ack.facility.name, "level": ack.change.level},
        audience=EventAudience.PORT,
    )
    return ack
