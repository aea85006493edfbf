"""Request and response schemas of the release API.

Every string a client sends is bounded, so pydantic refuses what the database would
(the services give the precise message within those bounds). Responses list their
fields one by one: what a party may see of a release is decided in ``api_releases.py``.
"""

from datetime import datetime
from typing import Annotated

from ninja import Field, Schema

from havenwatch.core.api.common import ReasonOut, labelled_reasons
from havenwatch.release.choices import PickupReason, RightStatus
from havenwatch.release.selectors import sees_whole_chain

DbId = Annotated[int, Field(ge=1, le=2**31 - 1)]


# --- what a caller may see (a selector's question; kept here beside its only readers) ---


def _actor(context):
    request = (context or {}).get("request")
    return getattr(request, "auth", None) or getattr(request, "principal", None)


# A receiver's name is shown to the sender once the receiver answered the offer: naming an
# organisation by id to offer it a right does not tell the sender who that is.
_ANSWERED = (RightStatus.HELD, RightStatus.PASSED, RightStatus.DECLINED)


# --- in -----------------------------------------------------------------------------


class ReleaseIn(Schema):
    container_number: str = Field(..., max_length=20,
                                  description="ISO 6346 with its check digit: `CSQU3054383` (spaces allowed).")
    terminal_id: int = Field(..., ge=1, le=2**31 - 1, description="The terminal (facility) where the container is.")
    bill_of_lading: str = Field(..., max_length=100, description="The bill of lading reference (35 characters).")
    first_party_id: int = Field(..., ge=1, le=2**31 - 1,
                                description="The first release party: any active organisation.")
    valid_from: datetime
    valid_until: datetime


class ReleaseBulkIn(Schema):
    releases: list[ReleaseIn] = Field(..., min_length=1, max_length=10_000,
                                      description="Up to 10,000 releases, issued all or none.")


class ReleasePatch(Schema):
    bill_of_lading: str | None = Field(None, max_length=100)
    valid_from: datetime | None = None
    valid_until: datetime | None = None


class ReasonIn(Schema):
    reason: str = Field(..., max_length=400, description="Why (300 characters); the parties concerned read it.")


class ReissueIn(Schema):
    valid_from: datetime
    valid_until: datetime
    first_party_id: DbId | None = Field(None, description="A new first release party starts a new chain; "
                                                          "by default the chain is restored.")
    reason: str = Field(..., max_length=400)


class TransferIn(Schema):
    to_organisation_id: int = Field(..., ge=1, le=2**31 - 1, description="The next party: any active organisation.")


class AssignmentIn(Schema):
    credential: str = Field(..., max_length=40, description="The driver's credential number.")
    plate: str = Field(..., max_length=32, description="The truck's plate: `BE:1ABC234`, or raw in the port's country.")
    slot_start: datetime
    slot_end: datetime


class PickupIn(Schema):
    """A gate asking whether a driver may take a container out. The terminal is named by its id."""

    terminal_id: int = Field(..., ge=1, le=2**31 - 1, description="The terminal where the gate is.")
    container: str = Field(..., max_length=20, description="The container number presented.")
    credential: str | None = Field(None, max_length=60, description="The driver's credential number read.")
    plate: str | None = Field(None, max_length=32, description="The truck's plate read (ANPR).")
    biometric_match: bool | None = Field(None, description="The reader's biometric match; omit when none was made.")


# --- out ----------------------------------------------------------------------------


class LightsOut(Schema):
    commercial: str
    customs: str
    terminal: str
    all_green: bool


class PartyOut(Schema):
    id: int
    name: str


class _ReleaseFields(Schema):
    id: int
    container_id: int
    container: str
    terminal_id: int
    shipping_line_id: int
    bill_of_lading: str
    valid_from: datetime
    valid_until: datetime
    status: str
    status_reason: str
    version: int
    replaces_id: int | None = None
    created_at: datetime
    updated_at: datetime


class ReleaseOut(_ReleaseFields):
    @staticmethod
    def resolve_container(obj) -> str:
        return obj.container.number

    @staticmethod
    def resolve_terminal_id(obj) -> int:
        return obj.container.terminal_id


class IssuedReleaseOut(ReleaseOut):
    """A release as its shipping line sees it."""

    first_party_id: int


class BulkOut(Schema):
    count: int
    releases: list[IssuedReleaseOut]


class RightOut(Schema):
    id: int
    release_id: int
    container: str
    parent_id: int | None = None
    holder_id: int
    holder: str | None = Field(None, description="The receiver's name; its sender sees it once it answered.")
    offered_by_id: int
    offered_by: str
    status: str
    offered_at: datetime
    decided_at: datetime | None = None
    reason: str

    @staticmethod
    def resolve_container(obj) -> str:
        return obj.release.container.number

    @staticmethod
    def resolve_holder(obj, context) -> str | None:
        actor = _actor(context)
        if actor is None:
            return None
        if (obj.status in _ANSWERED or obj.holder_id == actor.organisation_id
                or sees_whole_chain(actor, obj.release)):
            return obj.holder.name
        return None

    @staticmethod
    def resolve_offered_by(obj) -> str:
        return obj.offered_by.name


class AssignmentOut(Schema):
    id: int
    release_id: int
    haulier_id: int
    credential_id: int
    credential: str
    plate: str
    slot_start: datetime
    slot_end: datetime
    status: str
    cancelled_reason: str
    created_at: datetime
    ended_at: datetime | None = None

    @staticmethod
    def resolve_credential(obj) -> str:
        return obj.credential.number


class ReleaseDetailOut(_ReleaseFields):
    """A release with what the caller may see around it."""

    first_party_id: int | None = Field(None, description="Shown to the line, the authorities and the first party.")
    lights: LightsOut = Field(..., description="The container's three lights now.")
    holder: PartyOut | None = Field(None, description="Who holds the right now, if that link is visible to you.")
    you_hold: bool
    chain: list[RightOut] = Field(..., description="The links of the chain you may see: all of them for the line "
                                                   "and the authorities, your own (received or passed on) for a party.")
    assignment: AssignmentOut | None = Field(None, description="The active driver assignment, if you may see it.")


class HoldOut(Schema):
    id: int
    container_id: int
    container: str
    placed_by_id: int
    reason: str
    placed_at: datetime
    released_at: datetime | None = None
    released_reason: str

    @staticmethod
    def resolve_container(obj) -> str:
        return obj.container.number


class ContainerOut(Schema):
    id: int
    number: str
    terminal_id: int
    discharged_at: datetime | None = None
    lights: LightsOut


def reasons_out(codes: list[str]) -> list[dict]:
    """Pickup reason codes with their labels in the request's language."""
    return labelled_reasons(codes, PickupReason)


class PickupOut(Schema):
    granted: bool
    reasons: list[ReasonOut]
    message: str = Field(..., description="For the guard, in the request's language (`Accept-Language`).")
    attempt_id: int
    terminal_id: int
    container: str
