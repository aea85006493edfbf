"""The access app's permissions and the roles that hold them."""

from django.utils.translation import gettext_lazy as _

from havenwatch.core.choices import Role as R
from havenwatch.core.permissions import register

MANAGERS = [R.COMPANY_ACCESS_MANAGER, R.FACILITY_SECURITY_OFFICER]
SECURITY = [R.PORT_SECURITY_OFFICER, R.FACILITY_SECURITY_OFFICER, R.CONTROL_ROOM_OPERATOR]

register("access.view_person", _("See people and their credentials"),
         roles=[*MANAGERS, R.PORT_SECURITY_OFFICER, R.GATE_GUARD, R.AUTHORITY_INVESTIGATOR])
register("access.manage_people", _("Register people and issue credentials"), roles=MANAGERS, token_grantable=False)
register("access.screen_people", _("Look up anyone to screen them (authorities)"),
         roles=[R.AUTHORITY_INVESTIGATOR], token_grantable=False)
register("access.view_credential", _("See credentials"),
         roles=[*MANAGERS, *SECURITY, R.GATE_GUARD, R.AUTHORITY_INVESTIGATOR])
register("access.activate_credentials", _("Activate credentials at a facility"),
         roles=[R.FACILITY_SECURITY_OFFICER], token_grantable=False)
register("access.view_zone", _("See zones and access points"),
         roles=[*SECURITY, R.GATE_GUARD, R.AUTHORITY_INVESTIGATOR, R.AUDITOR])
register("access.manage_zones", _("Create zones and access points"), roles=[R.FACILITY_SECURITY_OFFICER],
         token_grantable=False)
register("access.view_authorisation", _("See authorisations"),
         roles=[*SECURITY, R.COMPANY_ACCESS_MANAGER, R.AUDITOR])
register("access.manage_authorisations", _("Grant and revoke authorisations"), roles=[R.FACILITY_SECURITY_OFFICER],
         token_grantable=False)
register("access.manage_bans", _("Issue and lift port bans"), roles=[R.AUTHORITY_INVESTIGATOR],
         token_grantable=False)
register("access.check_ban", _("Check a person against port bans (hit / no hit)"),
         roles=[*MANAGERS, R.PORT_SECURITY_OFFICER, R.GATE_GUARD])
register("access.request_verifications", _("Request security verifications"), roles=MANAGERS)
register("access.decide_verifications", _("Decide security verifications (authorities)"),
         roles=[R.AUTHORITY_INVESTIGATOR], token_grantable=False)
register("access.record_checks", _("Record criminal-record extract checks"), roles=[R.COMPANY_ACCESS_MANAGER])
register("access.record_training", _("Record the courses people completed"), roles=MANAGERS)
register("access.announce_visits", _("Announce visitors"),
         roles=[*MANAGERS, R.SHIPPING_AGENT, R.FORWARDER, R.HAULIER_PLANNER])
register("access.view_visit", _("See visits"),
         roles=[*MANAGERS, R.SHIPPING_AGENT, R.FORWARDER, R.HAULIER_PLANNER, R.PORT_SECURITY_OFFICER,
                R.GATE_GUARD, R.CONTROL_ROOM_OPERATOR])
register("access.approve_visits",
         _("Approve or reject visits (the facility's approver; a ship's agent for its ship calls)"),
         roles=[R.FACILITY_SECURITY_OFFICER, R.SHIPPING_AGENT])
register("access.decide", _("Ask for gate decisions (gate controllers, the guard's gate screen)"),
         roles=[R.GATE_GUARD, R.FACILITY_SECURITY_OFFICER])
register("access.override", _("Override a gate decision, with a reason"),
         roles=[R.GATE_GUARD, R.FACILITY_SECURITY_OFFICER], token_grantable=False)
register("access.view_events", _("See access events"),
         roles=[*SECURITY, R.GATE_GUARD, R.AUTHORITY_INVESTIGATOR, R.AUDITOR])
register("access.view_presence", _("See who is inside (mustering)"), roles=[*SECURITY, R.GATE_GUARD])
