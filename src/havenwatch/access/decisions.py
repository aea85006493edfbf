"""The gate decision engine: may this credential (and plate) pass this access point now?

:func:`decide` reads, never writes: the service :func:`havenwatch.access.services.gate.gate_decide`
stores the answer as an :class:`~havenwatch.access.models.AccessEvent`, audits it and
updates who is inside.

Every check is evaluated, so the guard sees every reason at once (a blocked card that is
also outside its hours shows both). The engine runs a constant number of queries whatever
the size of the data (at most six): the access point with its zone, facility and port;
the zone's rule at the level in force; the credential with its holder and visit, with
enrolment, ban, verification and presence answered by ``EXISTS`` subqueries in the same
query; the holder's authorisations for this zone (or the visit's zones); the vehicle by
its plate.

Exits are checked for identity only (credential, its state, biometric match, plate):
rights, schedules, security levels, bans and anti-passback never keep anyone inside a
zone (evacuation, mustering). A visit has no purpose of its own: at a level that lets
only listed purposes in, a visitor passes when ``"visit"`` is listed.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from django.db.models import Exists, OuterRef

from havenwatch.access import validation
from havenwatch.access.choices import (
    CredentialKind,
    CredentialState,
    Direction,
    LevelMode,
    Reason,
    VisitStatus,
)
from havenwatch.access.models import (
    AccessPoint,
    Authorisation,
    Credential,
    FacilityEnrolment,
    Person,
    Presence,
    Vehicle,
    Zone,
    ZoneLevelRule,
)
from havenwatch.access.services.screening import bans_in_force, trainings_valid_on, valid_verifications
from havenwatch.core import clock, schedules
from havenwatch.core.errors import ServiceError
from havenwatch.core.prepared import PreparedQuery

VISIT_PURPOSE = "visit"
CREDENTIAL_MAX = 40  # Credential.number
PLATE_MAX = 24  # Vehicle.plate
_CREDENTIAL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/-]*$")
_PLATE_CHARS = re.compile(r"^[A-Z0-9]{1,15}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")

# A credential's state other than active, and the reason the guard reads.
STATE_REASONS = {
    CredentialState.INACTIVE: Reason.CREDENTIAL_INACTIVE,
    CredentialState.BLOCKED: Reason.CREDENTIAL_BLOCKED,
    CredentialState.EXPIRED: Reason.CREDENTIAL_EXPIRED,
}


@dataclass
class Decision:
    """The engine's answer. ``reasons`` is ``[Reason.GRANTED]`` when granted."""

    granted: bool
    reasons: list[str]
    access_point: AccessPoint | None = None
    direction: str = Direction.IN
    credential: Credential | None = None
    person: Person | None = None
    zone: Zone | None = None
    security_level: int = 1
    presented: str = ""
    plate: str = ""
    at: datetime | None = None
    messages: list[str] = field(default_factory=list)

    @property
    def facility(self):
        return self.zone.facility if self.zone is not None else None


class MalformedInput(ValueError):
    """A value the gate sent that cannot be read."""


def normalise_plate(value: str, country: str) -> str:
    """``"BE:1ABC234"`` from ``"be:1-abc-234"``, ``"1 ABC 234"`` (country of the port) …

    :func:`havenwatch.access.validation.plate` first; a plate not of the country's shape
    is then taken conservatively (upper case, spaces, dashes and dots removed, the country
    prefixed when missing) rather than refused. Raises :class:`MalformedInput` for what
    is no plate at all.
    """
    if not isinstance(value, str) or not value.strip() or len(value) > PLATE_MAX + 8:
        raise MalformedInput("plate")
    text = unicodedata.normalize("NFKC", value).strip().upper()
    if ":" in text:
        country, _sep, chars = text.partition(":")
        country = country.strip()
    else:
        chars = text
    chars = re.sub(r"[\s\-.·]", "", chars)
    try:
        return validation.plate(chars, country)
    except ServiceError:
        # Not of the country's usual shape (a foreign truck read without its country, an
        # old plate): still a plate to look up, which will be unknown unless registered so.
        pass
    if not _COUNTRY.match(country) or not _PLATE_CHARS.match(chars):
        raise MalformedInput("plate")
    return f"{country}:{chars}"


