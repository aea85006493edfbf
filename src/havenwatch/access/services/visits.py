"""Visit pre-notification (Prean): approved announcers, visits, and their approval.

An approved announcer announces visitors for a facility (or a ship call at it) in a
time window; each visitor is screened against port bans; the facility's approver (its
operator's security officer) approves or rejects. Approval gives each visitor a QR
credential valid only in the visit's window and only for the visit's zones. Prean
itself grants nothing: the gate decides.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime

from django.db import transaction
from django.utils.translation import gettext as _

from havenwatch.access import validation as access_validation
from havenwatch.access.choices import (
    VISIT_OPEN_STATUSES,
    VISIT_PENDING_STATUSES,
    CredentialKind,
    CredentialState,
    ProofingLevel,
    ScreeningResult,
    VisitStatus,
)
from havenwatch.access.models import (
    Announcer,
    Credential,
    CredentialStateChange,
    FacilityEnrolment,
    Person,
    Visit,
    Visitor,
    VisitPolicy,
    Zone,
)
from havenwatch.access.services.people import personal_digest
from havenwatch.access.services.rights import check_window, local_text
from havenwatch.core import clock, validation
from havenwatch.core.authz import may, require
from havenwatch.core.choices import OrganisationKind
from havenwatch.core.errors import Conflict, PermissionRefused, ValidationFailed
from havenwatch.core.models import Facility, Organisation
from havenwatch.core.principal import Principal
from havenwatch.core.services._emit import emit

BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
# Visits that no longer hold a window: they do not block another visit of the same person.
CLOSED_STATUSES = (VisitStatus.CANCELLED, VisitStatus.REJECTED)
PENDING_STATUSES = VISIT_PENDING_STATUSES
OPEN_STATUSES = VISIT_OPEN_STATUSES


def visitor_credential_number() -> str:
    """``V-`` and 10 random base32 characters (50 bits): the QR a visitor shows."""
    return "V-" + "".join(secrets.choice(BASE32) for _i in range(10))


def _screen(*, person: Person, port, at: datetime) -> str:
    # Imported here: the screening service is the one place that knows about bans.
    from havenwatch.access.services import screening

    result = screening.ban_check(person=person, port=port, at=at)
    if result not in ScreeningResult.values:  # anything else is not an answer: a human decides
        return ScreeningResult.UNAVAILABLE
    return result


def _require_operator(actor: Principal, facility: Facility, what: str) -> None:
    """The facility operator's security officer: approves announcers and (the terminal) visits."""
    require(actor, "access.approve_visits")
    if actor.organisation_id is None or facility.operator_id != actor.organisation_id:
        raise PermissionRefused(
            _("Only the approver of %(facility)s (its operator's facility security officer) can %(what)s.")
            % {"facility": facility.name, "what": what}
        )


def terminal_approves_ship_calls(facility: Facility) -> bool:
    """Whether the facility (the terminal) approves ship-call visits on top of the agent."""
    return VisitPolicy.objects.filter(facility=facility, terminal_approves_ship_calls=True).exists()


def approval_step(visit: Visit) -> str | None:
    """Whose decision a visit waits for: ``"agent"`` (a ship call's agent), ``"terminal"``
    (the facility's approver), or None when it waits for nobody."""
    if visit.status == VisitStatus.ANNOUNCED:
        return "agent" if visit.ship_agent_id else "terminal"
    if visit.status == VisitStatus.AGENT_APPROVED:
        return "terminal"
    return None


def _require_approver(actor: Principal, visit: Visit, what: str) -> str:
    """The approver of the visit's current step; returns the step.

    A visit to a facility is approved by the facility's approver. A visit to a ship call
    is approved by the ship's agent first; the terminal then approves on top when its
    visit policy says so. The terminal may reject an open visit at its facility at any step.
    """
    require(actor, "access.approve_visits")
    step = approval_step(visit)
    if step == "agent":
        if actor.organisation_id is not None and actor.organisation_id == visit.ship_agent_id:
            return step
        raise PermissionRefused(
            _("The ship's agent %(agent)s approves this ship-call visit first.") % {"agent": visit.ship_agent.name})
    _require_operator(actor, visit.facility, what)
    return "terminal"


