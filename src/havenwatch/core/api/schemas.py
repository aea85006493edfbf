from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Field, Schema

# Every string a client sends is bounded (the column's length) so that pydantic checks it:
# an unbounded ``str`` let a lone surrogate ("\ud800") or an over-long value through to
# the database, which answered with a 500 (SQLite cannot encode it, PostgreSQL refuses it).


class OrganisationOut(Schema):
    id: int
    name: str
    slug: str
    kind: str
    country: str
    vat_number: str
    eori_number: str
    is_active: bool


class OrganisationIn(Schema):
    name: str = Field(..., min_length=1, max_length=200)
    kind: str = Field(..., max_length=32)
    country: str = Field(..., min_length=2, max_length=2)
    slug: str = Field("", max_length=60)
    vat_number: str = Field("", max_length=40)
    eori_number: str = Field("", max_length=40)


class OrganisationPatch(Schema):
    name: str | None = Field(None, max_length=200)
    vat_number: str | None = Field(None, max_length=40)
    eori_number: str | None = Field(None, max_length=40)
    is_active: bool | None = None


class PortOut(Schema):
    id: int
    name: str
    unlocode: str
    time_zone: str
    authority_id: int
    security_level: int
    boundary: dict[str, Any] | None = None


class PortIn(Schema):
    name: str = Field(..., min_length=1, max_length=120)
    unlocode: str = Field(..., max_length=10)
    authority_id: int
    time_zone: str = Field("Europe/Brussels", max_length=64)
    boundary: dict[str, Any] | None = None


class PortPatch(Schema):
    name: str | None = Field(None, max_length=120)
    time_zone: str | None = Field(None, max_length=64)
    boundary: dict[str, Any] | None = None


class FacilityOut(Schema):
    id: int
    name: str
    isps_number: str
    port_id: int
    operator_id: int
    security_level: int
    effective_security_level: int
    is_active: bool
    geometry: dict[str, Any] | None = None


class FacilityIn(Schema):
    name: str = Field(..., min_length=1, max_length=160)
    isps_number: str = Field(..., max_length=32)
    port_id: int
    operator_id: int
    geometry: dict[str, Any] | None = None


class FacilityPatch(Schema):
    name: str | None = Field(None, max_length=160)
    geometry: dict[str, Any] | None = None
    is_active: bool | None = None


class MembershipOut(Schema):
    id: int
    user_id: int
    username: str = Field(..., alias="user.username")
    organisation_id: int
    role: str
    facility_id: int | None = None
    is_active: bool


class UserIn(Schema):
    username: str = Field(..., min_length=1, max_length=150)
    email: str = Field(..., max_length=254)
    password: str = Field(..., min_length=1, max_length=200)
    first_name: str = Field("", max_length=150)
    last_name: str = Field("", max_length=150)
    organisation_id: int
    role: str = Field(..., max_length=32)
    facility_id: int | None = None


class MembershipIn(Schema):
    user_id: int
    organisation_id: int
    role: str = Field(..., max_length=32)
    facility_id: int | None = None


class SecurityLevelChangeOut(Schema):
    id: int
    port_id: int
    facility_id: int | None = None
    level: int
    previous_level: int
    reason: str
    set_by: str
    set_at: datetime
    acknowledged: int = Field(..., alias="acked")
    to_acknowledge: int = Field(..., alias="ack_total")

    @staticmethod
    def resolve_set_by(obj) -> str:
        return obj.set_by.username if obj.set_by_id else "system"


class SecurityLevelChangeIn(Schema):
    port_id: int
    facility_id: int | None = None
    level: int = Field(..., ge=1, le=3)
    reason: str = Field(..., min_length=1, max_length=2000)


class AcknowledgementOut(Schema):
    id: int
    change_id: int
    facility_id: int
    facility: str = Field(..., alias="facility.name")
    level: int = Field(..., alias="change.level")
    acknowledged_at: datetime | None = None


class CurrentLevelOut(Schema):
    port_id: int
    port: str
    unlocode: str
    port_level: int
    facilities: list[dict[str, Any]]


class AuditRecordOut(Schema):
    sequence: int
    occurred_at: datetime
    actor_label: str
    organisation_id: int | None = None
    port_id: int | None = None
    code: str
    subject_type: str
    subject_id: str
    data: dict[str, Any]
    hash: str


class VerifyOut(Schema):
    ok: bool
    checked: int
    first_broken: int | None = None
    reason: str
    checkpoints_checked: int


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    permissions: list[str]
    facility_id: int | None = None
    created_at: datetime
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None


class TokenIn(Schema):
    name: str = Field(..., min_length=1, max_length=120)
    permissions: list[str]
    expires_at: datetime | None = None
    facility_id: int | None = None


class TokenCreatedOut(TokenOut):
    token: str = Field(..., description="Shown once. Store it now: only its hash is kept.")


class WebhookOut(Schema):
    id: int
    url: str
    description: str
    event_types: list[str]
    is_active: bool
    created_at: datetime


class WebhookIn(Schema):
    url: str = Field(..., min_length=1, max_length=500)
    event_types: list[str] = []
    description: str = Field("", max_length=200)


class WebhookPatch(Schema):
    is_active: bool | None = None
    event_types: list[str] | None = None


class WebhookCreatedOut(WebhookOut):
    secret: str = Field(..., description="Shown once: verify X-Havenwatch-Signature with it.")


class DeliveryOut(Schema):
    id: int
    event_sequence: int = Field(..., alias="event.sequence")
    event_type: str = Field(..., alias="event.type")
    status: str
    attempts: int
    next_attempt_at: datetime
    last_status_code: int | None = None
    last_error: str
    delivered_at: datetime | None = None


class EventOut(Schema):
    sequence: int
    created_at: datetime
    type: str
    subject_type: str
    subject_id: str
    organisation_id: int | None = None
    port_id: int | None = None
    facility_id: int | None = None
    priority: int
    payload: dict[str, Any]


class NotificationOut(Schema):
    id: int
    kind: str
    title: str
    body: str
    link: str
    created_at: datetime
    read_at: datetime | None = None


class MeOut(Schema):
    username: str | None = None
    organisation_id: int | None = None
    organisation: str | None = None
    role: str | None = None
    token: str | None = None
    permissions: list[str]


class EventTypeOut(Schema):
    code: str
    label: str


class PermissionOut(Schema):
    code: str
    label: str
    token_grantable: bool


class HealthOut(Schema):
    status: str
    version: str
