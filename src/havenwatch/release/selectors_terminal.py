"""Reads of the parties' and the terminal's pages: the rights a forwarder or haulier acts on,
the containers a terminal expects to see collected, and the pickup attempts at its gates.

A terminal reads the holder and the assigned driver of the releases at the terminals it
operates: its gate checks exactly these (``services/pickups.py``). Nothing here reaches a
terminal that the principal's organisation does not operate.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery

from havenwatch.core import clock
from havenwatch.core.models import Facility
from havenwatch.core.principal import Principal
from havenwatch.release.choices import LIVE_STATUSES, AssignmentStatus, ReleaseStatus, RightStatus
from havenwatch.release.models import (
    CommercialRelease,
    CustomsHold,
    DriverAssignment,
    PickupAttempt,
    ReleaseRight,
)
from havenwatch.release.selectors import Lights, release_list

# --- the parties: forwarders, hauliers (and the line that offers the first right) ----------


def party_rights(*, principal: Principal) -> QuerySet[ReleaseRight]:
    """The rights a party acts on: those offered to or held by its organisation (as far as
    it may see them), and those it offered to the next party (to take them back). As the
    API's ``api_chain._party_rights``: which act is whose is the service's to say."""
    if not principal.has_perm("release.transfer"):
        return ReleaseRight.objects.none()
    qs = ReleaseRight.objects.restrict(principal, "release.view_release")
    if not principal.unrestricted:
        org = principal.organisation_id
        qs = ReleaseRight.objects.filter(Q(pk__in=qs.filter(holder_id=org).values("pk")) | Q(offered_by_id=org))
    return qs.select_related("release__container__terminal__port", "release__shipping_line", "holder",
                             "offered_by")


def inbox(*, principal: Principal) -> dict[str, QuerySet[ReleaseRight]]:
    """The three sections of a party's inbox, on live releases only: offered to it, held by
    it (with the active driver assignment it may see), and offered by it, still open."""
    org = principal.organisation_id
    rights = party_rights(principal=principal).filter(release__status__in=LIVE_STATUSES)
    assignments = (DriverAssignment.objects.restrict(principal, "release.view_release")
                   .filter(status=AssignmentStatus.ACTIVE).select_related("credential__person"))
    return {
        "offered": rights.filter(holder_id=org, status=RightStatus.OFFERED).order_by("offered_at", "pk"),
        "held": (rights.filter(holder_id=org, status=RightStatus.HELD)
                 .prefetch_related(Prefetch("release__assignments", queryset=assignments,
                                            to_attr="active_assignments"))
                 .order_by("decided_at", "pk")),
        "passed": rights.filter(offered_by_id=org, status=RightStatus.OFFERED).order_by("offered_at", "pk"),
    }


# --- the terminal ---------------------------------------------------------------------------


def terminals(*, principal: Principal, facility: Facility | None = None) -> QuerySet[Facility]:
    """The active terminals where the principal decides pickups: those its organisation
    operates; only ``facility`` when its membership is bound to one (a gate guard's post)."""
    qs = Facility.objects.restrict(principal, "release.pickup").filter(is_active=True)
    if facility is not None:
        qs = qs.filter(pk=facility.pk)
    return qs.select_related("port").order_by("name", "pk")


def _active_assignment():
    return DriverAssignment.objects.filter(release=OuterRef("pk"), status=AssignmentStatus.ACTIVE)


def expected_pickups(*, principal: Principal, terminals: QuerySet[Facility], ready: bool = False,
                     number: str = "", at: datetime | None = None) -> QuerySet[CommercialRelease]:
    """Live releases (active or blocked) of containers at ``terminals``, the next slot
    first, then by container number. Each row carries what the list shows without a query
    per row: ``on_hold``, ``holder_name``, ``slot_start`` and ``active_assignments``.

    ``ready``: only those with all three lights green and a driver assigned."""
    at = at or clock.now()
    qs = (
        release_list(principal=principal)
        .filter(container__terminal__in=terminals, status__in=LIVE_STATUSES)
        .select_related("container__terminal__port")
        .annotate(
            on_hold=Exists(CustomsHold.objects.filter(container=OuterRef("container_id"), released_at__isnull=True)),
            holder_name=Subquery(ReleaseRight.objects.filter(release=OuterRef("pk"), status=RightStatus.HELD)
                                 .values("holder__name")[:1]),
            slot_start=Subquery(_active_assignment().values("slot_start")[:1]),
        )
        .prefetch_related(Prefetch(
            "assignments", to_attr="active_assignments",
            queryset=DriverAssignment.objects.filter(status=AssignmentStatus.ACTIVE)
            .select_related("credential__person", "haulier")))
        .order_by(F("slot_start").asc(nulls_last=True), "container__number", "pk")
    )
    term = "".join((number or "").split()).upper()
    if term:
        qs = qs.filter(container__number__contains=term)
    if ready:
        qs = qs.filter(status=ReleaseStatus.ACTIVE, valid_from__lte=at, valid_until__gt=at, on_hold=False,
                       container__discharged_at__isnull=False, slot_start__isnull=False)
    return qs


def row_lights(release: CommercialRelease, at: datetime | None = None) -> Lights:
    """The lights of a row of :func:`expected_pickups`, from its annotations (the one rule,
    :meth:`havenwatch.release.selectors.Lights.rule`, without a query per row)."""
    return Lights.rule(release=release, held=release.on_hold, discharged=release.container.discharged_at is not None,
                       at=at or clock.now())


def pickup_attempts(*, principal: Principal, terminals: QuerySet[Facility]) -> QuerySet[PickupAttempt]:
    """Pickup attempts at ``terminals`` the principal may see, newest first."""
    return (PickupAttempt.objects.restrict(principal, "release.view_release")
            .filter(terminal__in=terminals)
            .select_related("terminal__port", "credential__person", "container", "override_of", "overridden_by")
            .order_by("-occurred_at", "-pk"))
