"""The release API: the chain of release rights (offers, accept, decline, pass on, take
back) and the haulier's driver assignments."""

from django.db.models import Q
from ninja import Router, Status
from ninja.pagination import paginate

from havenwatch.core.api.common import Page, as_utc, get_visible, need, principal_of
from havenwatch.core.models import Organisation
from havenwatch.release import selectors
from havenwatch.release.choices import LIVE_STATUSES, RightStatus
from havenwatch.release.models import DriverAssignment, ReleaseRight
from havenwatch.release.schemas import AssignmentIn, AssignmentOut, ReasonIn, RightOut, TransferIn
from havenwatch.release.services import assignments as assignment_services
from havenwatch.release.services import rights as right_services

router = Router(tags=["release: chain of rights"])


def _rights():
    return ReleaseRight.objects.select_related("release__container__terminal", "holder", "offered_by")


def _party_rights(actor):
    """The rights a party acts on: those offered to or held by its organisation, and those it
    passed on (to take them back). Which act is whose is the service's to say."""
    need(actor, "release.transfer")
    if actor.unrestricted:
        return _rights()
    org = actor.organisation_id
    return _rights().filter(Q(holder_id=org) | Q(offered_by_id=org))


def _party_right(request, right_id: int):
    actor = principal_of(request)
    return actor, get_visible(_party_rights(actor), right_id, "release right")


@router.get("/rights/inbox", response=list[RightOut], summary="Release rights offered to your organisation")
@paginate(Page)
def right_inbox(request):
    actor = principal_of(request)
    return (ReleaseRight.objects.restrict(actor, "release.transfer")
            .filter(holder_id=actor.organisation_id, status=RightStatus.OFFERED, release__status__in=LIVE_STATUSES)
            .select_related("release__container__terminal", "holder", "offered_by").order_by("offered_at", "pk"))


@router.post("/rights/{int:right_id}/accept", response=RightOut,
             summary="Accept a right offered to you: you hold it now")
def right_accept(request, right_id: int):
    actor, right = _party_right(request, right_id)
    return right_services.right_accept(actor=actor, right=right)


@router.post("/rights/{int:right_id}/decline", response=RightOut,
             summary="Decline a right offered to you, with a reason (the sender keeps holding)")
def right_decline(request, right_id: int, payload: ReasonIn):
    actor, right = _party_right(request, right_id)
    return right_services.right_decline(actor=actor, right=right, reason=payload.reason)


@router.post("/rights/{int:right_id}/transfer", response={201: RightOut},
             summary="Pass a right you hold on to the next party (an offer it accepts or declines)")
def right_transfer(request, right_id: int, payload: TransferIn):
    actor, right = _party_right(request, right_id)
    # Any active organisation may be named: the answer shows its id, not its name (until it answers).
    to = get_visible(Organisation.objects.filter(is_active=True), payload.to_organisation_id, "organisation")
    return Status(201, right_services.right_transfer(actor=actor, right=right, to=to))


@router.post("/rights/{int:right_id}/revoke", response=RightOut,
             summary="Take back a right you passed on, with a reason")
def right_revoke(request, right_id: int, payload: ReasonIn):
    actor, right = _party_right(request, right_id)
    return right_services.right_revoke(actor=actor, right=right, reason=payload.reason)


@router.post("/releases/{int:release_id}/assignments", response={201: AssignmentOut},
             summary="Name the driver, the truck and the slot for the pickup (the haulier holding the right)")
def assignment_create(request, release_id: int, payload: AssignmentIn):
    actor = principal_of(request)
    need(actor, "release.assign")
    release = get_visible(selectors.release_list(principal=actor), release_id, "release")
    assignment = assignment_services.assignment_create(
        actor=actor, release=release, credential_number=payload.credential, plate=payload.plate,
        slot_start=as_utc(payload.slot_start, "slot_start"), slot_end=as_utc(payload.slot_end, "slot_end"),
    )
    return Status(201, assignment)


@router.post("/assignments/{int:assignment_id}/cancel", response=AssignmentOut,
             summary="Cancel a driver assignment, with a reason")
def assignment_cancel(request, assignment_id: int, payload: ReasonIn):
    actor = principal_of(request)
    need(actor, "release.assign")
    assignment = get_visible(DriverAssignment.objects.restrict(actor, "release.assign"), assignment_id,
                             "driver assignment")
    return assignment_services.assignment_cancel(actor=actor, assignment=assignment, reason=payload.reason)