# --- announcers --------------------------------------------------------------------


@transaction.atomic
def announcer_approve(
    *, actor: Principal, organisation: Organisation, facility: Facility, valid_from: datetime,
    valid_until: datetime,
) -> Announcer:
    """Let an organisation announce visitors at a facility for a period."""
    _require_operator(actor, facility, _("approve announcers"))
    check_window(valid_from, valid_until)
    if not organisation.is_active:
        raise ValidationFailed(_("%(organisation)s is not active.") % {"organisation": organisation.name},
                               field="organisation")
    existing = (
        Announcer.objects.filter(organisation=organisation, facility=facility, valid_from__lt=valid_until,
                                 valid_until__gt=valid_from)
        .order_by("valid_from")
        .first()
    )
    if existing is not None:
        tz = facility.port.time_zone
        raise Conflict(
            _("%(organisation)s is an approved announcer at %(facility)s from %(start)s to %(end)s already: "
              "overlapping windows are not allowed.")
            % {"organisation": organisation.name, "facility": facility.name,
               "start": local_text(existing.valid_from, tz), "end": local_text(existing.valid_until, tz)},
            field="valid_from",
        )
    announcer = Announcer.objects.create(organisation=organisation, facility=facility, valid_from=valid_from,
                                         valid_until=valid_until, approved_at=clock.now())
    emit(actor=actor, code="access.announcer.approved", subject=announcer, organisation_id=facility.operator_id,
         port_id=facility.port_id, facility_id=facility.pk,
         data={"organisation": organisation.name, "facility": facility.isps_number,
               "valid_until": valid_until.isoformat()})
    return announcer


# --- announcing --------------------------------------------------------------------


def _visitor_from_identity(data: dict, index: int) -> dict:
    """Identity data of a new visitor, checked; the Person row is made later."""
    field = f"visitors[{index}]"
    if not isinstance(data, dict):
        raise ValidationFailed(_("Visitor %(n)s: give a person or their identity data.") % {"n": index + 1},
                               field=field)
    first = (data.get("first_name") or "").strip()
    last = (data.get("last_name") or "").strip()
    if not first or not last:
        raise ValidationFailed(_("Visitor %(n)s: give the first and last name.") % {"n": index + 1}, field=field)
    if len(first) > 100 or len(last) > 100:
        raise ValidationFailed(_("Visitor %(n)s: a name is at most 100 characters.") % {"n": index + 1},
                               field=field)
    born = data.get("date_of_birth")
    if isinstance(born, str):
        try:
            born = date.fromisoformat(born)
        except ValueError:
            born = None
    if isinstance(born, datetime) or not isinstance(born, date) or born >= clock.now().date():
        raise ValidationFailed(_("Visitor %(n)s: give the date of birth (YYYY-MM-DD).") % {"n": index + 1},
                               field=field)
    nationality = validation.country(data.get("nationality") or "")
    document = (data.get("id_document_ref") or "").strip()
    if not document:
        raise ValidationFailed(
            _("Visitor %(n)s: give the reference of the identity document checked.") % {"n": index + 1}, field=field
        )
    if len(document) > 60:
        raise ValidationFailed(_("Visitor %(n)s: the document reference is at most 60 characters.")
                               % {"n": index + 1}, field=field)
    return {"first_name": first, "last_name": last, "date_of_birth": born, "nationality": nationality,
            "id_document_ref": document}


def _may_announce_person(actor: Principal, person: Person) -> bool:
    return (actor.unrestricted or person.employer_id is None or person.employer_id == actor.organisation_id
            or may(actor, "access.view_person", person))


