"""Reads of zones, access points, authorisations and visits, restricted by principal.

Deny by default: every list starts from ``restrict(principal, action)``. Two reaches the
tenancy declarations cannot express are added here, each behind the same permission:
a holder sees the authorisations granted to it (or to its staff), and a facility's
operator sees the visits announced at its facility.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q, QuerySet

from havenwatch.access.choices import VisitStatus
from havenwatch.access.models import AccessPoint, Authorisation, Person, Visit, Zone
from havenwatch.core import clock
from havenwatch.core.models import Facility, Organisation
from havenwatch.core.principal import Principal


def zone_list(*, principal: Principal, facility: Facility | None = None) -> QuerySet[Zone]:
    qs = Zone.objects.restrict(principal, "access.view_zone").select_related("facility")
    if facility is not None:
        qs = qs.filter(facility=facility)
    return qs.prefetch_related("level_rules")


def access_point_list(
    *, principal: Principal, facility: Facility | None = None, zone: Zone | None = None
) -> QuerySet[AccessPoint]:
    qs = AccessPoint.objects.restrict(principal, "access.view_zone").select_related("zone__facility")
    if facility is not None:
        qs = qs.filter(zone__facility=facility)
    if zone is not None:
        qs = qs.filter(zone=zone)
    return qs


def authorisation_list(
    *,
    principal: Principal,
    zone: Zone | None = None,
    person: Person | None = None,
    organisation: Organisation | None = None,
    active_at: datetime | None = None,
) -> QuerySet[Authorisation]:
    """Authorisations the principal may see: those of its facilities' zones, and those
    granted to its organisation or to its staff."""
    action = "access.view_authorisation"
    qs = Authorisation.objects.restrict(principal, action)
    if principal.has_perm(action) and principal.organisation is not None and not principal.unrestricted:
        org = principal.organisation
        qs = Authorisation.objects.filter(
            Q(pk__in=qs.values("pk")) | Q(organisation=org) | Q(person__employer=org)
        )
    if zone is not None:
        qs = qs.filter(zone=zone)
    if person is not None:
        qs = qs.filter(person=person)
    if organisation is not None:
        qs = qs.filter(organisation=organisation)
    if active_at is not None:
        qs = qs.filter(valid_from__lte=active_at, valid_until__gt=active_at).filter(
            Q(revoked_at__isnull=True) | Q(revoked_at__gt=active_at)
        )
    return qs.select_related("zone__facility", "person", "organisation")


def visit_list(
    *, principal: Principal, facility: Facility | None = None, status: str | None = None
) -> QuerySet[Visit]:
    """Visits the principal may see: those its organisation announced, those at its
    facilities, those to ship calls it is the agent of, and (for authorities) those in its ports."""
    action = "access.view_visit"
    qs = Visit.objects.restrict(principal, action)
    if principal.has_perm(action) and principal.organisation is not None and not principal.unrestricted:
        org = principal.organisation
        qs = Visit.objects.filter(Q(pk__in=qs.values("pk")) | Q(facility__operator=org) | Q(ship_agent=org))
    if facility is not None:
        qs = qs.filter(facility=facility)
    if status is not None:
        qs = qs.filter(status=status)
    return qs.select_related("facility", "announcer")


def visits_to_approve(*, principal: Principal) -> QuerySet[Visit]:
    """Visits, not yet over, that wait for the principal's organisation: as the approver of
    its facilities (after the agent, for a ship call), or as the agent of a ship call."""
    if not principal.has_perm("access.approve_visits") or principal.organisation is None:
        return Visit.objects.none()
    org = principal.organisation
    waiting = (
        Q(facility__operator=org, status=VisitStatus.ANNOUNCED, ship_agent__isnull=True)
        | Q(facility__operator=org, status=VisitStatus.AGENT_APPROVED)
        | Q(ship_agent=org, status=VisitStatus.ANNOUNCED)
    )
    return (
        Visit.objects.filter(waiting, window_end__gt=clock.now())
        .select_related("facility", "announcer", "ship_agent")
        .prefetch_related("visitors__person", "zones")
        .order_by("window_start", "pk")
    )
