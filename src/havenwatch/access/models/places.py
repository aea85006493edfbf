from django.db import models
from django.utils.translation import gettext_lazy as _

from havenwatch.access.choices import AccessPointKind, Direction, LevelMode
from havenwatch.core.tenancy import RestrictedQuerySet, Tenancy


class Zone(models.Model):
    """A restricted area inside a facility, with its own access conditions."""

    facility = models.ForeignKey("core.Facility", on_delete=models.PROTECT, related_name="zones",
                                 verbose_name=_("facility"))
    code = models.CharField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=120)
    geometry = models.JSONField(_("outline (GeoJSON)"), null=True, blank=True)
    escort_required = models.BooleanField(_("escort required"), default=False)
    requires_verification = models.BooleanField(_("positive security verification required"), default=False)

    objects = RestrictedQuerySet.as_manager()
    tenancy = Tenancy(org="facility__operator", port="facility__port",
                      jurisdiction_actions={"access.view_zone"}, port_member_actions=set())

    class Meta:
        ordering = ["facility", "code"]
        verbose_name = _("zone")
        verbose_name_plural = _("zones")
        constraints = [
            models.UniqueConstraint(fields=["facility", "code"], name="%(app_label)s_%(class)s_unique_code")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.facility.name})"


class ZoneLevelRule(models.Model):
    """What a zone allows at one security level: open, only listed purposes, or closed."""

    zone = models.ForeignKey(Zone, on_delete=models.CASCADE, related_name="level_rules", verbose_name=_("zone"))
    level = models.PositiveSmallIntegerField(_("security level"))
    mode = models.CharField(_("mode"), max_length=16, choices=LevelMode.choices, default=LevelMode.OPEN)
    allowed_purposes = models.JSONField(_("allowed purposes"), default=list, blank=True)

    class Meta:
        ordering = ["zone", "level"]
        verbose_name = _("security level rule")
        verbose_name_plural = _("security level rules")
        constraints = [
            models.UniqueConstraint(fields=["zone", "level"], name="%(app_label)s_%(class)s_unique"),
            models.CheckConstraint(condition=models.Q(level__in=[1, 2, 3]),
                                   name="%(app_label)s_%(class)s_level_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.zone} SL{self.level}: {self.mode}"


class AccessPoint(models.Model):
    """A turnstile or gate on a zone's boundary."""

    zone = models.ForeignKey(Zone, on_delete=models.PROTECT, related_name="access_points", verbose_name=_("zone"))
    code = models.CharField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=16, choices=AccessPointKind.choices,
                            default=AccessPointKind.TURNSTILE)
    direction = models.CharField(_("direction"), max_length=8, choices=Direction.choices, default=Direction.BOTH)
    requires_biometric = models.BooleanField(_("biometric match required"), default=False)
    requires_plate = models.BooleanField(_("number plate (ANPR) required"), default=False)
    open_at_levels = models.JSONField(_("open at security levels"), default=list)
    anti_passback = models.BooleanField(_("anti-passback"), default=True)
    position = models.JSONField(_("position (GeoJSON point)"), null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()
    tenancy = Tenancy(org="zone__facility__operator", port="zone__facility__port",
                      jurisdiction_actions={"access.view_zone"})

    class Meta:
        ordering = ["zone", "code"]
        verbose_name = _("access point")
        verbose_name_plural = _("access points")
        constraints = [
            models.UniqueConstraint(fields=["zone", "code"], name="%(app_label)s_%(class)s_unique_code")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.zone.facility.name})"
