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
