from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from havenwatch.core.choices import SecurityLevel
from havenwatch.core.tenancy import RestrictedQuerySet, Tenancy


class SecurityLevelChange(models.Model):
    """One raise or lowering of the ISPS security level, for a whole port or one facility.

    The history is never edited: the current level lives on the port or facility, and
    every change leaves a row here with who, when, scope and reason.
    """

    port = models.ForeignKey("core.Port", on_delete=models.PROTECT, related_name="level_changes",
                             verbose_name=_("port"))
    facility = models.ForeignKey(
        "core.Facility", on_delete=models.PROTECT, null=True, blank=True, related_name="level_changes",
        verbose_name=_("facility"), help_text=_("Empty when the change is for the whole port."),
    )
    level = models.PositiveSmallIntegerField(_("new level"), choices=SecurityLevel.choices)
    previous_level = models.PositiveSmallIntegerField(_("previous level"), choices=SecurityLevel.choices)
    reason = models.TextField(_("reason"))
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                               related_name="+", verbose_name=_("set by"))
    set_by_organisation = models.ForeignKey("core.Organisation", on_delete=models.PROTECT, null=True,
                                            related_name="+", verbose_name=_("set by organisation"))
    set_at = models.DateTimeField(_("set at"))

    objects = RestrictedQuerySet.as_manager()
    tenancy = Tenancy(
        org="set_by_organisation",
        port="port",
        jurisdiction_actions={"core.view_security_level"},
        port_member_actions={"core.view_security_level"},
    )

    class Meta:
        ordering = ["-set_at", "-pk"]
        verbose_name = _("security level change")
        verbose_name_plural = _("security level changes")
        constraints = [
            models.CheckConstraint(condition=models.Q(level__in=[1, 2, 3]),
                                   name="%(app_label)s_%(class)s_level_valid"),
        ]

    def __str__(self) -> str:
        scope = self.facility or self.port
        return f"{scope}: {self.previous_level} → {self.level}"

    @property
    def is_raise(self) -> bool:
        return self.level > self.previous_level


class SecurityLevelAcknowledgement(models.Model):
    """A facility confirming it has seen a level change and applies its measures.

    One row per (change, facility) is created when the change is made; it is
    acknowledged by filling ``acknowledged_at``.
    """

    change = models.ForeignKey(SecurityLevelChange, on_delete=models.PROTECT, related_name="acknowledgements",
                               verbose_name=_("change"))
    facility = models.ForeignKey("core.Facility", on_delete=models.PROTECT, related_name="level_acknowledgements",
                                 verbose_name=_("facility"))
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                                        blank=True, related_name="+", verbose_name=_("acknowledged by"))

    objects = RestrictedQuerySet.as_manager()
    tenancy = Tenancy(
        org="facility__operator",
        port="facility__port",
        jurisdiction_actions={"core.view_security_level"},
    )

    class Meta:
        ordering = ["change", "facility__name"]
        verbose_name = _("security level acknowledgement")
        verbose_name_plural = _("security level acknowledgements")
        constraints = [
            models.UniqueConstraint(fields=["change", "facility"], name="%(app_label)s_%(class)s_unique")
        ]

    def __str__(self) -> str:
        return f"{self.facility} · {self.change}"
