"""Simulated life at the demo port's gates: people going in and out, and what goes wrong.

The scenarios act only through the access services, as the simulator's system
principal, at the platform clock's now. Every choice comes from the scenario's seeded
``ctx.rng`` over rows read in primary-key order, so the same seed on the same port gives
the same passages in the same order. A service refusing something (a ``ServiceError``)
never stops the simulator: the step is tried again a little later.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from havenwatch.access.choices import CredentialKind, CredentialState, Direction, VisitStatus
from havenwatch.access.models import (
    AccessPoint,
    Authorisation,
    Credential,
    FacilityEnrolment,
    Presence,
    SecurityVerification,
    Vehicle,
)
from havenwatch.access.services.gate import gate_decide
from havenwatch.access.services.people import credential_set_state
from havenwatch.access.services.rights import authorisation_applies
from havenwatch.access.services.screening import bans_in_force
from havenwatch.core import clock
from havenwatch.core.errors import ServiceError
from havenwatch.core.models import Facility
from havenwatch.core.simulation.registry import scenario

RETRY_AFTER = 60.0
MISSING_REASON = "reported missing by the holder"
FOUND_REASON = "found again: handed in at the gatehouse"

# What one passage at a gate is, and how often (weights).
ACTIONS = [
    ("move", 74),            # a legitimate entry, or the exit of someone inside
    ("unknown_badge", 4),    # a card the port never issued
    ("blocked_badge", 3),    # a card reported stolen (or blocked by a ban)
    ("banned_person", 3),    # a banned person trying their old card
    ("off_schedule", 4),     # a right that does not hold at this hour
    ("wrong_plate", 4),      # a driver in someone else's truck
    ("passback", 4),         # entering twice (the badge passed back over the turnstile)
    ("visitor", 3),          # a visitor's QR code, inside or outside the visit's window
    ("missing_badge", 1),    # a card reported missing, used anyway
]


@dataclass
class _Site:
    """What one facility's gates know at one moment, read in a handful of queries."""

    facility: Facility
    points: list
    moves: list = field(default_factory=list)        # (credential, point, direction, plate)
    passbacks: list = field(default_factory=list)    # (credential, point, plate): inside, enters again
    off_schedule: list = field(default_factory=list)  # (credential, point, plate)
    drivers: list = field(default_factory=list)      # (credential, vehicle gate, own plate)


def _facility_ids() -> list[int]:
    return list(AccessPoint.objects.order_by("zone__facility_id").values_list("zone__facility_id", flat=True)
                .distinct())


def _pick_facility(ctx, ids: list[int]) -> int:
    # The demo's featured facility (the first) is the busiest.
    if ctx.rng.random() < 0.35:
        return ids[0]
    return ctx.rng.choice(ids)


