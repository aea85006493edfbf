"""Factories of the control room's rows."""

from __future__ import annotations

import factory

from havenwatch.controlroom.choices import DeviceKind
from havenwatch.controlroom.models import Device
from havenwatch.core import clock


class DeviceFactory(factory.django.DjangoModelFactory):
    """A thermal camera at a facility, owned by its operator."""

    class Meta:
        model = Device

    facility = None
    port = factory.LazyAttribute(lambda o: o.facility.port)
    owner = factory.LazyAttribute(lambda o: o.facility.operator)
    kind = DeviceKind.THERMAL_CAMERA
    code = factory.Sequence(lambda n: f"CAM-{n:03d}")
    name = factory.Sequence(lambda n: f"Thermal camera {n}")
    geometry = factory.LazyFunction(lambda: {"type": "Point", "coordinates": [4.3, 51.28]})
    created_at = factory.LazyFunction(clock.now)


def sender(actor, devices):
    """The principal of a device (or gateway) token for ``devices``, issued by ``actor``."""
    from havenwatch.controlroom.services.devices import device_token_issue
    from havenwatch.core.principal import principal_for_token

    devices = list(devices)
    token, _raw = device_token_issue(actor=actor, devices=devices, name=f"gateway {devices[0].code}")
    return principal_for_token(token)


def fence(facility, code="F-12", **fields):
    return DeviceFactory(facility=facility, kind=DeviceKind.FENCE, code=code, name=f"Fence {code}",
                         geometry={"type": "LineString", "coordinates": [[4.3000, 51.2800], [4.3010, 51.2800]]},
                         **fields)


def camera(facility, code="CAM-1", at=(4.3005, 51.2801), **fields):
    return DeviceFactory(facility=facility, code=code, geometry={"type": "Point", "coordinates": list(at)}, **fields)
