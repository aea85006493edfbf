from django.db import models
from django.utils.translation import gettext_lazy as _

from havenwatch.core.tenancy import RestrictedQuerySet, Tenancy


class Vehicle(models.Model):
    """A vehicle by its normalised number plate (country + characters, e.g. ``BE:1ABC234``)."""

    plate = models.CharField(_("number plate"), max_length=24, unique=True)
    country = models.CharField(_("country"), max_length=2)
    owner = models.ForeignKey("core.Organisation", on_delete=models.PROTECT, related_name="vehicles",
                              verbose_name=_("owner"))
    drivers = models.ManyToManyField("access.Person", related_name="vehicles", blank=True, verbose_name=_("drivers"))
    created_at = models.DateTimeField(_("created"))

    objects = RestrictedQuerySet.as_manager()
    tenancy = Tenancy(org="owner")

    class Meta:
        ordering = ["plate"]
        verbose_name = _("vehicle")
        verbose_name_plural = _("vehicles")

    def __str__(self) -> str:
        return self.plate