def _site(facility_id: int, now) -> _Site:
    facility = Facility.objects.select_related("port").get(pk=facility_id)
    tz = facility.port.time_zone
    points = list(AccessPoint.objects.filter(zone__facility_id=facility_id).select_related("zone").order_by("pk"))
    site = _Site(facility=facility, points=points)
    zone_ids = sorted({p.zone_id for p in points})
    enrolments = list(
        FacilityEnrolment.objects.filter(
            facility_id=facility_id, is_active=True, credential__state=CredentialState.ACTIVE,
            credential__kind=CredentialKind.CARD, credential__valid_from__lte=now, credential__valid_until__gt=now,
        ).select_related("credential__person").order_by("pk")
    )
    person_ids = [e.credential.person_id for e in enrolments]
    rights = list(Authorisation.objects.filter(zone_id__in=zone_ids, revoked_at__isnull=True, valid_from__lte=now,
                                               valid_until__gt=now).order_by("pk"))
    verified = set(SecurityVerification.objects.filter(person_id__in=person_ids, status="positive",
                                                       valid_until__gt=now).values_list("person_id", flat=True))
    plates: dict[int, str] = {}
    for person_id, plate in (Vehicle.drivers.through.objects.filter(person_id__in=person_ids)
                             .order_by("vehicle_id").values_list("person_id", "vehicle__plate")):
        plates.setdefault(person_id, plate)
    inside = set(Presence.objects.filter(zone_id__in=zone_ids).values_list("person_id", "zone_id"))
    for enrolment in enrolments:
        credential = enrolment.credential
        person = credential.person
        plate = plates.get(person.pk)
        for point in points:
            zone = point.zone
            if point.requires_plate and plate is None:
                continue
            plate_here = plate if point.requires_plate else None
            if (person.pk, zone.pk) in inside:
                site.moves.append((credential, point, Direction.OUT, plate_here))
                site.passbacks.append((credential, point, plate_here))
                continue
            held = [a for a in rights if a.zone_id == zone.pk
                    and (a.person_id == person.pk or (a.organisation_id is not None
                                                      and a.organisation_id == person.employer_id))]
            if not held:
                continue
            applying = [a for a in held if authorisation_applies(authorisation=a, at=now, tz=tz)]
            if not applying:
                site.off_schedule.append((credential, point, plate_here))
                continue
            # The right the engine will use: the person's own first, one without escort first.
            chosen = min(applying, key=lambda a: (a.person_id is None, a.escort_required, a.requires_verification,
                                                   a.pk))
            fine = (not chosen.escort_required
                    and (person.pk in verified or not (zone.requires_verification or chosen.requires_verification))
                    and (not chosen.vehicle_only or point.requires_plate))
            if fine:
                site.moves.append((credential, point, Direction.IN, plate_here))
                if point.requires_plate:
                    site.drivers.append((credential, point, plate_here))
    return site


def _pass(ctx, point, credential_number, *, plate=None, direction=Direction.IN):
    try:
        return gate_decide(actor=ctx.actor, access_point=point, credential_number=credential_number, plate=plate,
                           direction=direction)
    except ServiceError:
        return None


def _turnstile(points):
    return next((p for p in points if not p.requires_plate), points[0])


def _card_at_enrolled_facility(ctx, queryset):
    """One credential of ``queryset`` and a turnstile of a facility it was activated at."""
    credentials = list(queryset.order_by("pk")[:50])
    if not credentials:
        return None, None
    credential = ctx.rng.choice(credentials)
    facility_ids = list(credential.enrolments.order_by("facility_id").values_list("facility_id", flat=True))
    if not facility_ids:
        facility_ids = _facility_ids()[:1]
    points = list(AccessPoint.objects.filter(zone__facility_id=ctx.rng.choice(facility_ids)).select_related("zone")
                  .order_by("pk"))
    if not points:
        return None, None
    return credential, _turnstile(points)