@transaction.atomic
def visit_announce(
    *,
    actor: Principal,
    facility: Facility,
    zones,
    reason: str,
    visitors,
    window_start: datetime | None = None,
    window_end: datetime | None = None,
    ship_call: str = "",
    eta: datetime | None = None,
    etd: datetime | None = None,
    plate: str = "",
    ship_agent: Organisation | None = None,
) -> Visit:
    """Announce visitors for a facility or a ship call at it, in a time window.

    The window defaults to the ship call's ETA–ETD. ``visitors`` holds existing people
    or identity data (first_name, last_name, date_of_birth, nationality, id_document_ref)
    for visitors not yet known. Each visitor is screened against port bans now; the
    result (hit / clear / unavailable) is what the approver sees.
    """
    require(actor, "access.announce_visits")
    if actor.organisation is None:
        raise ValidationFailed(_("Choose the organisation that announces the visit."))
    ship_call = (ship_call or "").strip()
    if len(ship_call) > 120:
        raise ValidationFailed(_("The ship call is at most 120 characters."), field="ship_call")
    if ship_call:
        window_start = window_start or eta
        window_end = window_end or etd
    ship_agent = _ship_agent(actor, ship_call, ship_agent)
    if window_start is None or window_end is None:
        raise ValidationFailed(
            _("Give the visit's window, or the ship call with its ETA and ETD."),
            field="window_start" if window_start is None else "window_end",
        )
    check_window(window_start, window_end, start_field="window_start", end_field="window_end")
    is_operator = facility.operator_id == actor.organisation_id
    if not is_operator and not Announcer.objects.filter(
        organisation=actor.organisation, facility=facility, valid_from__lte=window_start,
        valid_until__gte=window_end,
    ).exists():
        raise PermissionRefused(
            _("%(organisation)s is not an approved announcer at %(facility)s for %(start)s – %(end)s.")
            % {"organisation": actor.organisation.name, "facility": facility.name,
               "start": local_text(window_start, facility.port.time_zone),
               "end": local_text(window_end, facility.port.time_zone)}
        )
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Say why the visitors come (the reason of the visit)."), field="reason")
    if len(reason) > 300:
        raise ValidationFailed(_("The reason is at most 300 characters."), field="reason")
    zones = list(zones or [])
    if not zones:
        raise ValidationFailed(_("Choose the zones the visitors need to enter."), field="zones")
    for zone in zones:
        if not isinstance(zone, Zone) or zone.facility_id != facility.pk:
            raise ValidationFailed(_("%(zone)s is not a zone of %(facility)s.")
                                   % {"zone": getattr(zone, "name", zone), "facility": facility.name}, field="zones")
    plate = access_validation.plate_in(plate, facility.port.unlocode[:2]) if (plate or "").strip() else ""
    visitors = list(visitors or [])
    if not visitors:
        raise ValidationFailed(_("Announce at least one visitor."), field="visitors")

    existing: list[Person] = []
    new: list[dict] = []
    for index, item in enumerate(visitors):
        if isinstance(item, Person):
            if not _may_announce_person(actor, item):
                raise PermissionRefused(_("You cannot announce %(person)s: not one of your organisation's people.")
                                        % {"person": item}, field=f"visitors[{index}]")
            if any(p.pk == item.pk for p in existing):
                raise ValidationFailed(_("%(person)s is announced twice.") % {"person": item},
                                       field=f"visitors[{index}]")
            existing.append(item)
        else:
            new.append(_visitor_from_identity(item, index))

    # The same person in two overlapping visits to the same facility: one of them is a mistake.
    # Lock the facility so that two announcements at once cannot both pass this check.
    list(Facility.objects.select_for_update().filter(pk=facility.pk).order_by().values_list("pk", flat=True))
    clash = (
        Visitor.objects.filter(person__in=existing, visit__facility=facility,
                               visit__window_start__lt=window_end, visit__window_end__gt=window_start)
        .exclude(visit__status__in=CLOSED_STATUSES)
        .select_related("visit", "person")
        .order_by("visit__window_start")
        .first()
    )
    if clash is not None:
        tz = facility.port.time_zone
        raise Conflict(
            _("%(person)s is announced at %(facility)s from %(start)s to %(end)s already: overlapping windows "
              "are not allowed.")
            % {"person": clash.person, "facility": facility.name,
               "start": local_text(clash.visit.window_start, tz), "end": local_text(clash.visit.window_end, tz)},
            field="window_start",
        )

    now = clock.now()
    people = list(existing)
    for identity in new:
        person = Person.objects.create(employer=None, proofing_level=ProofingLevel.DOCUMENT, created_at=now,
                                       **identity)
        emit(actor=actor, code="access.person.registered", subject=person, organisation_id=actor.organisation_id,
             port_id=facility.port_id, facility_id=facility.pk, publish=False,
             data={"employer": None, "proofing_level": ProofingLevel.DOCUMENT,
                   # Keyed digests, as person_register does: a bare hash of a birth date can be reversed.
                   "name": personal_digest(f"{person.first_name} {person.last_name}"),
                   "date_of_birth": personal_digest(person.date_of_birth.isoformat()),
                   "id_document_ref": personal_digest(person.id_document_ref)})
        people.append(person)

    visit = Visit.objects.create(announcer=actor.organisation, facility=facility, ship_call=ship_call,
                                 ship_agent=ship_agent,
                                 window_start=window_start, window_end=window_end, reason=reason, plate=plate,
                                 status=VisitStatus.ANNOUNCED, created_at=now)
    visit.zones.set(zones)
    screening = {}
    for person in people:
        result = _screen(person=person, port=facility.port, at=window_start)
        Visitor.objects.create(visit=visit, person=person, screening=result, screened_at=now)
        screening[str(person.pk)] = str(result)
    emit(actor=actor, code="access.visit.announced", subject=visit, organisation_id=actor.organisation_id,
         port_id=facility.port_id, facility_id=facility.pk,
         data={"facility": facility.isps_number, "window_start": window_start.isoformat(),
               "window_end": window_end.isoformat(), "visitors": len(people), "screening": screening,
               "ship_call": ship_call, "ship_agent": ship_agent.name if ship_agent else "", "reason": reason})
    return visit


