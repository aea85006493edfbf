"""Constants of the core app, each a class with translated labels."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class OrganisationKind(models.TextChoices):
    PORT_AUTHORITY = "port_authority", _("Port authority")
    FACILITY_OPERATOR = "facility_operator", _("Facility operator")
    COMPANY = "company", _("Company")
    TRANSPORT_COMPANY = "transport_company", _("Transport company")
    SHIPPING_LINE = "shipping_line", _("Shipping line or agent")
    FORWARDER = "forwarder", _("Forwarder")
    CUSTOMS = "customs", _("Customs")
    POLICE = "police", _("Police")
    MARITIME_AUTHORITY = "maritime_authority", _("Maritime authority")
    COMMITTEE = "committee", _("Committee")
    PLATFORM = "platform", _("Platform operator")


# Kinds of organisation that act as authorities: they may hold a jurisdiction over ports.
AUTHORITY_KINDS = frozenset(
    {
        OrganisationKind.PORT_AUTHORITY,
        OrganisationKind.CUSTOMS,
        OrganisationKind.POLICE,
        OrganisationKind.MARITIME_AUTHORITY,
        OrganisationKind.COMMITTEE,
    }
)


class Role(models.TextChoices):
    PLATFORM_ADMIN = "platform_admin", _("Platform administrator")
    PORT_SECURITY_OFFICER = "pso", _("Port security officer")
    FACILITY_SECURITY_OFFICER = "pfso", _("Facility security officer")
    CONTROL_ROOM_OPERATOR = "operator", _("Control-room operator")
    GATE_GUARD = "gate_guard", _("Gate guard")
    COMPANY_ACCESS_MANAGER = "access_manager", _("Company access manager")
    SHIPPING_AGENT = "shipping_agent", _("Shipping agent")
    FORWARDER = "forwarder", _("Forwarder")
    HAULIER_PLANNER = "haulier_planner", _("Haulier planner")
    DRIVER = "driver", _("Driver")
    AUTHORITY_INVESTIGATOR = "investigator", _("Authority investigator")
    COMMITTEE_MEMBER = "committee_member", _("Committee member")
    AUDITOR = "auditor", _("Auditor")


class SecurityLevel(models.IntegerChoices):
    NORMAL = 1, _("Security level 1 (normal)")
    HEIGHTENED = 2, _("Security level 2 (heightened)")
    EXCEPTIONAL = 3, _("Security level 3 (exceptional)")


class EventAudience(models.TextChoices):
    """How far a domain event may be seen, before per-user filtering."""

    ORGANISATION = "organisation", _("The owning organisation (and authorities over its port)")
    PORT = "port", _("Every organisation active in the port")
    PLATFORM = "platform", _("Platform administrators only")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed, will retry")
    GAVE_UP = "gave_up", _("Gave up")
