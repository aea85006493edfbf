from django.db import models
from django.utils.translation import gettext_lazy as _

from havenwatch.core.choices import OrganisationKind
from havenwatch.core.tenancy import RestrictedQuerySet, Tenancy


class Organisation(models.Model):
    """A legal party that acts on the platform: a port authority, a terminal, a haulier, the police.

    Every row that is not global belongs to one organisation; users act for it through
    memberships.
    """

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("short name"), max_length=60, unique=True)
    kind = models.CharField(_("kind"), max_length=32, choices=OrganisationKind.choices)
    country = models.CharField(_("country"), max_length=2, help_text=_("ISO 3166 alpha-2 code, e.g. BE"))
    vat_number = models.CharField(_("VAT number"), max_length=20, blank=True)
    eori_number = models.CharField(_("EORI number"), max_length=20, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = RestrictedQuerySet.as_manager()
    tenancy = Tenancy(
        org="pk",
        port="facilities__port",
        many=True,
        jurisdiction_actions={"core.view_organisation"},
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        constraints = [
            models.UniqueConstraint(
                fields=["country", "vat_number"],
                condition=~models.Q(vat_number=""),
                name="%(app_label)s_%(class)s_unique_vat",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_authority(self) -> bool:
        from havenwatch.core.choices import AUTHORITY_KINDS

        return self.kind in AUTHORITY_KINDS


class Jurisdiction(models.Model):
    """An authority's competence over a port: what it may see and act on there."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="jurisdictions", verbose_name=_("authority")
    )
    port = models.ForeignKey(
        "core.Port", on_delete=models.PROTECT, related_name="jurisdictions", verbose_name=_("port")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = RestrictedQuerySet.as_manager()
    tenancy = Tenancy(org="organisation", port="port", jurisdiction_actions={"core.view_organisation"})

    class Meta:
        ordering = ["organisation__name", "port__name"]
        verbose_name = _("jurisdiction")
        verbose_name_plural = _("jurisdictions")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "port"], name="%(app_label)s_%(class)s_unique")
        ]

    def __str__(self) -> str:
        return f"{self.organisation} → {self.port}"
