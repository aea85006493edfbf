"""The access app's menu entries."""

from django.utils.translation import gettext_lazy as _

from havenwatch.core.navigation import register

ACCESS = _("Access")

register(ACCESS, _("Gate"), "access:gate", "access.decide", order=50)
register(ACCESS, _("Access events"), "access:events", "access.view_events", order=51)
register(ACCESS, _("Who is inside"), "access:inside", "access.view_presence", order=52)
register(ACCESS, _("Visits"), "access:visits", "access.view_visit", order=53)
register(ACCESS, _("People and credentials"), "access:people", "access.view_person", order=54)
register(ACCESS, _("Vehicles"), "access:vehicles", "access.view_person", order=55)
register(ACCESS, _("Zones and access points"), "access:zones", "access.view_zone", order=56)
register(ACCESS, _("Authorisations"), "access:authorisations", "access.view_authorisation", order=57)
register(ACCESS, _("Facility activations"), "access:enrolments", "access.activate_credentials", order=58)
register(ACCESS, _("Visit announcers"), "access:announcers", "access.approve_visits", order=59)
register(ACCESS, _("Port bans"), "access:bans", "access.manage_bans", order=60)
register(ACCESS, _("Ban check"), "access:ban_check", "access.check_ban", order=61)
register(ACCESS, _("Security verifications"), "access:verifications", "access.view_person", order=62)
