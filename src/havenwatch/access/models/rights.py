from django.db import models
from django.utils.translation import gettext_lazy as _

from havenwatch.core.tenancy import RestrictedQuerySet, Tenancy


class Authorisation(models.Model):
    """A right to enter one zone: for one person, or for every employee of an organisation.

    ``schedule`` is a weekly schedule in the facility's local time,
    ``{"mon": [["07:00", "19:00"]], "sat": [["22:00", "06:00"]]}`` (a range that ends
    before it starts runs past midnight); empty means at any hour. Authorisations expire
    on their own at ``valid_until``.
    """

    person = models.ForeignKey("access.Person", on_delete=models.PROTECT, null=True, blank=True,
                               related_name="authorisations", verbose_name=_("person"))
    organisation = models.ForeignKey("core.Organisation", on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="authorisations", verbose_name=_("organisation"))
    zone = models.ForeignKey("access.Zone", on_delete=models.PROTECT, related_name="authorisations",
                             verbose_name=_("zone"))
    valid_from = models.DateTimeField(_("valid from"))
    valid_until = models.DateTimeField(_("valid until"))
    schedule = models.JSONField(_("weekly schedule"), default=dict, blank=True)
    purpose = models.CharField(_("purpose"), max_length=60)
    escort_required = models.BooleanField(_("escort required"), default=False)
    vehicle_only = models.BooleanField(_("with a registered vehicle only"), default=False)
    requires_verification = models.BooleanField(_("positive security verification required"), default=False)
    required_training = models.CharField(_("training required"), max_length=80, blank=True,
                                         help_text=_("A course the holder must have completed, still valid."))
    granted_by = models.ForeignKey("core.Organisation", on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("granted by"))
    granted_at = models.DateTimeField(_("granted"))
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()
    tenancy = Tenancy(org="zone__facility__operator", port="zone__facility__port",
                      jurisdiction_actions={"access.view_authorisation"})

    class Meta:
        ordering = ["zone", "-valid_from", "pk"]
        verbose_name = _("authorisation")
        verbose_name_plural = _("authorisations")
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(person__isnull=False, organisation__isnull=True)
                           | models.Q(person__isnull=True, organisation__isnull=False)),
                name="%(app_label)s_%(class)s_one_holder",
            ),
            models.CheckConstraint(condition=models.Q(valid_until__gt=models.F("valid_from")),
                                   name="%(app_label)s_%(class)s_window_valid"),
        ]
        indexes = [
            models.Index(fields=["zone", "person"], name="access_auth_zone_person_idx"),
            models.Index(fields=["zone", "organisation"], name="access_auth_zone_org_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.person or self.organisation} → {self.zone}"
