"""Request and response schemas of the access API's gate endpoints."""

from datetime import datetime
from typing import Literal

from ninja import Field, Schema

from havenwatch.access.choices import Reason
from havenwatch.core.api.common import ReasonOut, labelled_reasons


class DecisionIn(Schema):
    """A gate controller asking whether someone may pass. The access point is named by its id."""

    access_point_id: int = Field(..., ge=1, le=2**31 - 1, description="The access point's id.")
    credential: str | None = Field(None, max_length=40, description="The credential number read at the gate.")
    plate: str | None = Field(
        None, max_length=32,
        description="The number plate read (ANPR), as `CC:CHARS` (`BE:1ABC234`) or raw (the port's country).",
    )
    biometric_match: bool | None = Field(None, description="The reader's biometric match; omit when none was made.")
    direction: Literal["in", "out"] | None = Field(
        None, description="`in` or `out`; by default the access point's own direction, or `in`.")


def reasons_out(codes: list[str]) -> list[dict]:
    """Reason codes with their labels in the request's language."""
    return labelled_reasons(codes, Reason)


class DecisionOut(Schema):
    granted: bool
    reasons: list[ReasonOut]
    message: str
    event_id: int
    access_point_id: int
    direction: str
    security_level: int


class OverrideIn(Schema):
    reason: str = Field(..., min_length=1, max_length=300, description="Why the guard lets this person through.")


class AccessEventOut(Schema):
    id: int
    occurred_at: datetime
    access_point_id: int
    facility_id: int
    direction: str
    presented: str
    plate: str
    credential_id: int | None = None
    person_id: int | None = None
    granted: bool
    reasons: list[ReasonOut]
    security_level: int
    override_of_id: int | None = None
    override_reason: str
    actor: str

    @staticmethod
    def resolve_reasons(obj) -> list[dict]:
        return reasons_out(obj.reasons)


class PresenceOut(Schema):
    person_id: int
    name: str
    zone_id: int
    entered_at: datetime
    entry_id: int

    @staticmethod
    def resolve_name(obj) -> str:
        return str(obj.person)
