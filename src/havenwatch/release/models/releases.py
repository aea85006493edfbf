from django.db import models
from django.utils.translation import gettext_lazy as _

from havenwatch.core.tenancy import RestrictedQuerySet, Tenancy
from havenwatch.release.choices import ReleaseStatus


class CommercialRelease(models.Model):
    """The shipping line's release of a container to a first release party, for a period.

    One live release (active or blocked) per container; a withdrawn release is replaced by
    its reissue (``replaces``), a revoked one ends the chain.
    """

    container = models.ForeignKey("release.Container", on_delete=models.PROTECT, related_name="releases",
                                  verbose_name=_("container"))
    shipping_line = models.ForeignKey("core.Organisation", on_delete=models.PROTECT, related_name="issued_releases",
                                      verbose_name=_("shipping line"))
    bill_of_lading = models.CharField(_("bill of lading"), max_length=35)
    first_party = models.ForeignKey("core.Organisation", on_delete=models.PROTECT, related_name="first_releases",
                                    verbose_name=_("first release party"))
    valid_from = models.DateTimeField(_("valid from"))
    valid_until = models.DateTimeField(_("valid until"))
    status = models.CharField(_("status"), max_length=16, choices=ReleaseStatus.choices,
                              default=ReleaseStatus.ACTIVE, db_index=True)
    status_reason = models.CharField(_("reason of the status"), max_length=300, blank=True)
    replaces = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="reissued_as", verbose_name=_("reissue of"))
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("issued"))
    updated_at = models.DateTimeField(_("updated"))

    objects = RestrictedQuerySet.as_manager()
    tenancy = Tenancy(org="shipping_line", port="container__terminal__port",
                      jurisdiction_actions={"release.view_release", "release.hold"})

    class Meta:
        ordering = ["-created_at", "pk"]
        verbose_name = _("commercial release")
        verbose_name_plural = _("commercial releases")
        constraints = [
            models.UniqueConstraint(fields=["container"],
                                    condition=models.Q(status__in=["active", "blocked"]),
                                    name="%(app_label)s_%(class)s_one_live"),
            models.CheckConstraint(condition=models.Q(valid_until__gt=models.F("valid_from")),
                                   name="%(app_label)s_%(class)s_window_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.container} ({self.bill_of_lading})"