def _ship_agent(actor: Principal, ship_call: str, agent: Organisation | None) -> Organisation | None:
    """The agent who approves a ship-call visit: the one named, else the announcer if it is an agent."""
    if not ship_call:
        if agent is not None:
            raise ValidationFailed(_("Name a ship's agent only for a visit to a ship call."), field="ship_agent")
        return None
    if agent is None and actor.organisation.kind == OrganisationKind.SHIPPING_LINE:
        agent = actor.organisation
    if agent is None:
        raise ValidationFailed(_("Name the ship's agent of the call: the agent approves visits to its ship."),
                               field="ship_agent")
    if agent.kind != OrganisationKind.SHIPPING_LINE or not agent.is_active:
        raise ValidationFailed(_("%(organisation)s is not an active shipping line or agent.")
                               % {"organisation": agent.name}, field="ship_agent")
    return agent


# --- deciding ------------------------------------------------------------------------


def _locked_visit(visit: Visit) -> Visit:
    # of=("self",): only the visit row is locked; PostgreSQL refuses FOR UPDATE on the
    # nullable side of the outer join to the ship's agent.
    return (Visit.objects.select_for_update(of=("self",))
            .select_related("facility__port", "facility__operator", "ship_agent").get(pk=visit.pk))


def _require_pending(visit: Visit, message: str) -> None:
    """Refuse with ``message`` (which names the status) unless the visit waits for a decision."""
    if visit.status not in PENDING_STATUSES:
        raise Conflict(message % {"status": visit.get_status_display()})


def _rescreen(visit: Visit, *, confirm_unavailable: bool, now: datetime) -> tuple[list[Visitor], list[Visitor]]:
    """Screen every visitor again now: a hit blocks any approval; an unavailable check needs
    the approver's explicit confirmation (a human decision, never automatic)."""
    visitors = list(visit.visitors.select_related("person").order_by("pk"))
    unavailable = []
    for visitor in visitors:
        result = _screen(person=visitor.person, port=visit.facility.port, at=max(now, visit.window_start))
        if result == ScreeningResult.HIT:
            raise Conflict(_("%(person)s is banned from the port: the visit cannot be approved.")
                           % {"person": visitor.person})
        if result == ScreeningResult.UNAVAILABLE:
            unavailable.append(visitor)
        if result != visitor.screening:
            visitor.screening = result
            visitor.screened_at = now
            visitor.save(update_fields=["screening", "screened_at"])
    if unavailable and not confirm_unavailable:
        raise Conflict(
            _("The ban check is unavailable for %(people)s: check by other means and confirm to approve.")
            % {"people": ", ".join(str(v.person) for v in unavailable)},
            field="confirm_unavailable",
        )
    return visitors, unavailable


