"""Anonymous reporting's permissions and the roles that hold them.

Reading a report takes more than a permission: the person must be one of the channel's
recipients and unlock their key. ``reporting.receive`` only says who may be made one.
"""

from django.utils.translation import gettext_lazy as _

from havenwatch.core.choices import Role as R
from havenwatch.core.permissions import register

register("reporting.view_channel", _("See the organisation's reporting channels and their recipients"),
         roles=[R.PORT_SECURITY_OFFICER, R.AUTHORITY_INVESTIGATOR, R.AUDITOR])
register("reporting.manage_channels", _("Open reporting channels, set their questionnaire, recipients and retention"),
         roles=[R.PORT_SECURITY_OFFICER], token_grantable=False)
register("reporting.receive", _("Be a recipient of anonymous reports: read, triage, answer and forward them"),
         roles=[R.PORT_SECURITY_OFFICER, R.AUTHORITY_INVESTIGATOR], token_grantable=False)
register("reporting.view_statistics", _("See anonymised statistics of reports"),
         roles=[R.PORT_SECURITY_OFFICER, R.AUTHORITY_INVESTIGATOR, R.COMMITTEE_MEMBER, R.AUDITOR])
