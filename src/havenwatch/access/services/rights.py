"""Authorisations: the right of a person, or of every employee of an organisation, to enter a zone."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils.translation import gettext as _

from havenwatch.access.models import Authorisation, Person, Zone
from havenwatch.access.services.places import require_facility_operator
from havenwatch.core import clock, schedules
from havenwatch.core.authz import require
from havenwatch.core.errors import Conflict, ValidationFailed
from havenwatch.core.models import Organisation
from havenwatch.core.principal import Principal
from havenwatch.core.services._emit import emit


def local_text(moment: datetime, tz: str) -> str:
    """A moment as the port reads it: ``2026-03-02 09:00``."""
    return moment.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M")


def check_window(valid_from, valid_until, *, start_field: str = "valid_from", end_field: str = "valid_until") -> None:
    if not isinstance(valid_from, datetime) or valid_from.tzinfo is None:
        raise ValidationFailed(_("Give the start as a date and time with its time zone."), field=start_field)
    if not isinstance(valid_until, datetime) or valid_until.tzinfo is None:
        raise ValidationFailed(_("Give the end as a date and time with its time zone."), field=end_field)
    if valid_until <= valid_from:
        raise ValidationFailed(_("The end must come after the start."), field=end_field)
    if valid_until <= clock.now():
        raise ValidationFailed(_("The window has ended already."), field=end_field)


def _holder_label(authorisation: Authorisation) -> str:
    if authorisation.person_id is not None:
        return f"person:{authorisation.person_id}"
    return f"organisation:{authorisation.organisation_id}"


@transaction.atomic
def authorisation_grant(
    *,
    actor: Principal,
    zone: Zone,
    valid_from: datetime,
    valid_until: datetime,
    purpose: str,
    person: Person | None = None,
    organisation: Organisation | None = None,
    schedule: dict | None = None,
    escort_required: bool = False,
    vehicle_only: bool = False,
    requires_verification: bool = False,
    required_training: str = "",
) -> Authorisation:
    """Let one person, or every employee of one organisation, into a zone for a window.

    ``required_training`` names a course the holder must have completed (and still hold):
    the gate refuses without it.

    Two live authorisations of the same holder for the same zone never overlap in time:
    which one's schedule and conditions would apply would be a guess.
    """
    require(actor, "access.manage_authorisations")
    facility = zone.facility
    require_facility_operator(actor, facility, _("grant access to its zones"))
    if (person is None) == (organisation is None):
        raise ValidationFailed(_("Grant the authorisation to one person or to one organisation."), field="person")
    check_window(valid_from, valid_until)
    purpose = (purpose or "").strip()
    if not purpose:
        raise ValidationFailed(_("Say what the authorisation is for (its purpose)."), field="purpose")
    if len(purpose) > 60:
        raise ValidationFailed(_("The purpose is too long: at most 60 characters."), field="purpose")
    required_training = " ".join((required_training or "").split())
    if len(required_training) > 80:
        raise ValidationFailed(_("The course name is at most %(n)s characters.") % {"n": 80},
                               field="required_training")
    try:
        schedule = schedules.validate(schedule or {})
    except schedules.ScheduleError as exc:
        raise ValidationFailed(str(exc), field="schedule") from exc
    holder = {"person": person} if person is not None else {"organisation": organisation}
    # Serialise grants for the zone: two at once must not both pass the overlap check.
    list(Zone.objects.select_for_update().filter(pk=zone.pk).order_by().values_list("pk", flat=True))
    existing = (
        Authorisation.objects.filter(zone=zone, revoked_at__isnull=True, valid_from__lt=valid_until, valid_until__gt=valid_from, **holder)
        .order_by("valid_from")
        .first()
    )
    if existing is not None:
        tz = facility.port.time_zone
        raise Conflict(
            _("%(holder)s already holds an authorisation for %(zone)s from %(start)s to %(end)s: "
              "overlapping windows are not allowed.")
            % {"holder": person or organisation, "zone": zone.name,
               "start": local_text(existing.valid_from, tz), "end": local_text(existing.valid_until, tz)},
            field="valid_from",
        )
    authorisation = Authorisation.objects.create(
        zone=zone, valid_from=valid_from, valid_until=valid_until, schedule=schedule, purpose=purpose,
        escort_required=bool(escort_required), vehicle_only=bool(vehicle_only),
        requires_verification=bool(requires_verification), required_training=required_training,
        granted_by=facility.operator,
        granted_at=clock.now(), **holder,
    )
    emit(actor=actor, code="access.authorisation.granted", subject=authorisation,
         organisation_id=facility.operator_id, port_id=facility.port_id, facility_id=facility.pk,
         data={"zone": zone.code, "holder": _holder_label(authorisation), "valid_from": valid_from.isoformat(),
               "valid_until": valid_until.isoformat(), "schedule": schedule, "purpose": purpose,
               "conditions": {"escort_required": authorisation.escort_required,
                              "vehicle_only": authorisation.vehicle_only,
                              "requires_verification": authorisation.requires_verification,
                              **({"required_training": required_training} if required_training else {})}})
    return authorisation


@transaction.atomic
def authorisation_revoke(*, actor: Principal, authorisation: Authorisation) -> Authorisation:
    """End an authorisation now. It stays on record: past decisions refer to it."""
    require(actor, "access.manage_authorisations", authorisation)
    authorisation = Authorisation.objects.select_for_update().select_related("zone__facility").get(
        pk=authorisation.pk
    )
    facility = authorisation.zone.facility
    require_facility_operator(actor, facility, _("revoke access to its zones"))
    if authorisation.revoked_at is not None:
        raise Conflict(_("This authorisation was revoked already."))
    authorisation.revoked_at = clock.now()
    authorisation.save(update_fields=["revoked_at"])
    emit(actor=actor, code="access.authorisation.revoked", subject=authorisation,
         organisation_id=facility.operator_id, port_id=facility.port_id, facility_id=facility.pk,
         data={"zone": authorisation.zone.code, "holder": _holder_label(authorisation)})
    return authorisation


def authorisation_applies(*, authorisation: Authorisation, at: datetime, tz: str) -> bool:
    """Whether the authorisation lets its holder in at ``at``: inside its window, inside
    its weekly schedule (read in ``tz``, the facility's time zone), and not revoked by then."""
    if authorisation.revoked_at is not None and authorisation.revoked_at <= at:
        return False
    if not schedules.within(at, authorisation.valid_from, authorisation.valid_until):
        return False
    return schedules.allows(authorisation.schedule or {}, at, tz)
