from django.db import models
from django.utils.translation import gettext_lazy as _

from havenwatch.core.tenancy import RestrictedQuerySet, Tenancy
from havenwatch.release.choices import RightStatus


class ReleaseRight(models.Model):
    """One link of a release's chain: the right to collect the container, offered to a party
    by the party before it (the first by the shipping line), accepted or declined.

    A release has at most one holder at a time (one right ``held``); ``parent`` is the link
    before. A right offered and not yet accepted leaves the sender holding its own.
    """

    release = models.ForeignKey("release.CommercialRelease", on_delete=models.PROTECT, related_name="rights",
                                verbose_name=_("release"))
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="children",
                               verbose_name=_("passed on from"))
    holder = models.ForeignKey("core.Organisation", on_delete=models.PROTECT, related_name="release_rights",
                               verbose_name=_("holder"))
    offered_by = models.ForeignKey("core.Organisation", on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("offered by"))
    status = models.CharField(_("status"), max_length=16, choices=RightStatus.choices, default=RightStatus.OFFERED,
                              db_index=True)
    offered_at = models.DateTimeField(_("offered"))
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)

    objects = RestrictedQuerySet.as_manager()
    tenancy = Tenancy(org="holder", port="release__container__terminal__port",
                      jurisdiction_actions={"release.view_release"})

    class Meta:
        ordering = ["release", "offered_at", "pk"]
        verbose_name = _("release right")
        verbose_name_plural = _("release rights")
        constraints = [
            models.UniqueConstraint(fields=["release"], condition=models.Q(status="held"),
                                    name="%(app_label)s_%(class)s_one_holder"),
            models.UniqueConstraint(fields=["release"], condition=models.Q(status="offered"),
                                    name="%(app_label)s_%(class)s_one_open_offer"),
        ]

    def __str__(self) -> str:
        return f"{self.release}: {self.holder} ({self.status})"
