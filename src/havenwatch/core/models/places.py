from django.db import models
from django.utils.translation import gettext_lazy as _

from havenwatch.core.choices import SecurityLevel
from havenwatch.core.tenancy import RestrictedQuerySet, Tenancy


class Port(models.Model):
    """A seaport or inland port, identified by its UN/LOCODE (e.g. BEANR for Antwerp)."""

    name = models.CharField(_("name"), max_length=120)
    unlocode = models.CharField(_("UN/LOCODE"), max_length=5, unique=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Europe/Brussels")
    authority = models.ForeignKey(
        "core.Organisation",
        on_delete=models.PROTECT,
        related_name="ports",
        verbose_name=_("port authority"),
    )
    boundary = models.JSONField(_("boundary (GeoJSON)"), null=True, blank=True)
    security_level = models.PositiveSmallIntegerField(
        _("security level"), choices=SecurityLevel.choices, default=SecurityLevel.NORMAL
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = RestrictedQuerySet.as_manager()
    # Ports are reference data: every member of the platform may see them.
    tenancy = Tenancy(
        org="authority",
        port="pk",
        global_actions={"core.view_port"},
        jurisdiction_actions={"core.change_security_level"},
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("port")
        verbose_name_plural = _("ports")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(security_level__in=[1, 2, 3]),
                name="%(app_label)s_%(class)s_security_level_valid",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.unlocode})"


class Facility(models.Model):
    """An ISPS port facility: where ship and port interface (a terminal, a lock, a cruise terminal)."""

    name = models.CharField(_("name"), max_length=160)
    isps_number = models.CharField(_("ISPS facility number"), max_length=32, unique=True)
    port = models.ForeignKey(Port, on_delete=models.PROTECT, related_name="facilities", verbose_name=_("port"))
    operator = models.ForeignKey(
        "core.Organisation",
        on_delete=models.PROTECT,
        related_name="facilities",
        verbose_name=_("operator"),
    )
    geometry = models.JSONField(_("outline (GeoJSON)"), null=True, blank=True)
    security_level = models.PositiveSmallIntegerField(
        _("facility security level"),
        choices=SecurityLevel.choices,
        default=SecurityLevel.NORMAL,
        help_text=_("May be above the port's level, never below it."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = RestrictedQuerySet.as_manager()
    tenancy = Tenancy(
        org="operator",
        port="port",
        jurisdiction_actions={"core.view_facility", "core.manage_facility", "core.change_security_level"},
        port_member_actions={"core.view_facility"},
    )

    class Meta:
        ordering = ["port__name", "name"]
        verbose_name = _("port facility")
        verbose_name_plural = _("port facilities")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(security_level__in=[1, 2, 3]),
                name="%(app_label)s_%(class)s_security_level_valid",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.isps_number})"

    @property
    def effective_security_level(self) -> int:
        """The level in force at the facility: its own, or the port's if that is higher."""
        return max(self.security_level, self.port.security_level)
