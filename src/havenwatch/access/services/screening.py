"""Screening people: port bans (AIGIS), security verifications (PANOPTES) and the
employer's criminal-record extract checks.

Only authorities read a ban's file; everyone else learns hit, clear, or (when the
check cannot be answered) unavailable, which is a decision by hand and never a yes.
"""

from __future__ import annotations

from datetime import date, datetime

from django.db import DatabaseError, models, transaction
from django.utils.translation import gettext as _

from havenwatch.access.choices import (
    AUTHORITY_ACTOR,
    VISIT_OPEN_STATUSES,
    CredentialState,
    RecordCheckResult,
    ScreeningResult,
    VerificationStatus,
    VisitStatus,
)
from havenwatch.access.models import (
    Credential,
    Person,
    PortBan,
    RecordCheck,
    SecurityVerification,
    TrainingRecord,
    Visit,
    Visitor,
)
from havenwatch.access.services.people import LIVE_STATES, change_state
from havenwatch.core import clock, events
from havenwatch.core.authz import require
from havenwatch.core.choices import AUTHORITY_KINDS, EventAudience
from havenwatch.core.errors import Conflict, PermissionRefused, ValidationFailed
from havenwatch.core.models import Port
from havenwatch.core.principal import Principal
from havenwatch.core.services._emit import emit

MAX_BAN_YEARS = 20
BAN_REASON = "port ban"


def _add_years(moment: datetime, years: int) -> datetime:
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year + years, day=28)


def _require_authority(actor: Principal, action: str, message) -> None:
    require(actor, action)
    organisation = actor.organisation
    if organisation is None or organisation.kind not in AUTHORITY_KINDS:
        raise PermissionRefused(message)


def _check_time(value, field: str) -> None:
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise ValidationFailed(_("Give a date and time with its time zone."), field=field)


# -- port bans -------------------------------------------------------------------------

