"""The control room's place in the menu (an entry whose page is not there is skipped)."""

from django.utils.translation import gettext_lazy as _

from havenwatch.core.navigation import register

CONTROL_ROOM = _("Control room")

register(CONTROL_ROOM, _("Operator's screen"), "controlroom:screen", "controlroom.view_alarm", order=80)
register(CONTROL_ROOM, _("Wall screen"), "controlroom:wall", "controlroom.view_alarm", order=81)
register(CONTROL_ROOM, _("Alarms"), "controlroom:alarms", "controlroom.view_alarm", order=82)
register(CONTROL_ROOM, _("Incidents"), "controlroom:incidents", "controlroom.view_alarm", order=83)
register(CONTROL_ROOM, _("Devices"), "controlroom:devices", "controlroom.view_device", order=84)
register(CONTROL_ROOM, _("Rules"), "controlroom:rules", "controlroom.view_rules", order=85)
register(CONTROL_ROOM, _("Procedures"), "controlroom:sops", "controlroom.view_rules", order=86)
register(CONTROL_ROOM, _("Watch lists"), "controlroom:watchlists", "controlroom.view_rules", order=87)
