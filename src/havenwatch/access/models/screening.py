from django.db import models
from django.utils.translation import gettext_lazy as _

from havenwatch.access.choices import RecordCheckResult, VerificationStatus
from havenwatch.core.tenancy import RestrictedQuerySet, Tenancy


class PortBan(models.Model):
    """A judge's ban of a person from all ports, or from listed ports (AIGIS).

    Only authorities see the file; companies and gates learn hit / no hit.
    """

    person = models.ForeignKey("access.Person", on_delete=models.PROTECT, related_name="bans",
                               verbose_name=_("person"))
    all_ports = models.BooleanField(_("all ports"), default=True)
    ports = models.ManyToManyField("core.Port", blank=True, related_name="bans", verbose_name=_("ports"))
    valid_from = models.DateTimeField(_("from"))
    valid_until = models.DateTimeField(_("until"))
    legal_reference = models.CharField(_("legal reference"), max_length=200)
    issued_by = models.ForeignKey("core.Organisation", on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("issued by"))
    issued_at = models.DateTimeField(_("issued"))
    lifted_at = models.DateTimeField(_("lifted"), null=True, blank=True)
    lifted_reason = models.CharField(_("reason for lifting"), max_length=300, blank=True)

    objects = RestrictedQuerySet.as_manager()
    tenancy = Tenancy(org="issued_by", global_actions={"access.manage_bans"})

    class Meta:
        ordering = ["-issued_at", "pk"]
        verbose_name = _("port ban")
        verbose_name_plural = _("port bans")
        constraints = [
            models.CheckConstraint(condition=models.Q(valid_until__gt=models.F("valid_from")),
                                   name="%(app_label)s_%(class)s_window_valid"),
        ]

    def __str__(self) -> str:
        return f"ban {self.person} ({self.legal_reference})"


class SecurityVerification(models.Model):
    """A security verification for a critical function (PANOPTES)."""

    person = models.ForeignKey("access.Person", on_delete=models.PROTECT, related_name="verifications",
                               verbose_name=_("person"))
    function = models.CharField(_("critical function"), max_length=120)
    status = models.CharField(_("status"), max_length=16, choices=VerificationStatus.choices,
                              default=VerificationStatus.REQUESTED)
    requested_by = models.ForeignKey("core.Organisation", on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("requested by"))
    requested_at = models.DateTimeField(_("requested"))
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()
    tenancy = Tenancy(org="requested_by", global_actions={"access.decide_verifications"})

    class Meta:
        ordering = ["-requested_at", "pk"]
        verbose_name = _("security verification")
        verbose_name_plural = _("security verifications")

    def __str__(self) -> str:
        return f"{self.person}: {self.function} ({self.status})"


class RecordCheck(models.Model):
    """An employer's check of a special criminal-record extract: the date and result only."""

    person = models.ForeignKey("access.Person", on_delete=models.PROTECT, related_name="record_checks",
                               verbose_name=_("person"))
    checked_on = models.DateField(_("checked on"))
    result = models.CharField(_("result"), max_length=16, choices=RecordCheckResult.choices)
    checked_by = models.ForeignKey("core.Organisation", on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("checked by"))

    objects = RestrictedQuerySet.as_manager()
    tenancy = Tenancy(org="checked_by")

    class Meta:
        ordering = ["-checked_on", "pk"]
        verbose_name = _("criminal-record extract check")
        verbose_name_plural = _("criminal-record extract checks")

    def __str__(self) -> str:
        return f"{self.person}: {self.result} ({self.checked_on})"


class TrainingRecord(models.Model):
    """A course a person completed (ISPS security awareness, dangerous goods...), valid until
    a date or for good. An authorisation can require a course; the gate checks it."""

    person = models.ForeignKey("access.Person", on_delete=models.PROTECT, related_name="trainings",
                               verbose_name=_("person"))
    course = models.CharField(_("course"), max_length=80)
    completed_on = models.DateField(_("completed on"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    recorded_by = models.ForeignKey("core.Organisation", on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("recorded by"))
    recorded_at = models.DateTimeField(_("recorded"))

    objects = RestrictedQuerySet.as_manager()
    tenancy = Tenancy(org="recorded_by")

    class Meta:
        ordering = ["person", "course", "-completed_on"]
        verbose_name = _("training record")
        verbose_name_plural = _("training records")
        indexes = [models.Index(fields=["person", "course"], name="access_training_person_idx")]

    def __str__(self) -> str:
        return f"{self.person}: {self.course} ({self.completed_on})"