def _clean_credential(value) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise MalformedInput("credential")
    value = value.strip()
    if not value:
        return None
    if len(value) > CREDENTIAL_MAX or not _CREDENTIAL.match(value):
        raise MalformedInput("credential")
    return value


def _safe_text(value, limit: int) -> str:
    """What the gate sent, for the event row: printable text only, bounded."""
    if not isinstance(value, str):
        return ""
    return "".join(ch for ch in value if ch.isprintable())[:limit]


def load_access_point(access_point: AccessPoint | int) -> AccessPoint:
    """The access point with its zone, facility and port, fresh from the database (one query):
    the security levels in force must never come from a stale object."""
    pk = access_point.pk if isinstance(access_point, AccessPoint) else access_point
    return AccessPoint.objects.select_related("zone__facility__port").get(pk=pk)


def credential_at_gate(*, number: str, facility_id: int, port_id: int, zone_id: int, at: datetime):
    """The presented credential with its holder and visit, and what hangs on the holder at
    this gate now: activated here, banned from this port, verified, inside the zone."""
    person = OuterRef("person_id")
    return (
        Credential.objects.select_related("person", "visit")
        .annotate(
            enrolled=Exists(FacilityEnrolment.objects.filter(credential=OuterRef("pk"), facility_id=facility_id,
                                                             is_active=True)),
            banned=Exists(bans_in_force(person=person, port_id=port_id, at=at)),
            verified=Exists(valid_verifications(person=person, at=at)),
            inside=Exists(Presence.objects.filter(person=person, zone_id=zone_id)),
        )
        .filter(number=number)
        .order_by()[:1]
    )


# Built and compiled once (the rules above stay the source): a decision binds its values.
CREDENTIAL_AT_GATE = PreparedQuery(
    credential_at_gate, number="\x00sentinel:number", facility_id=-987_650_001, port_id=-987_650_002,
    zone_id=-987_650_003, at=datetime(1901, 2, 3, 4, 5, 6, 789012, tzinfo=UTC),
)


