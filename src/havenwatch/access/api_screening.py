"""The access API: port bans (authorities), ban status (hit / clear), security verifications,
criminal-record extract checks."""

from django.db.models import Q
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate

from havenwatch.access import selectors_people
from havenwatch.access.models import SecurityVerification, TrainingRecord
from havenwatch.access.schemas_api import (
    BanIn,
    BanOut,
    BanStatusOut,
    DbId,
    ReasonIn,
    RecordCheckIn,
    RecordCheckOut,
    TrainingIn,
    TrainingOut,
    VerificationDecisionIn,
    VerificationIn,
    VerificationOut,
)
from havenwatch.access.services import screening as screening_services
from havenwatch.core.api.common import Page, as_utc, get_visible, need, principal_of
from havenwatch.core.models import Port

router = Router(tags=["access: screening"])


def _person(actor, person_id: int):
    return get_visible(selectors_people.person_list(principal=actor), person_id, "person")


# --- port bans ----------------------------------------------------------------------------


class BanFilter(Schema):
    q: str | None = None
    person_id: DbId | None = None
    port_id: DbId | None = None
    active: bool | None = None


@router.get("/bans", response=list[BanOut], summary="Port bans (authorities only)")
@paginate(Page)
def ban_list(request, filters: Query[BanFilter]):
    actor = principal_of(request)
    need(actor, "access.manage_bans")
    qs = selectors_people.ban_list(principal=actor).prefetch_related("ports")
    if filters.q:
        qs = qs.filter(Q(legal_reference__icontains=filters.q) | Q(person__last_name__icontains=filters.q))
    if filters.person_id is not None:
        qs = qs.filter(person_id=filters.person_id)
    if filters.port_id is not None:
        qs = qs.filter(Q(all_ports=True) | Q(ports__id=filters.port_id)).distinct()
    if filters.active is not None:
        qs = qs.filter(lifted_at__isnull=filters.active)
    return qs


@router.post("/bans", response={201: BanOut}, summary="Issue a port ban (blocks credentials, stops visits)")
def ban_issue(request, payload: BanIn):
    actor = principal_of(request)
    need(actor, "access.manage_bans")
    person = _person(actor, payload.person_id)
    ports = None
    if payload.port_ids is not None:
        ports = [get_visible(Port.objects.all(), pk, "port") for pk in dict.fromkeys(payload.port_ids)]
    return Status(201, screening_services.ban_issue(
        actor=actor, person=person, ports=ports, legal_reference=payload.legal_reference,
        valid_from=as_utc(payload.valid_from, "valid_from"), valid_until=as_utc(payload.valid_until, "valid_until"),
    ))


@router.post("/bans/{int:ban_id}/lift", response=BanOut, summary="Lift a port ban, with a reason")
def ban_lift(request, ban_id: int, payload: ReasonIn):
    actor = principal_of(request)
    need(actor, "access.manage_bans")
    ban = get_visible(selectors_people.ban_list(principal=actor), ban_id, "port ban")
    return screening_services.ban_lift(actor=actor, ban=ban, reason=payload.reason)


@router.get("/people/{int:person_id}/ban-status", response=BanStatusOut,
            summary="Is this person banned from a port: hit, clear or unavailable (never the file)")
def ban_status(request, person_id: int, port_id: DbId):
    actor = principal_of(request)
    need(actor, "access.check_ban")  # authorities read the files themselves (GET /bans)
    person = _person(actor, person_id)
    port = get_visible(Port.objects.all(), port_id, "port")
    return {"result": selectors_people.ban_status_for(principal=actor, person=person, port=port)}


# --- security verifications -----------------------------------------------------------------


def _verifications(actor):
    action = "access.decide_verifications" if actor.has_perm("access.decide_verifications") \
        else "access.request_verifications"
    return SecurityVerification.objects.restrict(actor, action).select_related("person")


class VerificationFilter(Schema):
    person_id: DbId | None = None
    status: str | None = None


@router.get("/verifications", response=list[VerificationOut], summary="Security verifications")
@paginate(Page)
def verification_list(request, filters: Query[VerificationFilter]):
    qs = _verifications(principal_of(request))
    if filters.person_id is not None:
        qs = qs.filter(person_id=filters.person_id)
    if filters.status:
        qs = qs.filter(status=filters.status)
    return qs


@router.post("/verifications", response={201: VerificationOut},
             summary="Ask for a security verification of an employee for a critical function")
def verification_request(request, payload: VerificationIn):
    actor = principal_of(request)
    need(actor, "access.request_verifications")
    person = _person(actor, payload.person_id)
    return Status(201, screening_services.verification_request(actor=actor, person=person,
                                                               function=payload.function))


@router.post("/verifications/{int:verification_id}/decision", response=VerificationOut,
             summary="Mark a verification pending, or decide it (authorities)")
def verification_decide(request, verification_id: int, payload: VerificationDecisionIn):
    actor = principal_of(request)
    need(actor, "access.decide_verifications")
    verification = get_visible(_verifications(actor), verification_id, "verification")
    return screening_services.verification_decide(
        actor=actor, verification=verification, status=payload.status,
        valid_until=as_utc(payload.valid_until, "valid_until"),
    )


# --- criminal-record extract checks -------------------------------------------------------


@router.post("/record-checks", response={201: RecordCheckOut},
             summary="Record an employee's criminal-record extract check (date and result only)")
def record_check_record(request, payload: RecordCheckIn):
    actor = principal_of(request)
    need(actor, "access.record_checks")
    person = _person(actor, payload.person_id)
    return Status(201, screening_services.record_check_record(actor=actor, person=person,
                                                              checked_on=payload.checked_on, result=payload.result))


@router.post("/training-records", response={201: TrainingOut}, summary="Record a course an employee completed")
def training_record(request, payload: TrainingIn):
    actor = principal_of(request)
    need(actor, "access.record_training")
    person = _person(actor, payload.person_id)
    return Status(201, screening_services.training_record(actor=actor, person=person, course=payload.course,
                                                          completed_on=payload.completed_on,
                                                          valid_until=payload.valid_until))


@router.get("/training-records", response=list[TrainingOut], summary="Courses your organisation recorded")
@paginate(Page)
def training_list(request, person_id: int | None = None):
    qs = TrainingRecord.objects.restrict(principal_of(request), "access.view_person").order_by("person_id", "course",
                                                                                                "-completed_on", "pk")
    return qs.filter(person_id=person_id) if person_id is not None else qs
