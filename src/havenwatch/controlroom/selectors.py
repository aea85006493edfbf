"""What the control room's readers ask of the registry."""

from __future__ import annotations

from django.db.models import QuerySet

from havenwatch.controlroom.choices import OPEN_STATES
from havenwatch.controlroom.models import Alarm, AlarmEvent, Device, Rule, SensorEvent, Sop, Watchlist
from havenwatch.core.principal import Principal


def device_list(*, principal: Principal) -> QuerySet[Device]:
    """Devices the principal may see: its organisation's, and every device of the ports it
    has a jurisdiction over (the port's control room sees the whole port)."""
    return Device.objects.restrict(principal, "controlroom.view_device").select_related("port", "facility", "owner")


def managed_devices(*, principal: Principal) -> QuerySet[Device]:
    """Devices the principal may act on (the service still says whether it may do this act)."""
    return Device.objects.restrict(principal, "controlroom.manage_devices").select_related("port", "facility")


def alarm_list(*, principal: Principal) -> QuerySet[Alarm]:
    """Alarms the principal may see: its organisation's, and every alarm of the ports it
    holds a jurisdiction over (the port's control room sees the whole port)."""
    return Alarm.objects.restrict(principal, "controlroom.view_alarm").select_related(
        "port", "facility", "device", "assignee")


def workable_alarms(*, principal: Principal) -> QuerySet[Alarm]:
    return Alarm.objects.restrict(principal, "controlroom.work_alarm").select_related("port", "facility", "device")


def alarm_queue(*, principal: Principal) -> QuerySet[Alarm]:
    """The open alarms, most urgent first: priority, then the oldest unacknowledged."""
    return alarm_list(principal=principal).filter(state__in=OPEN_STATES).order_by("priority", "raised_at", "id")


def alarm_events(*, principal: Principal, alarm: Alarm) -> QuerySet[SensorEvent]:
    """The events behind an alarm (the alarm is visible; its events are shown with it)."""
    return SensorEvent.objects.filter(pk__in=AlarmEvent.objects.filter(alarm=alarm).values("event_id")).select_related(
        "device").order_by("occurred_at", "id")


def event_list(*, principal: Principal) -> QuerySet[SensorEvent]:
    return SensorEvent.objects.restrict(principal, "controlroom.view_alarm").select_related("device")


def rule_list(*, principal: Principal) -> QuerySet[Rule]:
    return Rule.objects.restrict(principal, "controlroom.view_rules").select_related("port", "facility")


def sop_list(*, principal: Principal) -> QuerySet[Sop]:
    return Sop.objects.restrict(principal, "controlroom.view_rules").select_related("port")


def watchlist_list(*, principal: Principal) -> QuerySet[Watchlist]:
    return Watchlist.objects.restrict(principal, "controlroom.view_rules").select_related("port")
