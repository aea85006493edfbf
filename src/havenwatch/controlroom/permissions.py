"""The control room's permissions and the roles that hold them."""

from django.utils.translation import gettext_lazy as _

from havenwatch.core.choices import Role as R
from havenwatch.core.permissions import register

register("controlroom.view_device", _("See the control room's devices"),
         roles=[R.PORT_SECURITY_OFFICER, R.FACILITY_SECURITY_OFFICER, R.CONTROL_ROOM_OPERATOR, R.AUDITOR])
register("controlroom.manage_devices", _("Register, change and retire devices, and issue their tokens"),
         roles=[R.PORT_SECURITY_OFFICER, R.FACILITY_SECURITY_OFFICER], token_grantable=False)
register("controlroom.ingest", _("Send sensor events (devices and their gateways)"),
         roles=[R.PORT_SECURITY_OFFICER, R.FACILITY_SECURITY_OFFICER])
register("controlroom.view_alarm", _("See the control room's alarms and the events behind them"),
         roles=[R.PORT_SECURITY_OFFICER, R.FACILITY_SECURITY_OFFICER, R.CONTROL_ROOM_OPERATOR, R.AUDITOR,
                R.AUTHORITY_INVESTIGATOR])
register("controlroom.work_alarm", _("Acknowledge, work and close alarms"),
         roles=[R.PORT_SECURITY_OFFICER, R.FACILITY_SECURITY_OFFICER, R.CONTROL_ROOM_OPERATOR])
register("controlroom.view_rules", _("Read the control room's rules, procedures and watch lists"),
         roles=[R.PORT_SECURITY_OFFICER, R.FACILITY_SECURITY_OFFICER, R.CONTROL_ROOM_OPERATOR, R.AUDITOR])
register("controlroom.manage_rules", _("Write rules, procedures, watch lists and operator posts"),
         roles=[R.PORT_SECURITY_OFFICER, R.FACILITY_SECURITY_OFFICER], token_grantable=False)
