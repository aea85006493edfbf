"""The access app's menu entries."""

from django.utils.translation import gettext_lazy as _

from havenwatch.core.navigation import register

ACCESS = _("Access")

register(ACCESS, _("Gate"), "access:gate", "access.decide", order=50)
register(ACCESS, _("Access events"), "access:events", "access.view_events", order=51)
register(ACCESS, _("Who is inside"), "access:inside", "access.view_presence", order=52)
register(ACCESS, _("Visits"), "access:visits", "access.view_visit", order=53)
