"""The device registry: what the control room hears from, where it is, who owns it, and
the tokens its devices (or their gateways) send events with.

A facility's devices are registered by its operator's security officer; the port's own
(a radar on the breakwater, a drone detector over the river) by an authority over the
port. Every act is audited and published to the owner.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from havenwatch.controlroom.choices import DeviceKind
from havenwatch.controlroom.models import Device, DeviceCredential
from havenwatch.core import clock, validation
from havenwatch.core.authz import require
from havenwatch.core.errors import Conflict, PermissionRefused, ValidationFailed
from havenwatch.core.models import ApiToken, Facility, Port
from havenwatch.core.principal import Principal
from havenwatch.core.services import tokens
from havenwatch.core.services._emit import emit

MAX_SILENT = 7 * 24 * 60  # minutes
MAX_DEVICES_PER_TOKEN = 5_000


def _text(value, *, field: str, max_length: int, message: str, required: bool = True) -> str:
    value = " ".join(value.split()) if isinstance(value, str) else ""
    if required and not value:
        raise ValidationFailed(message, field=field)
    if len(value) > max_length:
        label = Device._meta.get_field(field).verbose_name if field != "reason" else _("the reason")
        raise ValidationFailed(_("%(field)s: at most %(max)s characters.") % {"field": capfirst(label),
                                                                               "max": max_length}, field=field)
    return value


def _geometry(kind: str, geometry) -> dict:
    """A point for a device, a line for a fence segment (GeoJSON, longitude first)."""
    geometry = validation.geojson(geometry, field="geometry")
    wanted = "LineString" if kind == DeviceKind.FENCE else "Point"
    if geometry is None or geometry.get("type") != wanted:
        if kind == DeviceKind.FENCE:
            raise ValidationFailed(_("A fence segment is a line: give a GeoJSON LineString."), field="geometry")
        raise ValidationFailed(_("Give the device's position as a GeoJSON Point."), field="geometry")
    if wanted == "LineString" and len(geometry.get("coordinates") or []) < 2:
        raise ValidationFailed(_("A fence segment has two points or more."), field="geometry")
    return geometry


def _field_of_view(value) -> dict | None:
    value = validation.geojson(value, field="field_of_view")
    if value is not None and value.get("type") != "Polygon":
        raise ValidationFailed(_("A field of view is an area: give a GeoJSON Polygon."), field="field_of_view")
    return value


def _silent_after(value) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_SILENT:
        raise ValidationFailed(_("Silent after is 1 minute to 7 days, in minutes."), field="silent_after")
    return value


def _require_steward(actor: Principal, port: Port, facility: Facility | None, what: str) -> None:
    """A facility's devices: its operator; the port's own: an authority over the port."""
    require(actor, "controlroom.manage_devices")
    if actor.unrestricted:
        return
    if facility is not None and facility.operator_id == actor.organisation_id:
        return
    if port.pk in actor.jurisdiction_port_ids:
        return
    if facility is not None:
        raise PermissionRefused(_("Only the operator of %(facility)s or an authority over its port can %(what)s.")
                                % {"facility": facility.name, "what": what})
    raise PermissionRefused(_("Only an authority over %(port)s can %(what)s.") % {"port": port.name, "what": what})


def _tell(actor: Principal, code: str, device: Device, data: dict) -> None:
    emit(actor=actor, code=code, subject=device, organisation_id=device.owner_id, port_id=device.port_id,
         facility_id=device.facility_id, data={"code": device.code, **data})


@transaction.atomic
def device_register(
    *, actor: Principal, port: Port, kind: str, code: str, name: str, geometry: dict,
    facility: Facility | None = None, field_of_view: dict | None = None, external_name: str = "",
    silent_after: int = 15,
) -> Device:
    """Register a device at a facility (owned by its operator) or of the port itself
    (owned by the registering authority)."""
    if facility is not None and facility.port_id != port.pk:
        raise ValidationFailed(_("%(facility)s is not in %(port)s.") % {"facility": facility.name, "port": port.name},
                               field="facility")
    _require_steward(actor, port, facility, _("register its devices"))
    if kind not in DeviceKind.values:
        raise ValidationFailed(_("Choose the kind of device."), field="kind")
    code = _text(code, field="code", max_length=40, message=_("Give the device a code, e.g. F-12.")).upper()
    name = _text(name, field="name", max_length=120, message=_("Give the device a name operators recognise."))
    external_name = _text(external_name, field="external_name", max_length=120, message="", required=False)
    geometry = _geometry(kind, geometry)
    field_of_view = _field_of_view(field_of_view)
    silent_after = _silent_after(silent_after)
    if Device.objects.filter(port=port, code=code).exists():
        raise Conflict(_("%(port)s has a device %(code)s already.") % {"port": port.name, "code": code},
                       field="code")
    owner_id = facility.operator_id if facility is not None else actor.organisation_id
    device = Device.objects.create(
        port=port, facility=facility, owner_id=owner_id, kind=kind, code=code, name=name, geometry=geometry,
        field_of_view=field_of_view, external_name=external_name, silent_after=silent_after,
        created_at=clock.now())
    _tell(actor, "controlroom.device.registered", device, {
        "kind": kind, "name": name, "facility": facility.isps_number if facility is not None else None})
    return device


EDITABLE = ("name", "geometry", "field_of_view", "external_name", "silent_after")


@transaction.atomic
def device_update(*, actor: Principal, device: Device, **changes) -> Device:
    """Change what the registry says of a device (not its kind, code or place: retire it
    and register a new one)."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValidationFailed(_("These cannot be changed: %(fields)s.") % {"fields": ", ".join(sorted(unknown))})
    device = Device.objects.select_for_update(of=("self",)).select_related("port", "facility").get(pk=device.pk)
    _require_steward(actor, device.port, device.facility, _("change its devices"))
    if device.retired_at is not None:
        raise Conflict(_("%(code)s is retired: register a new device instead.") % {"code": device.code})
    clean = {
        "name": lambda v: _text(v, field="name", max_length=120, message=_("Give the device a name operators "
                                                                            "recognise.")),
        "geometry": lambda v: _geometry(device.kind, v),
        "field_of_view": _field_of_view,
        "external_name": lambda v: _text(v, field="external_name", max_length=120, message="", required=False),
        "silent_after": _silent_after,
    }
    changed = []
    for field, value in changes.items():
        value = clean[field](value)
        if getattr(device, field) != value:
            setattr(device, field, value)
            changed.append(field)
    if not changed:
        return device
    device.save(update_fields=changed)
    _tell(actor, "controlroom.device.updated", device, {"changes": sorted(changed)})
    return device


