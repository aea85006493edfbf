from havenwatch.controlroom.models.devices import Device, DeviceCredential

__all__ = ["Device", "DeviceCredential"]
