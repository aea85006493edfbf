"""Driver assignments: the haulier that holds the right names the driver (by credential),
the truck and the time slot. A blocked credential or a port ban cancels the assignment
and tells the haulier (``release/consumers.py``)."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from havenwatch.access import validation as access_validation
from havenwatch.access.choices import CredentialState, ScreeningResult
from havenwatch.access.models import Credential
from havenwatch.access.services.rights import check_window
from havenwatch.access.services.screening import ban_check, verification_lapsed
from havenwatch.core import clock
from havenwatch.core.authz import require
from havenwatch.core.errors import Conflict, NotFound, PermissionRefused, ValidationFailed
from havenwatch.core.principal import Principal
from havenwatch.core.services._emit import emit
from havenwatch.release import validation
from havenwatch.release.choices import LIVE_STATUSES, AssignmentStatus, RightStatus
from havenwatch.release.models import CommercialRelease, DriverAssignment, ReleaseRight

# Reasons the platform stores for its own cancellations (stored as data, in English, as a
# person's typed reason is stored in the words they typed).
REPLACED = "replaced by a new assignment"
REISSUED = "moved to the reissued release"
WITHDRAWN = "the release was withdrawn; the haulier no longer holds its right"
NO_LONGER_HELD = "the haulier no longer holds the release right"
RELEASE_REVOKED = "the release was revoked"
VERIFICATION_LAPSED = "the driver's security verification was refused or has expired"


def _tell(actor: Principal, code: str, assignment: DriverAssignment, data: dict, priority: int = 3) -> None:
    terminal = assignment.release.container.terminal
    # The terminal expects (or no longer expects) this driver at its gate.
    emit(actor=actor, code=code, subject=assignment, organisation_id=assignment.haulier_id,
         port_id=terminal.port_id, facility_id=terminal.pk, priority=priority, parties={terminal.operator_id},
         data={"container": assignment.release.container.number, "credential": assignment.credential.number,
               **data})


@transaction.atomic
def assignment_create(
    *, actor: Principal, release: CommercialRelease, credential_number: str, plate: str, slot_start: datetime,
    slot_end: datetime,
) -> DriverAssignment:
    """Name the driver who alone may pick the container up. The haulier must hold the right;
    the driver must be its employee with a valid credential of the port, and not banned.
    A new assignment replaces the active one."""
    require(actor, "release.assign")
    release = (CommercialRelease.objects.select_for_update(of=("self",))
               .select_related("container__terminal__port").get(pk=release.pk))
    if release.status not in LIVE_STATUSES:
        raise Conflict(_("The release of %(number)s is no longer live: no driver can be assigned.")
                       % {"number": release.container.number})
    held = ReleaseRight.objects.filter(release=release, status=RightStatus.HELD).first()
    if held is None or (held.holder_id != actor.organisation_id and not actor.unrestricted):
        raise PermissionRefused(_("Only the haulier that holds the release right can assign a driver."))
    haulier_id = held.holder_id
    port = release.container.terminal.port
    number = access_validation.credential_number(credential_number)
    credential = Credential.objects.select_related("person").filter(number=number).first()
    if credential is None:
        raise NotFound(_("No credential %(number)s.") % {"number": number}, field="credential")
    if credential.person.employer_id != haulier_id:
        raise ValidationFailed(_("%(number)s is not the credential of one of your drivers.") % {"number": number},
                               field="credential")
    if credential.port_id != port.pk:
        raise ValidationFailed(_("%(number)s is a credential of another port.") % {"number": number},
                               field="credential")
    if credential.state != CredentialState.ACTIVE or credential.valid_until <= clock.now():
        raise ValidationFailed(_("%(number)s is not an active, valid credential.") % {"number": number},
                               field="credential")
    screening = ban_check(person=credential.person, port=port)
    if screening == ScreeningResult.HIT:
        raise ValidationFailed(_("This driver cannot be assigned: the port ban check is a hit."), field="credential")
    if screening != ScreeningResult.CLEAR:
        raise ValidationFailed(_("The ban check cannot be answered now: try again later."), field="credential")
    if verification_lapsed(person=credential.person):
        raise ValidationFailed(_("This driver cannot be assigned: the security verification was refused or has "
                                 "expired."), field="credential")
    if not (plate or "").strip():
        raise ValidationFailed(_("Give the truck's number plate."), field="plate")
    plate = access_validation.plate_in(plate, port.unlocode[:2])
    check_window(slot_start, slot_end, start_field="slot_start", end_field="slot_end")
    if slot_end <= clock.now():
        raise ValidationFailed(_("The time slot has ended already."), field="slot_end")
    now = clock.now()
    for previous in DriverAssignment.objects.select_for_update().filter(release=release,
                                                                        status=AssignmentStatus.ACTIVE):
        _end(actor, previous, AssignmentStatus.CANCELLED, REPLACED, now)
    assignment = DriverAssignment.objects.create(release=release, haulier_id=haulier_id, credential=credential,
                                                 plate=plate, slot_start=slot_start, slot_end=slot_end,
                                                 created_at=now)
    _tell(actor, "release.assignment.created", assignment, {
        "plate": plate, "slot_start": slot_start.isoformat(), "slot_end": slot_end.isoformat()})
    return assignment


def _end(actor: Principal, assignment: DriverAssignment, status: str, reason: str, now, priority: int = 3) -> None:
    assignment.status = status
    assignment.cancelled_reason = reason if status == AssignmentStatus.CANCELLED else ""
    assignment.ended_at = now
    assignment.save(update_fields=["status", "cancelled_reason", "ended_at"])
    if status == AssignmentStatus.CANCELLED:
        _tell(actor, "release.assignment.cancelled", assignment, {"reason": reason}, priority=priority)


@transaction.atomic
def assignment_cancel(*, actor: Principal, assignment: DriverAssignment, reason: str) -> DriverAssignment:
    require(actor, "release.assign")
    assignment = (DriverAssignment.objects.select_for_update(of=("self",))
                  .select_related("release__container__terminal", "credential").get(pk=assignment.pk))
    if assignment.haulier_id != actor.organisation_id and not actor.unrestricted:
        raise PermissionRefused(_("Only the haulier that made the assignment can cancel it."))
    reason = validation.reason(reason, _("Say why the assignment is cancelled."))
    if assignment.status != AssignmentStatus.ACTIVE:
        raise Conflict(_("Only an active assignment can be cancelled; this one is: %(status)s.")
                       % {"status": assignment.get_status_display()})
    _end(actor, assignment, AssignmentStatus.CANCELLED, reason, clock.now())
    return assignment


def cancel_assignments(*, actor: Principal, reason: str, credential_id: int | None = None,
                       person_id: int | None = None, release_id: int | None = None,
                       haulier_id: int | None = None, priority: int = 1) -> int:
    """Cancel the active assignments of a credential or of a person (their credential was
    blocked, or they were banned), or of a release (``haulier_id``: only that haulier's; it
    no longer holds the right, or the release fell), telling each haulier."""
    qs = DriverAssignment.objects.select_for_update(of=("self",)).filter(status=AssignmentStatus.ACTIVE)
    if credential_id is not None:
        qs = qs.filter(credential_id=credential_id)
    elif person_id is not None:
        qs = qs.filter(credential__person_id=person_id)
    elif release_id is not None:
        qs = qs.filter(release_id=release_id)
        if haulier_id is not None:
            qs = qs.filter(haulier_id=haulier_id)
    else:
        return 0
    now = clock.now()
    count = 0
    for assignment in qs.select_related("release__container__terminal", "credential").order_by("pk"):
        _end(actor, assignment, AssignmentStatus.CANCELLED, reason, now, priority=priority)
        count += 1
    return count


def carry_over(*, actor: Principal, old: CommercialRelease, new: CommercialRelease) -> DriverAssignment | None:
    """A reissued release keeps its driver: the old release's active assignment ends and the
    same driver, truck and slot are assigned on its successor, if the same haulier holds
    the restored right. Otherwise the assignment is cancelled and the haulier told."""
    previous = (DriverAssignment.objects.select_for_update(of=("self",))
                .filter(release=old, status=AssignmentStatus.ACTIVE)
                .select_related("release__container__terminal", "credential").first())
    if previous is None:
        return None
    held = ReleaseRight.objects.filter(release=new, status=RightStatus.HELD).first()
    now = clock.now()
    if held is None or held.holder_id != previous.haulier_id:
        _end(actor, previous, AssignmentStatus.CANCELLED, WITHDRAWN, now, priority=2)
        return None
    _end(actor, previous, AssignmentStatus.CANCELLED, REISSUED, now)
    assignment = DriverAssignment.objects.create(
        release=new, haulier_id=previous.haulier_id, credential=previous.credential, plate=previous.plate,
        slot_start=previous.slot_start, slot_end=previous.slot_end, created_at=now)
    _tell(actor, "release.assignment.created", assignment, {
        "plate": assignment.plate, "slot_start": assignment.slot_start.isoformat(),
        "slot_end": assignment.slot_end.isoformat()})
    return assignment