def decide(
    *,
    access_point: AccessPoint,
    credential_number: str | None = None,
    plate: str | None = None,
    biometric_match: bool | None = None,
    direction: str | None = None,
    at: datetime | None = None,
    malformed: bool = False,
    fresh: bool = False,
) -> Decision:
    """Decide one passage at ``access_point``. See the module's docstring.

    ``fresh`` says the caller loaded the access point with ``zone__facility__port`` in
    this transaction (as ``gate_decide`` does); otherwise it is loaded again here.

    ``malformed`` says the request around these values could not be read (the API's
    validation failed): the answer is a refusal with ``MALFORMED_REQUEST``.
    """
    at = at or clock.now()
    point = access_point if fresh else load_access_point(access_point)
    zone = point.zone
    facility = zone.facility
    port = facility.port
    level = facility.effective_security_level
    decision = Decision(granted=False, reasons=[], access_point=point, zone=zone, security_level=level,
                        presented=_safe_text(credential_number, 60), plate=_safe_text(plate, 24), at=at,
                        direction=direction if direction in (Direction.IN, Direction.OUT) else Direction.IN)

    # --- reading the request -------------------------------------------------------
    try:
        if malformed:
            raise MalformedInput("request")
        number = _clean_credential(credential_number)
        if biometric_match is not None and not isinstance(biometric_match, bool):
            raise MalformedInput("biometric_match")
        if direction is None:
            direction = point.direction if point.direction in (Direction.IN, Direction.OUT) else Direction.IN
        if direction not in (Direction.IN, Direction.OUT):
            raise MalformedInput("direction")
        if point.direction != Direction.BOTH and direction != point.direction:
            raise MalformedInput("direction")
        plate_value = None
        if plate is not None and (not isinstance(plate, str) or plate.strip()):
            plate_value = normalise_plate(plate, port.unlocode[:2].upper())
        if number is None and plate_value is None:
            raise MalformedInput("credential")
    except MalformedInput:
        return _finish(decision, [Reason.MALFORMED_REQUEST])
    decision.direction = direction
    decision.presented = number or ""
    decision.plate = plate_value or ""
    entry = direction == Direction.IN
    reasons: list[str] = []

    # --- the credential and what hangs on its holder (one query) ----------------------
    credential = None
    if number is not None:
        credential = CREDENTIAL_AT_GATE.first(number=number, facility_id=facility.pk, port_id=port.pk,
                                              zone_id=zone.pk, at=at)
    if credential is None:
        reasons.append(Reason.UNKNOWN_CREDENTIAL)
    else:
        decision.credential = credential
        decision.person = credential.person
        if credential.port_id != port.pk:
            reasons.append(Reason.CREDENTIAL_OTHER_PORT)
        state_reason = STATE_REASONS.get(credential.state)
        if state_reason is None and at >= credential.valid_until:
            state_reason = Reason.CREDENTIAL_EXPIRED
        elif state_reason is None and at < credential.valid_from:
            state_reason = Reason.CREDENTIAL_INACTIVE  # not valid yet
        if state_reason is not None:
            reasons.append(state_reason)
        if not credential.enrolled:
            reasons.append(Reason.NOT_ACTIVATED)

    # --- the rights to be in the zone (entries only) ---------------------------------
    if credential is not None and entry:
        if credential.banned:
            reasons.append(Reason.PORT_BAN)
        escort = zone.escort_required
        verification = zone.requires_verification
        if credential.kind == CredentialKind.VISITOR_QR or credential.visit_id is not None:
            purpose = VISIT_PURPOSE
            visit = credential.visit
            # One query: is the zone one of the visit's?
            in_zone = visit is not None and visit.zones.filter(pk=zone.pk).exists()
            if visit is None or visit.status != VisitStatus.APPROVED or not in_zone:
                reasons.append(Reason.NO_AUTHORISATION)
            elif not schedules.within(at, visit.window_start, visit.window_end):
                reasons.append(Reason.OUTSIDE_VISIT_WINDOW)
        else:
            authorisation, problem = _authorisation(credential.person, zone, at, port.time_zone)
            if problem is not None:
                reasons.append(problem)
            purpose = authorisation.purpose if authorisation is not None else None
            if authorisation is not None:
                escort = escort or authorisation.escort_required
                if authorisation.required_training and not authorisation.trained:
                    reasons.append(Reason.TRAINING_REQUIRED)
                verification = verification or authorisation.requires_verification
                if authorisation.vehicle_only and plate_value is None and not point.requires_plate:
                    reasons.append(Reason.PLATE_REQUIRED)
        rule = ZoneLevelRule.objects.filter(zone=zone, level=level).first()
        if rule is not None and rule.mode == LevelMode.CLOSED:
            reasons.append(Reason.LEVEL_CLOSED)
        elif (rule is not None and rule.mode == LevelMode.LISTED_ONLY and purpose is not None
              and purpose not in (rule.allowed_purposes or [])):
            reasons.append(Reason.LEVEL_NOT_LISTED)
        if escort:
            reasons.append(Reason.ESCORT_REQUIRED)
        if verification and not credential.verified:
            reasons.append(Reason.VERIFICATION_REQUIRED)
        if point.anti_passback and credential.inside:
            reasons.append(Reason.ANTI_PASSBACK)
    elif entry:
        rule = ZoneLevelRule.objects.filter(zone=zone, level=level).first()
        if rule is not None and rule.mode == LevelMode.CLOSED:
            reasons.append(Reason.LEVEL_CLOSED)

    if entry and level not in (point.open_at_levels or []):
        reasons.append(Reason.POINT_CLOSED)

    # --- the person at the gate: biometric match ---------------------------------------
    if biometric_match is False:
        reasons.append(Reason.BIOMETRIC_FAILED)
    elif biometric_match is None and point.requires_biometric:
        reasons.append(Reason.BIOMETRIC_REQUIRED)

    # --- the vehicle -----------------------------------------------------------------
    if plate_value is None:
        if point.requires_plate:
            reasons.append(Reason.PLATE_REQUIRED)
    else:
        reasons.extend(_plate_reasons(plate_value, credential, port.unlocode[:2].upper()))

    return _finish(decision, reasons)