@transaction.atomic
def visit_approve(*, actor: Principal, visit: Visit, confirm_unavailable: bool = False) -> Visit:
    """The approver of the visit's current step lets it go ahead.

    A visit to a facility needs its approver (the operator's security officer). A visit
    to a ship call needs the ship's agent, then the terminal too when the facility's
    visit policy says so. Every visitor is screened again at each step. On the last
    approval each visitor gets a QR credential valid only in the visit's window,
    activated at the facility; the gate reads the visit's zones to know where it is valid.
    """
    visit = _locked_visit(visit)
    step = _require_approver(actor, visit, _("approve this visit"))
    facility = visit.facility
    _require_pending(visit, _("Only a visit waiting for a decision can be approved. This visit's status is: "
                               "%(status)s."))
    now = clock.now()
    if visit.window_end <= now:
        raise Conflict(_("The visit's window has ended: it can no longer be approved."))
    visitors, unavailable = _rescreen(visit, confirm_unavailable=confirm_unavailable, now=now)
    if step == "agent":
        visit.agent_approved_at = now
        visit.agent_approved_by = actor.label[:160]
        if terminal_approves_ship_calls(facility):
            visit.status = VisitStatus.AGENT_APPROVED
            visit.save(update_fields=["status", "agent_approved_at", "agent_approved_by"])
            emit(actor=actor, code="access.visit.agent_approved", subject=visit,
                 organisation_id=facility.operator_id, port_id=facility.port_id, facility_id=facility.pk,
                 data={"facility": facility.isps_number, "ship_call": visit.ship_call,
                       "agent": visit.ship_agent.name,
                       "unavailable_confirmed": [v.person_id for v in unavailable]})
            return visit
        visit.save(update_fields=["agent_approved_at", "agent_approved_by"])
    numbers = []
    for visitor in visitors:
        number = visitor_credential_number()
        while Credential.objects.filter(number=number).exists():
            number = visitor_credential_number()
        credential = Credential.objects.create(
            number=number, kind=CredentialKind.VISITOR_QR, person=visitor.person, port=facility.port,
            issued_by=facility.operator, state=CredentialState.ACTIVE, valid_from=visit.window_start,
            valid_until=visit.window_end, visit=visit, created_at=now,
        )
        FacilityEnrolment.objects.create(credential=credential, facility=facility, is_active=True, activated_at=now)
        emit(actor=actor, code="access.credential.issued", subject=credential, organisation_id=facility.operator_id,
             port_id=facility.port_id, facility_id=facility.pk,
             data={"number": number, "kind": CredentialKind.VISITOR_QR, "port": facility.port.unlocode,
                   "valid_from": visit.window_start.isoformat(), "valid_until": visit.window_end.isoformat(),
                   "visit": visit.pk})
        numbers.append(number)
    visit.status = VisitStatus.APPROVED
    visit.decided_at = now
    visit.decided_by = actor.label[:160]
    visit.save(update_fields=["status", "decided_at", "decided_by"])
    emit(actor=actor, code="access.visit.approved", subject=visit, organisation_id=facility.operator_id,
         port_id=facility.port_id, facility_id=facility.pk,
         data={"facility": facility.isps_number, "visitors": len(visitors), "credentials": numbers,
               "unavailable_confirmed": [v.person_id for v in unavailable]})
    return visit


