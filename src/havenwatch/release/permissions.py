"""The release app's permissions and the roles that hold them."""

from django.utils.translation import gettext_lazy as _

from havenwatch.core.choices import Role as R
from havenwatch.core.permissions import register

register("release.view_release", _("See container releases"),
         roles=[R.SHIPPING_AGENT, R.FORWARDER, R.HAULIER_PLANNER, R.FACILITY_SECURITY_OFFICER, R.GATE_GUARD,
                R.PORT_SECURITY_OFFICER, R.CONTROL_ROOM_OPERATOR, R.AUTHORITY_INVESTIGATOR, R.AUDITOR])
register("release.issue", _("Issue, update, block and revoke commercial releases (shipping lines)"),
         roles=[R.SHIPPING_AGENT])
register("release.hold", _("Hold a container and release the hold (customs)"), roles=[R.AUTHORITY_INVESTIGATOR],
         token_grantable=False)
register("release.confirm_discharge", _("Confirm a container's discharge (terminals)"),
         roles=[R.FACILITY_SECURITY_OFFICER])
register("release.transfer", _("Accept, decline, pass on and take back release rights"),
         roles=[R.SHIPPING_AGENT, R.FORWARDER, R.HAULIER_PLANNER])
register("release.assign", _("Assign a driver, a truck and a slot to a release (hauliers)"),
         roles=[R.HAULIER_PLANNER])
register("release.pickup", _("Decide container pickups at the terminal gate"),
         roles=[R.GATE_GUARD, R.FACILITY_SECURITY_OFFICER])
register("release.override", _("Let a refused pickup through, with a reason (terminals)"),
         roles=[R.FACILITY_SECURITY_OFFICER], token_grantable=False)
register("release.trace", _("Read a container's full chain of custody (investigators, auditors)"),
         roles=[R.AUTHORITY_INVESTIGATOR, R.PORT_SECURITY_OFFICER, R.AUDITOR], token_grantable=False)
