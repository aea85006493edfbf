"""The pickup at the terminal gate: does this driver, with this truck, get this container now?

Granted only if all lights are green, the right is held by the haulier that assigned
the driver, the presented credential is the assigned driver's and valid, the driver is
not banned (a fresh check), the plate matches, the slot holds, and the container was
not picked up already. Every attempt, granted or not, is stored, audited and published;
refusals that point at fraud go out at priority 1. A granted pickup closes the release.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from havenwatch.access import validation as access_validation
from havenwatch.access.choices import CredentialState, ScreeningResult
from havenwatch.access.decisions import MalformedInput, normalise_plate
from havenwatch.access.services.screening import ban_check, verification_lapsed
from havenwatch.core import clock
from havenwatch.core.authz import require
from havenwatch.core.choices import EventAudience
from havenwatch.core.errors import Conflict, PermissionRefused, ServiceError
from havenwatch.core.models import Facility
from havenwatch.core.principal import Principal
from havenwatch.core.services._emit import emit
from havenwatch.release import gate_reads, validation
from havenwatch.release.choices import (
    FRAUD_REASONS,
    LIVE_STATUSES,
    OVERRIDABLE_REASONS,
    AssignmentStatus,
    Light,
    PickupReason,
    ReleaseStatus,
)
from havenwatch.release.models import (
    CommercialRelease,
    Container,
    DriverAssignment,
    PickupAttempt,
)
from havenwatch.release.selectors import Lights, concerned_parties


def _require_gate(actor: Principal, terminal: Facility) -> None:
    require(actor, "release.pickup")
    if not actor.unrestricted and actor.organisation_id != terminal.operator_id:
        raise PermissionRefused(_("Only %(terminal)s's gate can decide pickups there.") % {"terminal": terminal.name})
    token = actor.token
    if token is not None and token.facility_id is not None and token.facility_id != terminal.pk:
        raise PermissionRefused(_("This gate controller's token is bound to another facility."))


def _reasons(*, terminal, number, credential_number, plate, biometric_match, at: datetime):
    """The decision's facts and reasons, read fresh (nothing is written here)."""
    found = {"container": None, "release": None, "credential": None, "assignment": None,
             "number": str(number or "")[:20]}
    # Who was presented is part of every attempt, whatever stops it: read it first.
    try:
        presented = access_validation.credential_number(credential_number)
    except ServiceError:
        presented = None
    credential = gate_reads.CREDENTIAL.first(number=presented) if presented else None
    found["credential"] = credential
    try:
        number = validation.container_number(number)
    except ServiceError:
        return [PickupReason.MALFORMED_REQUEST], found
    found["number"] = number  # stored in its standard form: searchable whatever was typed
    # One read: the newest live or picked-up release with its container, hold and holder
    # (locked, so two gates never let the same container out).
    release = gate_reads.RELEASE_AT_GATE.first(number=number, terminal_id=terminal.pk)
    if release is None:
        container = Container.objects.filter(number=number, terminal=terminal).first()
        found["container"] = container
        return [PickupReason.UNKNOWN_CONTAINER if container is None else PickupReason.NO_RELEASE], found
    container = found["container"] = release.container
    found["release"] = release
    if release.status == ReleaseStatus.PICKED_UP:
        return [PickupReason.ALREADY_PICKED_UP], found
    reasons = []
    light = Lights.rule(release=release, held=bool(release.on_hold), discharged=container.discharged_at is not None,
                        at=at)
    if light.commercial != Light.GREEN:
        reasons.append(PickupReason.COMMERCIAL_RED)
    if light.customs != Light.GREEN:
        reasons.append(PickupReason.CUSTOMS_HOLD)
    if light.terminal != Light.GREEN:
        reasons.append(PickupReason.NOT_DISCHARGED)
    assignment = gate_reads.ACTIVE_ASSIGNMENT.first(release_id=release.pk)
    found["assignment"] = assignment
    if release.held_by is None:
        reasons.append(PickupReason.NO_HOLDER)
    if assignment is None:
        reasons.append(PickupReason.NO_ASSIGNMENT)
    elif release.held_by is not None and release.held_by != assignment.haulier_id:
        reasons.append(PickupReason.WRONG_HAULIER)
    if credential is None:
        reasons.append(PickupReason.UNKNOWN_CREDENTIAL)
    else:
        if assignment is not None and credential.pk != assignment.credential_id:
            reasons.append(PickupReason.WRONG_DRIVER)
        if credential.state != CredentialState.ACTIVE or not (credential.valid_from <= at < credential.valid_until):
            reasons.append(PickupReason.CREDENTIAL_INVALID)
        if ban_check(person=credential.person, port=terminal.port, at=at) != ScreeningResult.CLEAR:
            reasons.append(PickupReason.PORT_BAN)
        if verification_lapsed(person=credential.person, at=at):
            reasons.append(PickupReason.VERIFICATION_LAPSED)
    if assignment is not None:
        try:  # read as the access gate reads plates: leniently, a foreign prefix kept
            read = normalise_plate(plate, terminal.port.unlocode[:2].upper()) if plate else ""
        except MalformedInput:
            read = ""
        if read != assignment.plate:
            reasons.append(PickupReason.PLATE_MISMATCH)
        if not (assignment.slot_start <= at < assignment.slot_end):
            reasons.append(PickupReason.OUTSIDE_SLOT)
    if biometric_match is False:
        reasons.append(PickupReason.BIOMETRIC_FAILED)
    return reasons, found


