"""The control room's event types."""

from django.utils.translation import gettext_lazy as _

from havenwatch.core.event_types import register

register("controlroom.device.registered", _("Device registered"), fields=("code", "kind", "name", "facility"))
register("controlroom.device.updated", _("Device changed"), fields=("code", "changes"))
register("controlroom.device.retired", _("Device retired"), fields=("code", "reason"))
register("controlroom.device.token_issued", _("Device token issued"), fields=("name", "prefix", "devices"))

ALARM = ("alarm", "state")
register("controlroom.alarm.raised", _("Alarm raised"),
         fields=("alarm", "rule", "version", "title", "priority", "state", "count", "device", "position", "facility",
                 "last_event_at"))
register("controlroom.alarm.updated", _("Alarm repeated"),
         fields=("alarm", "rule", "version", "title", "priority", "state", "count", "device", "position", "facility",
                 "last_event_at"))
register("controlroom.alarm.acknowledged", _("Alarm acknowledged"), fields=(*ALARM, "late"))
register("controlroom.alarm.started", _("Alarm in progress"), fields=ALARM)
register("controlroom.alarm.noted", _("Note on an alarm"), fields=ALARM)
register("controlroom.alarm.step_done", _("Procedure step done"), fields=(*ALARM, "step"))
register("controlroom.alarm.step_skipped", _("Procedure step skipped"), fields=(*ALARM, "step", "reason"))
register("controlroom.alarm.assigned", _("Alarm assigned"), fields=(*ALARM, "assignee"))
register("controlroom.alarm.escalated", _("Alarm escalated"), fields=(*ALARM, "level"))
register("controlroom.alarm.resolved", _("Alarm resolved"), fields=(*ALARM, "reason"))
register("controlroom.alarm.false_alarm", _("Alarm closed as false"), fields=(*ALARM, "reason"))
register("controlroom.rule.saved", _("Control-room rule saved"), fields=("code", "version", "status", "note"))
register("controlroom.sop.saved", _("Procedure saved"), fields=("code", "version", "steps"))
register("controlroom.watchlist.changed", _("Watch list changed"),
         fields=("code", "added", "removed", "note"), digest_fields=())
INCIDENT = ("incident", "state")
register("controlroom.incident.opened", _("Incident opened"), fields=(*INCIDENT, "title", "alarms", "facility"))
register("controlroom.incident.alarm_linked", _("Alarm linked to an incident"), fields=(*INCIDENT, "alarm"))
register("controlroom.incident.noted", _("Note on an incident"), fields=INCIDENT)
register("controlroom.incident.party_added", _("Involved party added to an incident"), fields=(*INCIDENT, "kind"),
         digest_fields=("value",))
register("controlroom.incident.attached", _("Attachment added to an incident"),
         fields=(*INCIDENT, "name", "content_type", "size", "sha256"))
register("controlroom.incident.closed", _("Incident closed"), fields=INCIDENT, digest_fields=("report",))
register("controlroom.alarm.notify", _("People told of an alarm"), fields=("alarm", "kind", "recipients"))