@transaction.atomic
def device_retire(*, actor: Principal, device: Device, reason: str) -> Device:
    """A device taken out of service: its events are refused from now on, its history kept."""
    device = Device.objects.select_for_update(of=("self",)).select_related("port", "facility").get(pk=device.pk)
    _require_steward(actor, device.port, device.facility, _("retire its devices"))
    reason = _text(reason, field="reason", max_length=300, message=_("Say why the device is retired."))
    if device.retired_at is not None:
        raise Conflict(_("%(code)s is retired already.") % {"code": device.code})
    device.retired_at = clock.now()
    device.save(update_fields=["retired_at"])
    _tell(actor, "controlroom.device.retired", device, {"reason": reason})
    return device


@transaction.atomic
def device_token_issue(
    *, actor: Principal, devices: list[Device], name: str, expires_at: datetime | None = None,
) -> tuple[ApiToken, str]:
    """A token that sends events for ``devices`` only (one device, or the many behind a
    gateway), all of one owner. The token is shown once; only its hash is kept."""
    require(actor, "controlroom.manage_devices")
    ids = list(dict.fromkeys(device.pk for device in devices))
    # Read again, locked: what the caller holds may be stale (retired since).
    devices = list(Device.objects.select_for_update(of=("self",)).select_related("port", "facility").filter(pk__in=ids)
                   .order_by("pk"))
    if not devices:
        raise ValidationFailed(_("Choose the devices the token sends events for."), field="devices")
    if len(devices) > MAX_DEVICES_PER_TOKEN:
        raise ValidationFailed(_("A token speaks for at most %(n)s devices.") % {"n": MAX_DEVICES_PER_TOKEN},
                               field="devices")
    owners = {device.owner_id for device in devices}
    if len(owners) > 1:
        raise ValidationFailed(_("A token speaks for the devices of one owner only."), field="devices")
    for device in devices:
        _require_steward(actor, device.port, device.facility, _("issue tokens for its devices"))
        if device.retired_at is not None:
            raise Conflict(_("%(code)s is retired: it sends no more events.") % {"code": device.code},
                           field="devices")
    token, raw = tokens.token_create(actor=actor, name=name, permissions=["controlroom.ingest"],
                                     expires_at=expires_at)
    DeviceCredential.objects.bulk_create([DeviceCredential(token=token, device=device) for device in devices])
    emit(actor=actor, code="controlroom.device.token_issued", subject=token, organisation_id=actor.organisation_id,
         port_id=devices[0].port_id, publish=False,
         data={"name": token.name, "prefix": token.prefix, "devices": sorted(d.code for d in devices)})
    return token, raw