@transaction.atomic
def pickup_decide(
    *, actor: Principal, terminal: Facility, container_number: str, credential_number: str | None,
    plate: str | None = None, biometric_match: bool | None = None,
) -> PickupAttempt:
    """Decide a pickup at ``terminal``'s gate and store the attempt; a grant closes the release."""
    _require_gate(actor, terminal)
    terminal = gate_reads.TERMINAL_WITH_PORT.first(pk=terminal.pk)
    at = clock.now()
    reasons, found = _reasons(terminal=terminal, number=container_number, credential_number=credential_number,
                              plate=plate, biometric_match=biometric_match, at=at)
    granted = not reasons
    attempt = PickupAttempt.objects.create(
        occurred_at=at, terminal=terminal, container_number=found["number"],
        container=found["container"], release=found["release"], presented=str(credential_number or "")[:60],
        credential=found["credential"], plate=str(plate or "")[:24], granted=granted,
        reasons=[PickupReason.GRANTED.value] if granted else [str(r) for r in reasons], actor=actor.label[:160],
    )
    if granted:
        release, assignment = found["release"], found["assignment"]
        release.status = ReleaseStatus.PICKED_UP
        release.updated_at = at
        release.save(update_fields=["status", "updated_at"])
        assignment.status = AssignmentStatus.USED
        assignment.ended_at = at
        assignment.save(update_fields=["status", "ended_at"])
    fraud = any(r in FRAUD_REASONS for r in reasons)
    # A pickup closes the chain: all of it hears. A plain refusal (a wrong plate, a missed
    # slot) is told to the assigning haulier; a fraud alert only to the terminal and the
    # port's authorities, never to a party that could be part of the attempt.
    if granted:
        parties = concerned_parties(found["release"], terminal=terminal)
    elif not fraud and found["assignment"] is not None:
        parties = {found["assignment"].haulier_id}
    else:
        parties = set()
    emit(actor=actor, code="release.pickup", subject=attempt, organisation_id=terminal.operator_id,
         port_id=terminal.port_id, facility_id=terminal.pk, audience=EventAudience.ORGANISATION,
         priority=1 if fraud else 3, parties=parties,
         data={"container": attempt.container_number, "granted": granted, "reasons": attempt.reasons,
               "credential": attempt.presented, "plate": attempt.plate})
    return attempt


@transaction.atomic
def pickup_override(*, actor: Principal, attempt: PickupAttempt, reason: str) -> PickupAttempt:
    """The terminal lets a refused pickup through, saying why: only for its own light, the
    line's block or a missed slot (never customs, a ban, another driver or haulier, or a
    second pickup). The override is an attempt of its own, granted, audited at priority 1,
    and it closes the release like any pickup."""
    require(actor, "release.override")
    attempt = (PickupAttempt.objects.select_for_update(of=("self",))
               .select_related("terminal__port", "release", "container").get(pk=attempt.pk))
    terminal = attempt.terminal
    if not actor.unrestricted and actor.organisation_id != terminal.operator_id:
        raise PermissionRefused(_("Only %(terminal)s's operator can override its pickups.")
                                % {"terminal": terminal.name})
    reason = validation.reason(reason, _("Say why the pickup is let through: it is audited."))
    if attempt.granted or PickupAttempt.objects.filter(override_of=attempt).exists():
        raise Conflict(_("Only a refused pickup that was not overridden yet can be overridden."))
    blocking = [r for r in attempt.reasons if r not in OVERRIDABLE_REASONS]
    if blocking:
        labels = ", ".join(str(PickupReason(r).label) for r in blocking if r in PickupReason.values)
        raise Conflict(_("This refusal cannot be overridden by the terminal: %(reasons)s.") % {"reasons": labels})
    release = (CommercialRelease.objects.select_for_update(of=("self",)).get(pk=attempt.release_id)
               if attempt.release_id else None)
    if release is None or release.status not in LIVE_STATUSES:
        raise Conflict(_("The release is no longer live: there is nothing to let through."))
    now = clock.now()
    override = PickupAttempt.objects.create(
        occurred_at=now, terminal=terminal, container_number=attempt.container_number, container=attempt.container,
        release=release, presented=attempt.presented, credential=attempt.credential, plate=attempt.plate,
        granted=True, reasons=[PickupReason.OVERRIDE.value], actor=actor.label[:160], override_of=attempt,
        override_reason=reason,
    )
    parties = concerned_parties(release)
    release.status = ReleaseStatus.PICKED_UP
    release.updated_at = now
    release.save(update_fields=["status", "updated_at"])
    DriverAssignment.objects.filter(release=release, status=AssignmentStatus.ACTIVE).update(
        status=AssignmentStatus.USED, ended_at=now)
    emit(actor=actor, code="release.pickup.override", subject=override, organisation_id=terminal.operator_id,
         port_id=terminal.port_id, facility_id=terminal.pk, audience=EventAudience.ORGANISATION, priority=1,
         parties=parties, data={"container": attempt.container_number, "override_of": attempt.pk,
               "overridden_reasons": attempt.reasons, "reason": reason})
    return override