def _act(ctx, action: str, ids: list[int]) -> None:
    rng = ctx.rng
    now = clock.now()
    if action in ("move", "passback", "wrong_plate", "off_schedule"):
        # Look at up to three facilities for someone this can happen to.
        for _try in range(3):
            site = _site(_pick_facility(ctx, ids), now)
            if action == "move" and site.moves:
                credential, point, direction, plate = rng.choice(site.moves)
                _pass(ctx, point, credential.number, plate=plate, direction=direction)
                return
            if action == "passback":
                if site.passbacks:
                    credential, point, plate = rng.choice(site.passbacks)
                    _pass(ctx, point, credential.number, plate=plate)
                    return
                entries = [m for m in site.moves if m[2] == Direction.IN]
                if entries:  # nobody inside yet: in, and in again
                    credential, point, _direction, plate = rng.choice(entries)
                    _pass(ctx, point, credential.number, plate=plate)
                    _pass(ctx, point, credential.number, plate=plate)
                    return
            if action == "off_schedule" and site.off_schedule:
                credential, point, plate = rng.choice(site.off_schedule)
                _pass(ctx, point, credential.number, plate=plate)
                return
            if action == "wrong_plate" and site.drivers:
                credential, point, own = rng.choice(site.drivers)
                others = list(Vehicle.objects.exclude(owner_id=credential.person.employer_id)
                              .order_by("pk").values_list("plate", flat=True)[:50])
                plate = rng.choice(others) if others else "BE:1ZZZ999"
                _pass(ctx, point, credential.number, plate=plate)
                return
        return
    if action == "unknown_badge":
        facility_id = _pick_facility(ctx, ids)
        points = list(AccessPoint.objects.filter(zone__facility_id=facility_id).select_related("zone__facility__port")
                      .order_by("pk"))
        point = _turnstile(points)
        _pass(ctx, point, f"{point.zone.facility.port.unlocode}-9{rng.randint(0, 999_999):06d}")
        return
    if action == "blocked_badge":
        credential, point = _card_at_enrolled_facility(
            ctx, Credential.objects.filter(state=CredentialState.BLOCKED, kind=CredentialKind.CARD))
    elif action == "missing_badge":
        credential, point = _card_at_enrolled_facility(
            ctx, Credential.objects.filter(state=CredentialState.INACTIVE, kind=CredentialKind.CARD))
    elif action == "banned_person":
        from django.db.models import Exists, OuterRef

        credential, point = _card_at_enrolled_facility(
            ctx, Credential.objects.filter(kind=CredentialKind.CARD).filter(
                Exists(bans_in_force(person=OuterRef("person_id"), port_id=OuterRef("port_id"), at=now))))
    elif action == "visitor":
        credentials = list(Credential.objects.filter(kind=CredentialKind.VISITOR_QR, state=CredentialState.ACTIVE,
                                                     visit__status=VisitStatus.APPROVED)
                           .select_related("visit", "person").order_by("pk")[:50])
        if not credentials:
            return
        credential = rng.choice(credentials)
        zone_ids = list(credential.visit.zones.order_by("pk").values_list("pk", flat=True))
        points = list(AccessPoint.objects.filter(zone_id__in=zone_ids, requires_plate=False)
                      .select_related("zone").order_by("pk"))
        if not points:
            return
        point = rng.choice(points)
        inside = Presence.objects.filter(person_id=credential.person_id, zone_id=point.zone_id).exists()
        _pass(ctx, point, credential.number, direction=Direction.OUT if inside else Direction.IN)
        return
    else:
        return
    if credential is not None and point is not None:
        _pass(ctx, point, credential.number)


@scenario("access.gate_traffic", label="Gate traffic: badges and trucks at the facilities' gates", every=20,
          first_after=30)
def gate_traffic(ctx) -> float | None:
    """A few passages at the gates: mostly people going in and out, now and then a refusal
    (unknown or blocked badge, a banned person, outside the hours, a wrong plate,
    anti-passback, a visitor outside the visit's window)."""
    ids = _facility_ids()
    if not ids:
        return 600
    names = [name for name, _weight in ACTIONS]
    weights = [weight for _name, weight in ACTIONS]
    try:
        for _n in range(ctx.rng.randint(1, 2)):
            _act(ctx, ctx.rng.choices(names, weights)[0], ids)
    except ServiceError:
        return RETRY_AFTER
    return None


@scenario("access.badge_incidents", label="Badges reported missing, and found again", every=900, first_after=420,
          kind="incident")
def badge_incidents(ctx) -> float | None:
    """Now and then a holder reports a badge missing (inactive); most turn up again later
    (active again). Through the credential service, as the simulator."""
    rng = ctx.rng
    now = clock.now()
    try:
        missing = list(Credential.objects.filter(state=CredentialState.INACTIVE, kind=CredentialKind.CARD,
                                                 state_changes__reason=MISSING_REASON, valid_until__gt=now)
                       .distinct().order_by("pk"))
        if missing and rng.random() < 0.6:
            credential_set_state(actor=ctx.actor, credential=rng.choice(missing), state=CredentialState.ACTIVE,
                                 reason=FOUND_REASON)
            return None
        if len(missing) >= 3 or rng.random() < 0.5:
            return None
        candidates = list(Credential.objects.filter(state=CredentialState.ACTIVE, kind=CredentialKind.CARD,
                                                    valid_until__gt=now).order_by("pk")
                          .values_list("pk", flat=True)[:500])
        if not candidates:
            return None
        credential = Credential.objects.get(pk=rng.choice(candidates))
        credential_set_state(actor=ctx.actor, credential=credential, state=CredentialState.INACTIVE,
                             reason=MISSING_REASON)
    except ServiceError:
        return RETRY_AFTER
    return None