@transaction.atomic
def ban_issue(
    *,
    actor: Principal,
    person: Person,
    valid_from: datetime,
    valid_until: datetime,
    legal_reference: str,
    ports: list[Port] | None = None,
) -> PortBan:
    """Record a judge's ban of a person from all ports (``ports=None``) or from some.

    At once, in the same transaction: the person's live credentials for the banned
    ports are blocked, every announced or approved visit of the person there that has
    not ended is stopped (and its visitor credentials blocked), and the ban is announced
    to each affected port at priority 1 (payload: the person's id and the ports, so
    that other apps, such as container release, can act on it; never the file).
    """
    _require_authority(actor, "access.manage_bans", _("Only an authority can issue a port ban."))
    legal_reference = " ".join((legal_reference or "").split())
    if not legal_reference:
        raise ValidationFailed(
            _("A ban needs its legal reference: the judgment or decision it rests on."), field="legal_reference"
        )
    if len(legal_reference) > 200:
        raise ValidationFailed(_("The legal reference is too long (200 characters at most)."),
                               field="legal_reference")
    _check_time(valid_from, "valid_from")
    _check_time(valid_until, "valid_until")
    now = clock.now()
    if valid_until <= valid_from:
        raise ValidationFailed(_("A ban must end after it starts."), field="valid_until")
    if valid_until <= now:
        raise ValidationFailed(_("This ban would have ended already."), field="valid_until")
    if valid_until > _add_years(valid_from, MAX_BAN_YEARS):
        raise ValidationFailed(_("A port ban lasts %(years)s years at most.") % {"years": MAX_BAN_YEARS},
                               field="valid_until")
    if ports is not None:
        ports = sorted({port.pk: port for port in ports}.values(), key=lambda p: p.unlocode)
        if not ports:
            raise ValidationFailed(_("Choose the ports the ban covers, or ban from all ports."), field="ports")
    person = Person.objects.select_for_update().get(pk=person.pk)
    ban = PortBan.objects.create(
        person=person, all_ports=ports is None, valid_from=valid_from, valid_until=valid_until,
        legal_reference=legal_reference, issued_by=actor.organisation, issued_at=now,
    )
    if ports is not None:
        ban.ports.set(ports)
    port_filter = models.Q() if ports is None else models.Q(port__in=ports)

    # The person's credentials: blocked at once (a ban that starts later still blocks now:
    # the person is re-credentialed by the issuer once the ban is over).
    credentials = list(
        Credential.objects.select_for_update().filter(port_filter, person=person, state__in=LIVE_STATES)
        .order_by("pk")
    )
    for credential in credentials:
        change_state(actor=actor, credential=credential, state=CredentialState.BLOCKED, reason=BAN_REASON,
                     changed_by=AUTHORITY_ACTOR)

    # Visits of the person that have not ended: stopped, with every credential they gave.
    visit_filter = models.Q() if ports is None else models.Q(facility__port__in=ports)
    # Through a subquery, not a join: PostgreSQL refuses FOR UPDATE with DISTINCT, and only
    # the visit rows are locked (of="self"), not their facilities.
    visits = list(
        Visit.objects.select_for_update(of=("self",)).filter(
            visit_filter, pk__in=Visitor.objects.filter(person=person).values("visit_id"),
            status__in=VISIT_OPEN_STATUSES, window_end__gt=now,
        ).select_related("facility").order_by("pk")
    )
    for visit in visits:
        visit.status = VisitStatus.STOPPED
        visit.decided_at = now
        visit.decided_by = AUTHORITY_ACTOR  # the announcer reads it: never the investigator
        visit.save(update_fields=["status", "decided_at", "decided_by"])
        visit_credentials = Credential.objects.select_for_update().filter(visit=visit, state__in=LIVE_STATES)
        for credential in visit_credentials.order_by("pk"):
            change_state(actor=actor, credential=credential, state=CredentialState.BLOCKED, reason=BAN_REASON,
                         changed_by=AUTHORITY_ACTOR)
            credentials.append(credential)
        emit(
            actor=actor, code="access.visit.stopped", subject=visit, organisation_id=visit.announcer_id,
            port_id=visit.facility.port_id, facility_id=visit.facility_id,
            data={"facility": visit.facility.isps_number},
            payload={"visit_id": visit.pk, "facility": visit.facility.isps_number},
            # The announcer learns its visit stopped (a hit); the port at large does not, and
            # nobody learns which investigator acted.
            audience=EventAudience.ORGANISATION, priority=2, shown_actor=AUTHORITY_ACTOR,
        )

    scope = "all" if ports is None else [port.unlocode for port in ports]
    affected_ports = list(Port.objects.order_by("pk")) if ports is None else ports
    record = emit(
        actor=actor, code="access.ban.issued", subject=ban, organisation_id=actor.organisation_id,
        port_id=ports[0].pk if ports is not None and len(ports) == 1 else None,
        data={"scope": scope, "valid_from": valid_from.isoformat(), "valid_until": valid_until.isoformat(),
              "credentials_blocked": len(credentials), "visits_stopped": len(visits),
              "legal_reference": legal_reference},
        publish=False,
    )
    payload = {"person_id": person.pk, "ports": scope, "ban_id": ban.pk,
               "valid_from": valid_from.isoformat(), "valid_until": valid_until.isoformat(), "actor": actor.label,
               "audit_sequence": record.sequence}
    # Who is banned stays with the authorities: the event reaches the issuing authority and
    # the authorities over each port (and in-process consumers, e.g. container release,
    # which cancels driver assignments); companies learn only hit / no hit at screening.
    for port in affected_ports:
        events.publish(type="access.ban.issued", subject=ban, organisation_id=actor.organisation_id,
                       port_id=port.pk, audience=EventAudience.ORGANISATION, priority=1, payload=payload)
    return ban


@transaction.atomic
def ban_lift(*, actor: Principal, ban: PortBan, reason: str) -> PortBan:
    """Lift a ban (a judgment overturned). Blocked credentials stay blocked: the employer
    issues new ones."""
    _require_authority(actor, "access.manage_bans", _("Only an authority can lift a port ban."))
    ban = PortBan.objects.select_for_update().get(pk=ban.pk)
    if ban.lifted_at is not None:
        raise Conflict(_("This ban was lifted already."))
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationFailed(_("Say why the ban is lifted."), field="reason")
    if len(reason) > 300:
        raise ValidationFailed(_("The reason is too long (300 characters at most)."), field="reason")
    ban.lifted_at = clock.now()
    ban.lifted_reason = reason
    ban.save(update_fields=["lifted_at", "lifted_reason"])
    emit(actor=actor, code="access.ban.lifted", subject=ban, organisation_id=actor.organisation_id,
         data={"reason": reason}, payload={"person_id": ban.person_id, "ban_id": ban.pk})
    return ban


def bans_in_force(*, person, port_id: int, at: datetime):
    """The rule of a ban in force, written once: of the person, not lifted, valid at ``at``,
    from all ports or listing this one. ``person`` is an id or an ``OuterRef`` (the gate
    engine uses it as a subquery, so a decision costs no extra round trip)."""
    return PortBan.objects.filter(
        models.Q(all_ports=True) | models.Q(ports__pk=port_id),
        person=person, lifted_at__isnull=True, valid_from__lte=at, valid_until__gt=at,
    )


