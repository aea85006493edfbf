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
    PLATFORM = "platform", _("Platform source (a gate, a terminal's pickups)")


CAMERAS = {DeviceKind.THERMAL_CAMERA, DeviceKind.CAMERA, DeviceKind.PTZ_CAMERA, DeviceKind.ANPR_CAMERA}


class AlarmState(models.TextChoices):
    NEW = "new", _("New")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    IN_PROGRESS = "in_progress", _("In progress")
    RESOLVED = "resolved", _("Resolved")
    FALSE_ALARM = "false_alarm", _("False alarm")


OPEN_STATES = (AlarmState.NEW, AlarmState.ACKNOWLEDGED, AlarmState.IN_PROGRESS)
CLOSED_STATES = (AlarmState.RESOLVED, AlarmState.FALSE_ALARM)


class AlarmEntryKind(models.TextChoices):
    RAISED = "raised", _("Raised")
    DISPATCHED = "dispatched", _("Dispatched")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    STARTED = "started", _("Work started")
    NOTE = "note", _("Note")
    STEP_DONE = "step_done", _("Step done")
    STEP_SKIPPED = "step_skipped", _("Step skipped")
    ESCALATED = "escalated", _("Escalated")
    ASSIGNED = "assigned", _("Assigned")
    RESOLVED = "resolved", _("Resolved")
    FALSE_ALARM = "false_alarm", _("Closed as a false alarm")


class RuleStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    DRAFT = "draft", _("Draft")
    RETIRED = "retired", _("Retired")