@transaction.atomic
def visit_reject(*, actor: Principal, visit: Visit, reason: str) -> Visit:
    """The approver of the visit's current step, or the terminal at any step, refuses the
    visit, saying why."""
    visit = _locked_visit(visit)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("Say why the visit is rejected: the announcer reads the reason."), field="reason")
    if len(reason) > 300:
        raise ValidationFailed(_("The reason is at most 300 characters."), field="reason")
    is_terminal = (actor.has_perm("access.approve_visits") and actor.organisation_id is not None
                   and actor.organisation_id == visit.facility.operator_id)
    if not is_terminal:
        _require_approver(actor, visit, _("reject this visit"))
    _require_pending(visit, _("Only a visit waiting for a decision can be rejected. This visit's status is: "
                               "%(status)s."))
    visit.status = VisitStatus.REJECTED
    visit.rejection_reason = reason
    visit.decided_at = clock.now()
    visit.decided_by = actor.label[:160]
    visit.save(update_fields=["status", "rejection_reason", "decided_at", "decided_by"])
    emit(actor=actor, code="access.visit.rejected", subject=visit, organisation_id=visit.announcer_id,
         port_id=visit.facility.port_id, facility_id=visit.facility_id,
         data={"facility": visit.facility.isps_number, "reason": reason})
    return visit


@transaction.atomic
def visit_policy_set(*, actor: Principal, facility: Facility, terminal_approves_ship_calls: bool) -> VisitPolicy:
    """The terminal chooses whether it approves ship-call visits on top of the agent."""
    _require_operator(actor, facility, _("change how visits are approved"))
    if not isinstance(terminal_approves_ship_calls, bool):
        raise ValidationFailed(_("Say yes or no."), field="terminal_approves_ship_calls")
    policy, _created = VisitPolicy.objects.select_for_update().get_or_create(
        facility=facility, defaults={"changed_at": clock.now(), "changed_by": actor.label[:160]})
    if not _created and policy.terminal_approves_ship_calls == terminal_approves_ship_calls:
        return policy
    policy.terminal_approves_ship_calls = terminal_approves_ship_calls
    policy.changed_at = clock.now()
    policy.changed_by = actor.label[:160]
    policy.save()
    emit(actor=actor, code="access.visit_policy.changed", subject=policy, organisation_id=facility.operator_id,
         port_id=facility.port_id, facility_id=facility.pk,
         data={"facility": facility.isps_number, "terminal_approves_ship_calls": terminal_approves_ship_calls})
    return policy


@transaction.atomic
def visit_cancel(*, actor: Principal, visit: Visit) -> Visit:
    """The announcer calls the visit off; credentials it got expire at once."""
    require(actor, "access.announce_visits", visit)
    if actor.organisation_id != visit.announcer_id and not actor.unrestricted:
        raise PermissionRefused(_("Only the organisation that announced the visit can cancel it."))
    visit = _locked_visit(visit)
    if visit.status not in OPEN_STATUSES:
        raise Conflict(_("Only an announced or approved visit can be cancelled. This visit's status is: "
                         "%(status)s.") % {"status": visit.get_status_display()})
    now = clock.now()
    if visit.window_end <= now:
        raise Conflict(_("The visit's window has ended: there is nothing left to cancel."))
    for credential in Credential.objects.select_for_update().filter(visit=visit, state=CredentialState.ACTIVE):
        CredentialStateChange.objects.create(credential=credential, previous_state=credential.state,
                                             state=CredentialState.EXPIRED, reason="visit cancelled",
                                             changed_by=actor.label[:160], changed_at=now)
        emit(actor=actor, code="access.credential.state_changed", subject=credential,
             organisation_id=credential.issued_by_id, port_id=credential.port_id, facility_id=visit.facility_id,
             data={"number": credential.number, "previous_state": credential.state,
                   "state": CredentialState.EXPIRED, "reason": "visit cancelled"})
        credential.state = CredentialState.EXPIRED
        credential.save(update_fields=["state"])
        FacilityEnrolment.objects.filter(credential=credential).update(is_active=False)
    visit.status = VisitStatus.CANCELLED
    visit.save(update_fields=["status"])
    emit(actor=actor, code="access.visit.cancelled", subject=visit, organisation_id=visit.announcer_id,
         port_id=visit.facility.port_id, facility_id=visit.facility_id,
         data={"facility": visit.facility.isps_number})
    return visit
