"""The access API: visit pre-notification (announce, approve, reject, cancel)."""

from django.db.models import Q
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate

from havenwatch.access import selectors_people, selectors_places
from havenwatch.access.models import Person, Zone
from havenwatch.access.schemas_api import (
    ApproveIn,
    DbId,
    ReasonIn,
    VisitIn,
    VisitOut,
    VisitPolicyIn,
    VisitPolicyOut,
)
from havenwatch.access.services import visits as visit_services
from havenwatch.core.api.common import Page, as_utc, get_visible, need, principal_of
from havenwatch.core.choices import OrganisationKind
from havenwatch.core.models import Facility, Organisation

router = Router(tags=["access: visits"])


def _visits(actor):
    return selectors_places.visit_list(principal=actor).prefetch_related("visitors__person", "zones")


def _visits_to_decide(actor):
    """Visits at the facilities the actor's organisation runs, or to ship calls it is the
    agent of: the only ones it decides on (the service says which step is whose)."""
    return _visits(actor).filter(Q(facility__operator_id=actor.organisation_id)
                                 | Q(ship_agent_id=actor.organisation_id))


class VisitFilter(Schema):
    q: str | None = None
    status: str | None = None
    facility_id: DbId | None = None
    port_id: DbId | None = None


@router.get("/visits", response=list[VisitOut], summary="Visits you announced, at your facilities, or in your ports")
@paginate(Page)
def visit_list(request, filters: Query[VisitFilter]):
    qs = _visits(principal_of(request))
    if filters.q:
        qs = qs.filter(Q(reason__icontains=filters.q) | Q(ship_call__icontains=filters.q))
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.facility_id is not None:
        qs = qs.filter(facility_id=filters.facility_id)
    if filters.port_id is not None:
        qs = qs.filter(facility__port_id=filters.port_id)
    return qs


@router.get("/visits/to-approve", response=list[VisitOut], summary="Announced visits waiting for your approval")
@paginate(Page)
def visits_to_approve(request):
    return selectors_places.visits_to_approve(principal=principal_of(request))


@router.post("/visits", response={201: VisitOut}, summary="Announce visitors for a facility or a ship call")
def visit_announce(request, payload: VisitIn):
    actor = principal_of(request)
    need(actor, "access.announce_visits")
    # Announcers need not see the facility's records: the facilities they run or were approved to
    # announce at can be named (the service checks the approval's window), with their zones.
    facility = get_visible(
        Facility.objects.filter(Q(operator_id=actor.organisation_id)
                                | Q(announcers__organisation_id=actor.organisation_id), is_active=True)
        .distinct().select_related("port"),
        payload.facility_id, "facility",
    )
    zones = [get_visible(Zone.objects.filter(facility=facility), pk, "zone") for pk in dict.fromkeys(payload.zone_ids)]
    # Existing visitors: people the actor sees, and earlier visitors with no employer.
    people = Person.objects.filter(
        Q(pk__in=selectors_people.person_list(principal=actor).values("pk")) | Q(employer__isnull=True))
    visitors = [get_visible(people, item, "person") if isinstance(item, int) else item.dict()
                for item in payload.visitors]
    agent = None
    if payload.ship_agent_id is not None:
        # Any active shipping line or agent may be named: the announcer need not see its records.
        agent = get_visible(Organisation.objects.filter(kind=OrganisationKind.SHIPPING_LINE, is_active=True),
                            payload.ship_agent_id, "ship_agent")
    visit = visit_services.visit_announce(
        actor=actor, facility=facility, zones=zones, reason=payload.reason, visitors=visitors,
        window_start=as_utc(payload.window_start, "window_start"), window_end=as_utc(payload.window_end, "window_end"),
        ship_call=payload.ship_call, eta=as_utc(payload.eta, "eta"), etd=as_utc(payload.etd, "etd"),
        plate=payload.plate, ship_agent=agent,
    )
    return Status(201, visit)


@router.get("/visits/{int:visit_id}", response=VisitOut, summary="A visit")
def visit_detail(request, visit_id: int):
    return get_visible(_visits(principal_of(request)), visit_id, "visit")


@router.post("/visits/{int:visit_id}/approve", response=VisitOut,
             summary="Approve a visit (each visitor gets a QR credential for the window)")
def visit_approve(request, visit_id: int, payload: ApproveIn):
    actor = principal_of(request)
    need(actor, "access.approve_visits")
    visit = get_visible(_visits_to_decide(actor), visit_id, "visit")
    return visit_services.visit_approve(actor=actor, visit=visit, confirm_unavailable=payload.confirm_unavailable)


@router.post("/visits/{int:visit_id}/reject", response=VisitOut, summary="Reject a visit, with a reason")
def visit_reject(request, visit_id: int, payload: ReasonIn):
    actor = principal_of(request)
    need(actor, "access.approve_visits")
    visit = get_visible(_visits_to_decide(actor), visit_id, "visit")
    return visit_services.visit_reject(actor=actor, visit=visit, reason=payload.reason)


@router.post("/visits/{int:visit_id}/cancel", response=VisitOut, summary="Call off a visit you announced")
def visit_cancel(request, visit_id: int):
    actor = principal_of(request)
    need(actor, "access.announce_visits")
    visit = get_visible(_visits(actor), visit_id, "visit")
    return visit_services.visit_cancel(actor=actor, visit=visit)


@router.put("/facilities/{int:facility_id}/visit-policy", response=VisitPolicyOut,
            summary="Whether the terminal approves ship-call visits on top of the agent")
def visit_policy_set(request, facility_id: int, payload: VisitPolicyIn):
    actor = principal_of(request)
    need(actor, "access.approve_visits")
    facility = get_visible(Facility.objects.filter(operator_id=actor.organisation_id), facility_id, "facility")
    return visit_services.visit_policy_set(actor=actor, facility=facility,
                                           terminal_approves_ship_calls=payload.terminal_approves_ship_calls)
