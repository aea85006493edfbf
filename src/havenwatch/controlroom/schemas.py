"""Request and response schemas of the control room's API."""

from datetime import datetime
from typing import Annotated, Any

from ninja import Field, Schema

DbId = Annotated[int, Field(ge=1, le=2**31 - 1)]


class DeviceIn(Schema):
    port_id: DbId
    facility_id: DbId | None = None
    kind: str = Field(..., max_length=24)
    code: str = Field(..., max_length=40)
    name: str = Field(..., max_length=120)
    geometry: dict[str, Any]
    field_of_view: dict[str, Any] | None = None
    external_name: str = Field("", max_length=120)
    silent_after: int = Field(15, ge=1, le=7 * 24 * 60, description="Minutes without a message before it is silent.")


class DevicePatch(Schema):
    name: str | None = Field(None, max_length=120)
    geometry: dict[str, Any] | None = None
    field_of_view: dict[str, Any] | None = None
    external_name: str | None = Field(None, max_length=120)
    silent_after: int | None = Field(None, ge=1, le=7 * 24 * 60)


class DeviceOut(Schema):
    id: int
    port_id: int
    facility_id: int | None
    owner_id: int
    kind: str
    code: str
    name: str
    geometry: dict[str, Any]
    field_of_view: dict[str, Any] | None
    external_name: str
    silent_after: int
    last_seen_at: datetime | None
    retired_at: datetime | None
    created_at: datetime


class RetireIn(Schema):
    reason: str = Field(..., max_length=300)


class DeviceTokenIn(Schema):
    name: str = Field(..., max_length=120)
    device_ids: list[DbId] = Field(..., min_length=1, max_length=5_000)
    expires_at: datetime | None = None


class DeviceTokenOut(Schema):
    token: str = Field(..., description="Shown once: only its hash is kept.")
    prefix: str
    name: str
    device_ids: list[int]
    expires_at: datetime | None
