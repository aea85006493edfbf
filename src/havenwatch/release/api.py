"""The release API: commercial releases, as the shipping line issues them and the parties read them.

The chain of rights and driver assignments are in ``api_chain.py``; customs holds, the
discharge and the pickup at the gate in ``api_gate.py``. The rules live in the services;
these handlers find the row the caller may see (another organisation's is a 404), call
one service and render.
"""

from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from havenwatch.core.api.common import Page, as_utc, get_visible, need, principal_of
from havenwatch.core.errors import ValidationFailed
from havenwatch.core.models import Facility, Organisation
from havenwatch.release import selectors
from havenwatch.release.choices import ReleaseStatus
from havenwatch.release.schemas import (
    BulkOut,
    DbId,
    IssuedReleaseOut,
    ReasonIn,
    ReissueIn,
    ReleaseBulkIn,
    ReleaseDetailOut,
    ReleaseIn,
    ReleaseOut,
    ReleasePatch,
)
from havenwatch.release.services import releases as release_services

router = Router(tags=["release: releases"])


# --- what a caller may see of a release ------------------------------------------------


def _visible(actor, release_id: int):
    return get_visible(selectors.release_list(principal=actor), release_id, "release")


def _issuer_release(request, release_id: int):
    """The release a line acts on: refused by role first (403), then unseen is 404; the
    service says whether this line issued it."""
    actor = principal_of(request)
    need(actor, "release.issue")
    return actor, _visible(actor, release_id)


# --- reading --------------------------------------------------------------------------


class ReleaseFilter(Schema):
    status: str | None = Field(None, max_length=16, description="active, blocked, revoked, withdrawn, picked_up")
    container: str | None = Field(None, max_length=20, description="The container number, or part of it.")
    terminal_id: DbId | None = None


@router.get("/releases", response=list[ReleaseOut],
            summary="Releases you issued, hold or held a right of, or (authorities) in your ports")
@paginate(Page)
def release_list(request, filters: Query[ReleaseFilter]):
    qs = selectors.release_list(principal=principal_of(request))
    if filters.status:
        if filters.status not in ReleaseStatus.values:
            raise ValidationFailed(_("Unknown release status: %(status)s.") % {"status": filters.status},
                                   field="status")
        qs = qs.filter(status=filters.status)
    if filters.container:
        qs = qs.filter(container__number__icontains="".join(filters.container.split()).upper())
    if filters.terminal_id is not None:
        qs = qs.filter(container__terminal_id=filters.terminal_id)
    return qs


@router.get("/releases/{int:release_id}", response=ReleaseDetailOut,
            summary="A release: its lights, who holds it, the links of the chain you may see, the driver")
def release_detail(request, release_id: int):
    actor = principal_of(request)
    release = _visible(actor, release_id)
    return {**ReleaseOut.from_orm(release).model_dump(), **selectors.release_view(actor, release)}


# --- the shipping line's acts ---------------------------------------------------------


@router.post("/releases", response={201: IssuedReleaseOut},
             summary="Issue a release of a container to its first release party (shipping lines)")
def release_create(request, payload: ReleaseIn):
    actor = principal_of(request)
    need(actor, "release.issue")
    # Any active terminal and any active organisation may be named: the line need not see
    # their records, and the answer shows no more of them than their ids.
    terminal = get_visible(Facility.objects.filter(is_active=True), payload.terminal_id, "terminal")
    first_party = get_visible(Organisation.objects.filter(is_active=True), payload.first_party_id, "organisation")
    release = release_services.release_issue(
        actor=actor, container_number=payload.container_number, terminal=terminal,
        bill_of_lading=payload.bill_of_lading, first_party=first_party,
        valid_from=as_utc(payload.valid_from, "valid_from"), valid_until=as_utc(payload.valid_until, "valid_until"),
    )
    return Status(201, release)


BULK_DESCRIPTION = """
Issue up to 10,000 releases in one request, **all or none**.

Every row is checked as a single `POST /releases` would be (and a container named twice
fails on its second row). If any row fails, nothing is written and the answer is a `422`
problem whose `errors` list each failing row: `index` (from 0, in the order sent),
`field`, `code` and `message`. A terminal or first party that is unknown or inactive is
an error of its row.
"""


@router.post("/releases/bulk", response={201: BulkOut}, summary="Issue many releases at once, all or none",
             description=BULK_DESCRIPTION)
def release_bulk(request, payload: ReleaseBulkIn):
    actor = principal_of(request)
    need(actor, "release.issue")
    terminals = Facility.objects.filter(is_active=True).in_bulk({row.terminal_id for row in payload.releases})
    parties = Organisation.objects.filter(is_active=True).in_bulk({row.first_party_id for row in payload.releases})
    rows = [
        {"container_number": row.container_number, "terminal": terminals.get(row.terminal_id),
         "bill_of_lading": row.bill_of_lading, "first_party": parties.get(row.first_party_id),
         "valid_from": as_utc(row.valid_from, f"releases.{index}.valid_from"),
         "valid_until": as_utc(row.valid_until, f"releases.{index}.valid_until")}
        for index, row in enumerate(payload.releases)
    ]
    releases = release_services.release_issue_bulk(actor=actor, rows=rows)
    return Status(201, {"count": len(releases), "releases": releases})


@router.patch("/releases/{int:release_id}", response=IssuedReleaseOut,
              summary="Correct the reference or the validity of a release (a new version)")
def release_update(request, release_id: int, payload: ReleasePatch):
    actor, release = _issuer_release(request, release_id)
    return release_services.release_update(
        actor=actor, release=release, bill_of_lading=payload.bill_of_lading,
        valid_from=as_utc(payload.valid_from, "valid_from"), valid_until=as_utc(payload.valid_until, "valid_until"),
    )


@router.post("/releases/{int:release_id}/block", response=IssuedReleaseOut,
             summary="Block a release for now, with a reason (e.g. unpaid freight)")
def release_block(request, release_id: int, payload: ReasonIn):
    actor, release = _issuer_release(request, release_id)
    return release_services.release_block(actor=actor, release=release, reason=payload.reason)


@router.post("/releases/{int:release_id}/unblock", response=IssuedReleaseOut,
             summary="Unblock a blocked release, with a reason")
def release_unblock(request, release_id: int, payload: ReasonIn):
    actor, release = _issuer_release(request, release_id)
    return release_services.release_unblock(actor=actor, release=release, reason=payload.reason)


@router.post("/releases/{int:release_id}/revoke", response=IssuedReleaseOut,
             summary="Revoke a release for good, with a reason: the chain behind it falls")
def release_revoke(request, release_id: int, payload: ReasonIn):
    actor, release = _issuer_release(request, release_id)
    return release_services.release_revoke(actor=actor, release=release, reason=payload.reason)


@router.post("/releases/{int:release_id}/reissue", response={201: IssuedReleaseOut},
             summary="Withdraw a release and issue its successor (the chain restored, or a new first party)")
def release_reissue(request, release_id: int, payload: ReissueIn):
    actor, release = _issuer_release(request, release_id)
    first_party = None
    if payload.first_party_id is not None:
        first_party = get_visible(Organisation.objects.filter(is_active=True), payload.first_party_id,
                                  "organisation")
    successor = release_services.release_reissue(
        actor=actor, release=release, valid_from=as_utc(payload.valid_from, "valid_from"),
        valid_until=as_utc(payload.valid_until, "valid_until"), first_party=first_party, reason=payload.reason,
    )
    return Status(201, successor)