def valid_verifications(*, person, at: datetime):
    """The rule of a valid security verification, written once: positive and not expired at
    ``at`` (a positive decision always has an end). ``person`` is an id or an ``OuterRef``."""
    return SecurityVerification.objects.filter(person=person, status=VerificationStatus.POSITIVE, valid_until__gt=at)


def ban_check(*, person: Person, port: Port, at: datetime | None = None) -> str:
    """``"hit"`` when a ban in force at ``at`` (default now) covers ``port``, else ``"clear"``.

    ``"unavailable"`` when the question cannot be answered (the database failed): a
    decision by hand, never a clear. A pure read; the file is not returned.
    """
    at = at or clock.now()
    try:
        with transaction.atomic():  # a savepoint: a failed check leaves the caller's transaction usable
            hit = bans_in_force(person=person.pk, port_id=port.pk, at=at).exists()
    except DatabaseError:
        return ScreeningResult.UNAVAILABLE
    return ScreeningResult.HIT if hit else ScreeningResult.CLEAR


# -- security verifications ------------------------------------------------------------

@transaction.atomic
def verification_request(*, actor: Principal, person: Person, function: str) -> SecurityVerification:
    """The employer asks for a security verification of an employee for a critical function."""
    require(actor, "access.request_verifications")
    if not actor.unrestricted and person.employer_id != actor.organisation_id:
        raise PermissionRefused(_("You can ask for verifications of your own employees only."), field="person")
    function = " ".join((function or "").split())
    if not function:
        raise ValidationFailed(_("Name the critical function the verification is for."), field="function")
    if len(function) > 120:
        raise ValidationFailed(_("The function is too long (120 characters at most)."), field="function")
    if SecurityVerification.objects.filter(
        person=person, function=function, status__in=(VerificationStatus.REQUESTED, VerificationStatus.PENDING)
    ).exists():
        raise Conflict(_("A verification of %(person)s for %(function)s is under way already.")
                       % {"person": person, "function": function}, field="function")
    verification = SecurityVerification.objects.create(
        person=person, function=function, status=VerificationStatus.REQUESTED, requested_by_id=person.employer_id,
        requested_at=clock.now(),
    )
    emit(actor=actor, code="access.verification.requested", subject=verification,
         organisation_id=verification.requested_by_id, data={"function": function})
    return verification


@transaction.atomic
def verification_decide(
    *, actor: Principal, verification: SecurityVerification, status: str, valid_until: datetime | None = None
) -> SecurityVerification:
    """An authority marks a verification pending, or decides it positive (until a date) or negative."""
    _require_authority(actor, "access.decide_verifications",
                       _("Only an authority can decide a security verification."))
    verification = SecurityVerification.objects.select_for_update().get(pk=verification.pk)
    if status not in (VerificationStatus.PENDING, VerificationStatus.POSITIVE, VerificationStatus.NEGATIVE):
        raise ValidationFailed(_("Decide pending, positive or negative."), field="status")
    if verification.status not in (VerificationStatus.REQUESTED, VerificationStatus.PENDING):
        raise Conflict(_("This verification was decided already (%(status)s): ask for a new one.")
                       % {"status": VerificationStatus(verification.status).label}, field="status")
    if verification.status == status:
        raise Conflict(_("This verification is pending already."), field="status")
    now = clock.now()
    if status == VerificationStatus.POSITIVE:
        if valid_until is None:
            raise ValidationFailed(_("A positive verification needs the date it expires."), field="valid_until")
        _check_time(valid_until, "valid_until")
        if valid_until <= now:
            raise ValidationFailed(_("A positive verification must expire in the future."), field="valid_until")
    else:
        valid_until = None
    verification.status = status
    verification.valid_until = valid_until
    verification.decided_at = None if status == VerificationStatus.PENDING else now
    verification.save(update_fields=["status", "valid_until", "decided_at"])
    emit(actor=actor, code="access.verification.decided", subject=verification,
         organisation_id=verification.requested_by_id,
         data={"function": verification.function, "status": status,
               "valid_until": valid_until.isoformat() if valid_until else None})
    return verification


def verification_status(verification: SecurityVerification, at: datetime | None = None) -> str:
    """A verification's status at ``at``: a positive one past its expiry reads as expired."""
    at = at or clock.now()
    if verification.status == VerificationStatus.POSITIVE and (
        verification.valid_until is None or verification.valid_until <= at
    ):
        return VerificationStatus.EXPIRED
    return verification.status


