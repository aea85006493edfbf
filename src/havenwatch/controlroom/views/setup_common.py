"""What the officers' control-room pages share: where an officer may place devices and
write rules (to offer the right choices; the services decide), and the time zone a page
shows and reads times in."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from havenwatch.core import selectors as core_selectors
from havenwatch.core.models import Facility, Port
from havenwatch.core.principal import Principal


def writable_ports(principal: Principal) -> QuerySet[Port]:
    """The ports whose own devices, rules, procedures and watch lists the principal keeps:
    those its organisation is an authority over (every port for the platform)."""
    return core_selectors.ports_in_jurisdiction(principal=principal).order_by("name")


def steward_facilities(principal: Principal) -> QuerySet[Facility]:
    """The active facilities whose devices and rules the principal keeps: those its
    organisation runs, and those of the ports it is an authority over."""
    facilities = core_selectors.facility_list(principal=principal).filter(is_active=True)
    if not principal.unrestricted:
        facilities = facilities.filter(Q(operator_id=principal.organisation_id)
                                       | Q(port_id__in=sorted(principal.jurisdiction_port_ids)))
    return facilities.order_by("port__name", "name")


def areas(principal: Principal) -> list:
    """The areas a rule may be written for, grouped for a select: whole ports, then facilities."""
    ports = [(f"port:{p.pk}", p.name, p) for p in writable_ports(principal)]
    facilities = [(f"facility:{f.pk}", f"{f.name} · {f.port.name}", f) for f in steward_facilities(principal)]
    return [group for group in ((_("Whole port"), ports), (_("One facility"), facilities)) if group[1]]


def common_time_zone(ports) -> str:
    """The one time zone of these ports, else the platform's."""
    zones = {port.time_zone for port in ports}
    return zones.pop() if len(zones) == 1 else settings.TIME_ZONE
