"""The control room's API: the device registry (ingestion comes next, see docs/controlroom.md)."""

from django.db.models import Q
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate

from havenwatch.controlroom import selectors
from havenwatch.controlroom.schemas import (
    DbId,
    DeviceIn,
    DeviceOut,
    DevicePatch,
    DeviceTokenIn,
    DeviceTokenOut,
    RetireIn,
)
from havenwatch.controlroom.services import devices as device_services
from havenwatch.core import selectors as core_selectors
from havenwatch.core.api.common import Page, as_utc, get_visible, need, principal_of

router = Router(tags=["control room: devices"])


class DeviceFilter(Schema):
    q: str | None = None
    kind: str | None = None
    facility_id: DbId | None = None
    port_id: DbId | None = None
    retired: bool = False


@router.get("/devices", response=list[DeviceOut], summary="Devices you may see")
@paginate(Page)
def device_list(request, filters: Query[DeviceFilter]):
    qs = selectors.device_list(principal=principal_of(request))
    if filters.q:
        qs = qs.filter(Q(code__icontains=filters.q) | Q(name__icontains=filters.q))
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.facility_id is not None:
        qs = qs.filter(facility_id=filters.facility_id)
    if filters.port_id is not None:
        qs = qs.filter(port_id=filters.port_id)
    return qs.filter(retired_at__isnull=not filters.retired)


@router.get("/devices/{int:device_id}", response=DeviceOut, summary="One device")
def device_detail(request, device_id: int):
    return get_visible(selectors.device_list(principal=principal_of(request)), device_id, "device")


@router.post("/devices", response={201: DeviceOut}, summary="Register a device of your facility or your port")
def device_create(request, payload: DeviceIn):
    actor = principal_of(request)
    need(actor, "controlroom.manage_devices")
    port = get_visible(core_selectors.port_list(principal=actor), payload.port_id, "port")
    facility = (get_visible(core_selectors.facility_list(principal=actor), payload.facility_id, "facility")
                if payload.facility_id is not None else None)
    return Status(201, device_services.device_register(
        actor=actor, port=port, facility=facility, kind=payload.kind, code=payload.code, name=payload.name,
        geometry=payload.geometry, field_of_view=payload.field_of_view, external_name=payload.external_name,
        silent_after=payload.silent_after))


def _managed(request, device_id: int):
    actor = principal_of(request)
    need(actor, "controlroom.manage_devices")
    return actor, get_visible(selectors.managed_devices(principal=actor), device_id, "device")


@router.patch("/devices/{int:device_id}", response=DeviceOut, summary="Change a device's name, place or settings")
def device_update(request, device_id: int, payload: DevicePatch):
    actor, device = _managed(request, device_id)
    return device_services.device_update(actor=actor, device=device, **payload.dict(exclude_unset=True))


@router.post("/devices/{int:device_id}/retire", response=DeviceOut, summary="Take a device out of service")
def device_retire(request, device_id: int, payload: RetireIn):
    actor, device = _managed(request, device_id)
    return device_services.device_retire(actor=actor, device=device, reason=payload.reason)


@router.post("/device-tokens", response={201: DeviceTokenOut},
             summary="A token that sends events for some devices (a device, or a gateway)")
def device_token_create(request, payload: DeviceTokenIn):
    actor = principal_of(request)
    need(actor, "controlroom.manage_devices")
    visible = selectors.managed_devices(principal=actor)
    devices = [get_visible(visible, pk, "device") for pk in dict.fromkeys(payload.device_ids)]
    token, raw = device_services.device_token_issue(
        actor=actor, devices=devices, name=payload.name,
        expires_at=as_utc(payload.expires_at, "expires_at") if payload.expires_at else None)
    return Status(201, {"token": raw, "prefix": token.prefix, "name": token.name,
                        "device_ids": [d.pk for d in devices], "expires_at": token.expires_at})
