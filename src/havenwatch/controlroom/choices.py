"""The control room's choices."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class DeviceKind(models.TextChoices):
    FENCE = "fence", _("Fence segment")
    THERMAL_CAMERA = "thermal_camera", _("Thermal camera")
    CAMERA = "camera", _("Camera")
    PTZ_CAMERA = "ptz_camera", _("PTZ camera")
    ANPR_CAMERA = "anpr_camera", _("ANPR camera")
    DRONE_DETECTOR = "drone_detector", _("Drone detector")
    RADAR = "radar", _("Radar")
    DOOR_CONTACT = "door_contact", _("Door contact")
    PANIC_BUTTON = "panic_button", _("Panic button")
    ALARM_PANEL = "alarm_panel", _("Alarm panel")


CAMERAS = {DeviceKind.THERMAL_CAMERA, DeviceKind.CAMERA, DeviceKind.PTZ_CAMERA, DeviceKind.ANPR_CAMERA}
