from django.db import models
from django.utils.translation import gettext_lazy as _

from havenwatch.core.tenancy import RestrictedQuerySet, Tenancy
from havenwatch.release.choices import AssignmentStatus


class DriverAssignment(models.Model):
    """The haulier holding the right names the one driver (by credential), the truck and
    the time slot for the pickup. Only that driver can pick the container up."""

    release = models.ForeignKey("release.CommercialRelease", on_delete=models.PROTECT, related_name="assignments",
                                verbose_name=_("release"))
    haulier = models.ForeignKey("core.Organisation", on_delete=models.PROTECT, related_name="driver_assignments",
                                verbose_name=_("haulier"))
    credential = models.ForeignKey("access.Credential", on_delete=models.PROTECT, related_name="pickup_assignments",
                                   verbose_name=_("driver's credential"))
    plate = models.CharField(_("truck plate"), max_length=24)
    slot_start = models.DateTimeField(_("slot from"))
    slot_end = models.DateTimeField(_("slot until"))
    status = models.CharField(_("status"), max_length=16, choices=AssignmentStatus.choices,
                              default=AssignmentStatus.ACTIVE, db_index=True)
    cancelled_reason = models.CharField(_("reason of the cancellation"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("assigned"))
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()
    tenancy = Tenancy(org="haulier", port="release__container__terminal__port",
                      jurisdiction_actions={"release.view_release"})

    class Meta:
        ordering = ["-created_at", "pk"]
        verbose_name = _("driver assignment")
        verbose_name_plural = _("driver assignments")
        constraints = [
            models.UniqueConstraint(fields=["release"], condition=models.Q(status="active"),
                                    name="%(app_label)s_%(class)s_one_active"),
            models.CheckConstraint(condition=models.Q(slot_end__gt=models.F("slot_start")),
                                   name="%(app_label)s_%(class)s_slot_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.release}: {self.credential} {self.plate}"


class PickupAttempt(models.Model):
    """Every pickup decision at a terminal gate, granted or not (never deleted)."""

    occurred_at = models.DateTimeField(_("at"), db_index=True)
    terminal = models.ForeignKey("core.Facility", on_delete=models.PROTECT, related_name="pickup_attempts",
                                 verbose_name=_("terminal"))
    container_number = models.CharField(_("container presented"), max_length=20)
    container = models.ForeignKey("release.Container", on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="pickup_attempts", verbose_name=_("container"))
    release = models.ForeignKey("release.CommercialRelease", on_delete=models.PROTECT, null=True, blank=True,
                                related_name="pickup_attempts", verbose_name=_("release"))
    presented = models.CharField(_("credential presented"), max_length=60, blank=True)
    credential = models.ForeignKey("access.Credential", on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("credential"))
    plate = models.CharField(_("plate read"), max_length=24, blank=True)
    granted = models.BooleanField(_("granted"))
    reasons = models.JSONField(_("reasons"), default=list)
    actor = models.CharField(_("asked by"), max_length=160)
    override_of = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True,
                                       related_name="overridden_by", verbose_name=_("override of"))
    override_reason = models.CharField(_("reason of the override"), max_length=300, blank=True)

    objects = RestrictedQuerySet.as_manager()
    tenancy = Tenancy(org="terminal__operator", port="terminal__port",
                      jurisdiction_actions={"release.view_release"})

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        verbose_name = _("pickup attempt")
        verbose_name_plural = _("pickup attempts")

    def __str__(self) -> str:
        return f"{self.container_number} {'granted' if self.granted else 'refused'}"
