from havenwatch.controlroom.models.alarms import Alarm, AlarmEntry, AlarmEvent, OperatorPost, Sop
from havenwatch.controlroom.models.devices import Device, DeviceCredential
from havenwatch.controlroom.models.events import SensorEvent, Snapshot
from havenwatch.controlroom.models.incidents import (
    Incident,
    IncidentAlarm,
    IncidentAttachment,
    IncidentEntry,
    IncidentParty,
)
from havenwatch.controlroom.models.rules import Rule, RuleVersion, Watchlist, WatchlistEntry

__all__ = ["Alarm", "AlarmEntry", "AlarmEvent", "Device", "DeviceCredential", "Incident", "IncidentAlarm",
           "IncidentAttachment", "IncidentEntry", "IncidentParty", "OperatorPost", "Rule", "RuleVersion", "SensorEvent",
           "Snapshot", "Sop", "Watchlist", "WatchlistEntry"]
