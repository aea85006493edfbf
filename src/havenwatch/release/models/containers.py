from django.db import models
from django.utils.translation import gettext_lazy as _

from havenwatch.core.tenancy import RestrictedQuerySet, Tenancy


class Container(models.Model):
    """A container at a terminal, by its ISO 6346 number. The terminal's light: discharged."""

    number = models.CharField(_("container number"), max_length=11, unique=True)
    terminal = models.ForeignKey("core.Facility", on_delete=models.PROTECT, related_name="containers",
                                 verbose_name=_("terminal"))
    discharged_at = models.DateTimeField(_("discharged"), null=True, blank=True,
                                         help_text=_("Confirmed by the terminal: the container is on its yard."))
    discharged_by = models.CharField(_("discharge confirmed by"), max_length=160, blank=True)
    created_at = models.DateTimeField(_("registered"))

    objects = RestrictedQuerySet.as_manager()
    tenancy = Tenancy(org="terminal__operator", port="terminal__port",
                      jurisdiction_actions={"release.view_release", "release.trace"})

    class Meta:
        ordering = ["number"]
        verbose_name = _("container")
        verbose_name_plural = _("containers")

    def __str__(self) -> str:
        return self.number


class CustomsHold(models.Model):
    """Customs stops a container (e.g. selected for a scan) until it releases the hold."""

    container = models.ForeignKey(Container, on_delete=models.PROTECT, related_name="holds",
                                  verbose_name=_("container"))
    placed_by = models.ForeignKey("core.Organisation", on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("placed by"))
    reason = models.CharField(_("reason"), max_length=300)
    placed_at = models.DateTimeField(_("placed"))
    released_at = models.DateTimeField(_("released"), null=True, blank=True)
    released_reason = models.CharField(_("reason of the release"), max_length=300, blank=True)

    objects = RestrictedQuerySet.as_manager()
    tenancy = Tenancy(org="placed_by", port="container__terminal__port",
                      jurisdiction_actions={"release.view_release", "release.hold"})

    class Meta:
        ordering = ["-placed_at", "pk"]
        verbose_name = _("customs hold")
        verbose_name_plural = _("customs holds")
        constraints = [
            # One open hold per container at a time: a second "hold" would be a no-op that hides the first.
            models.UniqueConstraint(fields=["container"], condition=models.Q(released_at__isnull=True),
                                    name="%(app_label)s_%(class)s_one_open"),
        ]

    def __str__(self) -> str:
        return f"{self.container}: {self.reason}"
