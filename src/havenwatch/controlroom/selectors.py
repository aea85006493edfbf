"""What the control room's readers ask of the registry."""

from __future__ import annotations

from django.db.models import QuerySet

from havenwatch.controlroom.models import Device
from havenwatch.core.principal import Principal


def device_list(*, principal: Principal) -> QuerySet[Device]:
    """Devices the principal may see: its organisation's, and every device of the ports it
    has a jurisdiction over (the port's control room sees the whole port)."""
    return Device.objects.restrict(principal, "controlroom.view_device").select_related("port", "facility", "owner")


def managed_devices(*, principal: Principal) -> QuerySet[Device]:
    """Devices the principal may act on (the service still says whether it may do this act)."""
    return Device.objects.restrict(principal, "controlroom.manage_devices").select_related("port", "facility")