def authorisations_at_gate(*, zone_id: int, person_id: int, employer_id: int | None, at: datetime, day: date):
    """The rights of a person (and of their employer) for a zone, valid at ``at`` and not
    revoked, each with ``trained``: does the person hold the course it requires on ``day``?

    A UNION ALL, not an OR: each half then uses its (zone, holder) index. With an OR, SQLite
    (without statistics) read every authorisation of the zone: 2 ms at the port scale.
    """
    live = (
        Authorisation.objects.filter(zone_id=zone_id, revoked_at__isnull=True, valid_from__lte=at, valid_until__gt=at)
        .annotate(trained=Exists(trainings_valid_on(person=person_id, day=day)
                                 .filter(course__iexact=OuterRef("required_training"))))
        .order_by()
    )
    rights = live.filter(person_id=person_id)
    if employer_id is not None:
        rights = rights.union(live.filter(organisation_id=employer_id), all=True)
    return rights


_RIGHT_SENTINELS = {"zone_id": -987_650_011, "person_id": -987_650_012,
                    "at": datetime(1901, 2, 3, 4, 5, 6, 789012, tzinfo=UTC), "day": date(1901, 3, 4)}
# Built and compiled once, for a person without and with an employer.
RIGHTS_OF_PERSON = PreparedQuery(
    lambda **values: authorisations_at_gate(employer_id=None, **values), **_RIGHT_SENTINELS)
RIGHTS_OF_EMPLOYEE = PreparedQuery(authorisations_at_gate, employer_id=-987_650_013, **_RIGHT_SENTINELS)


def _authorisation(person: Person, zone: Zone, at: datetime, tz: str):
    """The authorisation that lets ``person`` into ``zone`` at ``at``, and else the reason.

    One query: the person's own rights and their employer's, valid now and not revoked.
    """
    values = {"zone_id": zone.pk, "person_id": person.pk, "at": at, "day": at.astimezone(ZoneInfo(tz)).date()}
    if person.employer_id is None:
        candidates = RIGHTS_OF_PERSON.all(**values)
    else:
        candidates = RIGHTS_OF_EMPLOYEE.all(employer_id=person.employer_id, **values)
    candidates.sort(key=lambda a: a.pk)
    if not candidates:
        return None, Reason.NO_AUTHORISATION
    fitting = [a for a in candidates if schedules.allows(a.schedule or {}, at, tz)]
    if not fitting:
        return candidates[0], Reason.OUTSIDE_SCHEDULE
    # A person's own right before their employer's, and one without escort first.
    fitting.sort(key=lambda a: (a.person_id is None, a.escort_required, a.requires_verification,
                                bool(a.required_training) and not a.trained, a.pk))
    return fitting[0], None


def _plate_reasons(plate_value: str, credential: Credential | None, country: str) -> list[str]:
    if credential is not None and credential.visit_id is not None:
        expected = credential.visit.plate
        if not expected:
            return [Reason.PLATE_MISMATCH]
        try:
            expected = normalise_plate(expected, country)
        except MalformedInput:
            return [Reason.PLATE_MISMATCH]
        return [] if expected == plate_value else [Reason.PLATE_MISMATCH]
    person_id = credential.person_id if credential is not None else None
    vehicle = (
        Vehicle.objects.filter(plate=plate_value)
        .annotate(driven=Exists(Vehicle.drivers.through.objects.filter(vehicle_id=OuterRef("pk"),
                                                                       person_id=person_id)))
        .first()
    )
    if vehicle is None:
        return [Reason.UNKNOWN_PLATE]
    if credential is None:
        return []
    employer_id = credential.person.employer_id
    if vehicle.driven or (employer_id is not None and vehicle.owner_id == employer_id):
        return []
    return [Reason.PLATE_MISMATCH]


def _finish(decision: Decision, reasons: list[str]) -> Decision:
    unique = list(dict.fromkeys(str(r) for r in reasons))
    decision.granted = not unique
    decision.reasons = unique or [Reason.GRANTED.value]
    decision.messages = [str(Reason(code).label) for code in decision.reasons]
    return decision
