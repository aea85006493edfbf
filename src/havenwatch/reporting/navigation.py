"""Anonymous reporting's place in the menu."""

from django.utils.translation import gettext_lazy as _

from havenwatch.core.navigation import register

REPORTING = _("Reporting")

register(REPORTING, _("Reports"), "reporting:inbox", "reporting.receive", order=90)
register(REPORTING, _("Statistics"), "reporting:statistics", "reporting.view_statistics", order=91)
register(REPORTING, _("Channels"), "reporting:channels", "reporting.view_channel", order=92)
register(REPORTING, _("My reporting key"), "reporting:key", "reporting.receive", order=93)
