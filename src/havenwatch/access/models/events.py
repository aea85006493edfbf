from django.db import models
from django.utils.translation import gettext_lazy as _

from havenwatch.access.choices import Direction
from havenwatch.core.tenancy import RestrictedQuerySet, Tenancy


class AccessEvent(models.Model):
    """One gate decision, granted or not, or a guard's override of one. Never changed."""

    occurred_at = models.DateTimeField(_("time"), db_index=True)
    access_point = models.ForeignKey("access.AccessPoint", on_delete=models.PROTECT, related_name="events",
                                     verbose_name=_("access point"))
    facility = models.ForeignKey("core.Facility", on_delete=models.PROTECT, related_name="access_events",
                                 verbose_name=_("facility"))
    direction = models.CharField(_("direction"), max_length=8, choices=Direction.choices)
    presented = models.CharField(_("presented credential"), max_length=60, blank=True)
    plate = models.CharField(_("number plate read"), max_length=24, blank=True)
    credential = models.ForeignKey("access.Credential", on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="events", verbose_name=_("credential"))
    person = models.ForeignKey("access.Person", on_delete=models.PROTECT, null=True, blank=True,
                               related_name="access_events", verbose_name=_("person"))
    granted = models.BooleanField(_("granted"))
    reasons = models.JSONField(_("reasons"), default=list)
    security_level = models.PositiveSmallIntegerField(_("security level"))
    override_of = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True,
                                       related_name="override", verbose_name=_("overrides"))
    override_reason = models.CharField(_("override reason"), max_length=300, blank=True)
    actor = models.CharField(_("decided by"), max_length=160)

    objects = RestrictedQuerySet.as_manager()
    tenancy = Tenancy(org="facility__operator", port="facility__port",
                      jurisdiction_actions={"access.view_events"})

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        verbose_name = _("access event")
        verbose_name_plural = _("access events")
        indexes = [models.Index(fields=["facility", "-occurred_at"], name="access_event_facility_time_idx")]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.access_point} {'granted' if self.granted else 'denied'}"


class Presence(models.Model):
    """Who is inside a zone now: made by a granted entry, removed by an exit (mustering lists)."""

    person = models.ForeignKey("access.Person", on_delete=models.PROTECT, related_name="presences",
                               verbose_name=_("person"))
    zone = models.ForeignKey("access.Zone", on_delete=models.PROTECT, related_name="presences",
                             verbose_name=_("zone"))
    entered_at = models.DateTimeField(_("entered"))
    entry = models.ForeignKey(AccessEvent, on_delete=models.PROTECT, related_name="+", verbose_name=_("entry"))

    objects = RestrictedQuerySet.as_manager()
    tenancy = Tenancy(org="zone__facility__operator", port="zone__facility__port",
                      jurisdiction_actions={"access.view_presence"})

    class Meta:
        ordering = ["zone", "entered_at"]
        verbose_name = _("presence")
        verbose_name_plural = _("presences")
        constraints = [
            models.UniqueConstraint(fields=["person", "zone"], name="%(app_label)s_%(class)s_unique")
        ]

    def __str__(self) -> str:
        return f"{self.person} in {self.zone}"
