"""Gate decisions and guards' overrides: every answer stored, audited and published."""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from havenwatch.access.choices import Direction, Reason
from havenwatch.access.decisions import Decision, decide
from havenwatch.access.models import AccessEvent, AccessPoint, Presence, Zone
from havenwatch.core import clock
from havenwatch.core.authz import require
from havenwatch.core.choices import EventAudience
from havenwatch.core.errors import Conflict, PermissionRefused, ValidationFailed
from havenwatch.core.principal import Principal
from havenwatch.core.services._emit import emit

# Refusals the control room must look at first: someone who should not be in the port.
URGENT = {Reason.PORT_BAN.value, Reason.CREDENTIAL_BLOCKED.value, Reason.UNKNOWN_CREDENTIAL.value}
OVERRIDE_REASON_MIN = 10


def _check_token_facility(actor: Principal, facility_id: int) -> None:
    token = actor.token
    if token is not None and token.facility_id is not None and token.facility_id != facility_id:
        raise PermissionRefused(_("This gate controller's token is bound to another facility."))


@transaction.atomic
def gate_decide(
    *,
    actor: Principal,
    access_point: AccessPoint,
    credential_number: str | None = None,
    plate: str | None = None,
    biometric_match: bool | None = None,
    direction: str | None = None,
    malformed: bool = False,
) -> AccessEvent:
    """Decide a passage and store it, granted or not (see :mod:`havenwatch.access.decisions`).

    A token bound to a facility decides at that facility's access points only. A granted
    entry puts the person on the zone's presence list; a granted exit takes them off it.
    The domain event is priority 2 for a refusal that matters at once (ban, blocked or
    unknown credential), 3 otherwise.
    """
    require(actor, "access.decide")
    # The tenancy check and the fresh load with zone, facility and port (whose security
    # levels the engine reads) in one query.
    point = (AccessPoint.objects.restrict(actor, "access.decide").select_related("zone__facility__port")
             .filter(pk=access_point.pk).first())
    if point is None:
        require(actor, "access.decide", access_point)  # refuses, with the usual message
    decision = decide(access_point=point, fresh=True, credential_number=credential_number, plate=plate,
                      biometric_match=biometric_match, direction=direction, malformed=malformed)
    facility = decision.facility
    _check_token_facility(actor, facility.pk)  # before anything is written
    event = AccessEvent.objects.create(
        occurred_at=decision.at, access_point=decision.access_point, facility=facility,
        direction=decision.direction, presented=decision.presented, plate=decision.plate,
        credential=decision.credential, person=decision.person, granted=decision.granted,
        reasons=decision.reasons, security_level=decision.security_level, actor=actor.label[:160],
    )
    if decision.granted:
        _move(event, decision.zone)
    point = decision.access_point
    urgent = not decision.granted and any(r in URGENT for r in decision.reasons)
    emit(
        actor=actor, code="access.decision", subject=event, organisation_id=facility.operator_id,
        port_id=facility.port_id, facility_id=facility.pk,
        data={"access_point": point.code, "facility": facility.isps_number, "direction": event.direction,
              "granted": event.granted, "reasons": event.reasons,
              "credential": event.presented, "plate": event.plate, "security_level": event.security_level},
        payload={"event_id": event.pk, "access_point_id": point.pk, "access_point": point.code,
                 "facility_id": facility.pk, "facility": facility.isps_number, "zone_id": decision.zone.pk,
                 "direction": event.direction, "granted": event.granted, "reasons": event.reasons,
                 "credential": event.presented, "plate": event.plate, "security_level": event.security_level},
        audience=EventAudience.ORGANISATION, priority=2 if urgent else 3,
    )
    return event


def _move(event: AccessEvent, zone: Zone) -> None:
    """A granted passage changes who is inside ``zone``."""
    if event.person_id is None:
        return
    if event.direction == Direction.IN:
        Presence.objects.update_or_create(person_id=event.person_id, zone=zone,
                                          defaults={"entered_at": event.occurred_at, "entry": event})
    else:
        Presence.objects.filter(person_id=event.person_id, zone=zone).delete()


@transaction.atomic
def gate_override(*, actor: Principal, event: AccessEvent, reason: str) -> AccessEvent:
    """A guard lets through someone the gate refused (an escort is there, a card reader
    failed). The override is an event of its own, pointing at the refusal; a refusal is
    overridden once only."""
    require(actor, "access.override", event)
    reason = " ".join((reason or "").split())
    if len(reason) < OVERRIDE_REASON_MIN or len(reason.split()) < 2:
        raise ValidationFailed(_("Say why you let this person through (at least a few words)."), field="reason")
    if len(reason) > 300:
        raise ValidationFailed(_("Keep the reason under 300 characters."), field="reason")
    original = (AccessEvent.objects.select_for_update(of=("self",)).select_related("access_point__zone", "facility")
                .get(pk=event.pk))
    _check_token_facility(actor, original.facility_id)
    if original.override_of_id is not None:
        raise Conflict(_("This is an override already; it cannot be overridden."))
    if original.granted:
        raise Conflict(_("This passage was granted; there is nothing to override."))
    if AccessEvent.objects.filter(override_of=original).exists():
        raise Conflict(_("This refusal was overridden already."))
    override = AccessEvent.objects.create(
        occurred_at=clock.now(), access_point=original.access_point, facility=original.facility,
        direction=original.direction, presented=original.presented, plate=original.plate,
        credential=original.credential, person=original.person, granted=True, reasons=list(original.reasons),
        security_level=original.security_level, override_of=original, override_reason=reason,
        actor=actor.label[:160],
    )
    _move(override, original.access_point.zone)
    facility = original.facility
    emit(
        actor=actor, code="access.override", subject=override, organisation_id=facility.operator_id,
        port_id=facility.port_id, facility_id=facility.pk,
        data={"access_point": original.access_point.code, "facility": facility.isps_number,
              "overrides": original.pk, "granted": True, "reason": reason},
        payload={"event_id": override.pk, "overrides": original.pk, "access_point_id": original.access_point_id,
                 "access_point": original.access_point.code, "facility_id": facility.pk,
                 "facility": facility.isps_number, "reasons": override.reasons, "credential": override.presented,
                 "plate": override.plate, "reason": reason},
        audience=EventAudience.ORGANISATION, priority=1,
    )
    return override


def who_is_inside(*, principal: Principal, zone: Zone) -> QuerySet[Presence]:
    """The people inside ``zone`` now (mustering), as far as ``principal`` may see them."""
    return (Presence.objects.restrict(principal, "access.view_presence").filter(zone=zone)
            .select_related("person").order_by("entered_at", "pk"))


def event_list(*, principal: Principal) -> QuerySet[AccessEvent]:
    """Access events ``principal`` may see, newest first."""
    return AccessEvent.objects.restrict(principal, "access.view_events").order_by("-occurred_at", "-pk")


__all__ = ["Decision", "event_list", "gate_decide", "gate_override", "who_is_inside"]