DECIDED = (VerificationStatus.POSITIVE, VerificationStatus.NEGATIVE)


def lapsed_verifications(*, at: datetime):
    """The people whose security verification was refused or has expired and who hold no
    valid one at ``at`` (as ``person_id`` values). Never-verified people are not in it: a
    verification is asked for critical functions, not of everyone."""
    return (SecurityVerification.objects.filter(status__in=DECIDED)
            .exclude(models.Exists(valid_verifications(person=models.OuterRef("person"), at=at)))
            .values("person_id"))


def verification_lapsed(*, person: Person, at: datetime | None = None) -> bool:
    """Whether ``person``'s security verification was refused or has expired, with no valid
    one left (one query)."""
    at = at or clock.now()
    return lapsed_verifications(at=at).filter(person=person.pk).exists()


def verification_valid(*, person: Person, at: datetime | None = None, function: str | None = None) -> bool:
    """Whether the person holds a positive verification that has not expired at ``at``
    (for ``function`` when given)."""
    at = at or clock.now()
    found = valid_verifications(person=person.pk, at=at)
    if function:
        found = found.filter(function=function)
    return found.exists()


# -- criminal-record extract checks ----------------------------------------------------

@transaction.atomic
def record_check_record(*, actor: Principal, person: Person, checked_on: date, result: str) -> RecordCheck:
    """The employer records that it checked an employee's special criminal-record extract:
    the date and the result only, never the content."""
    require(actor, "access.record_checks")
    if not actor.unrestricted and person.employer_id != actor.organisation_id:
        raise PermissionRefused(_("You can record checks of your own employees only."), field="person")
    if not isinstance(checked_on, date) or isinstance(checked_on, datetime):
        raise ValidationFailed(_("Give the date of the check."), field="checked_on")
    if checked_on > clock.now().date():
        raise ValidationFailed(_("The check cannot be dated in the future."), field="checked_on")
    if result not in RecordCheckResult.values:
        raise ValidationFailed(_("Unknown result %(result)s.") % {"result": result}, field="result")
    check = RecordCheck.objects.create(person=person, checked_on=checked_on, result=result,
                                       checked_by_id=person.employer_id)
    emit(actor=actor, code="access.record_check.recorded", subject=check, organisation_id=check.checked_by_id,
         data={"checked_on": checked_on.isoformat(), "result": result})
    return check


# --- training ------------------------------------------------------------------------

MAX_COURSE = 80


def trainings_valid_on(*, person, day: date):
    """The rule of a valid training record, written once: completed by ``day`` and not expired
    before it. ``person`` is an id or an ``OuterRef`` (the gate engine's subquery)."""
    return TrainingRecord.objects.filter(person=person, completed_on__lte=day).filter(
        models.Q(valid_until__isnull=True) | models.Q(valid_until__gte=day))


def training_record(
    *, actor: Principal, person: Person, course: str, completed_on: date, valid_until: date | None = None,
) -> TrainingRecord:
    """The employer (its access manager or security officer) records a course an employee completed."""
    require(actor, "access.record_training")
    if not actor.unrestricted and person.employer_id != actor.organisation_id:
        raise PermissionRefused(_("You can record the training of your own employees only."), field="person")
    course = " ".join((course or "").split())
    if not course:
        raise ValidationFailed(_("Name the course."), field="course")
    if len(course) > MAX_COURSE:
        raise ValidationFailed(_("The course name is at most %(n)s characters.") % {"n": MAX_COURSE}, field="course")
    if not isinstance(completed_on, date) or isinstance(completed_on, datetime):
        raise ValidationFailed(_("Give the date the course was completed."), field="completed_on")
    if completed_on > clock.now().date():
        raise ValidationFailed(_("A course cannot be completed in the future."), field="completed_on")
    if valid_until is not None and (not isinstance(valid_until, date) or isinstance(valid_until, datetime)):
        raise ValidationFailed(_("Give the last valid day as a date."), field="valid_until")
    if valid_until is not None and valid_until < completed_on:
        raise ValidationFailed(_("The training cannot end before it was completed."), field="valid_until")
    record = TrainingRecord.objects.create(person=person, course=course, completed_on=completed_on,
                                           valid_until=valid_until, recorded_by_id=person.employer_id,
                                           recorded_at=clock.now())
    emit(actor=actor, code="access.training.recorded", subject=record, organisation_id=record.recorded_by_id,
         data={"course": course, "completed_on": completed_on.isoformat(),
               "valid_until": valid_until.isoformat() if valid_until else None})
    return record
