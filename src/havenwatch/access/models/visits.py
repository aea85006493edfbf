from django.db import models
from django.utils.translation import gettext_lazy as _

from havenwatch.access.choices import ScreeningResult, VisitStatus
from havenwatch.core.tenancy import RestrictedQuerySet, Tenancy


class Announcer(models.Model):
    """An organisation approved to announce visitors at a facility, for a period (Prean)."""

    organisation = models.ForeignKey("core.Organisation", on_delete=models.PROTECT, related_name="announcer_rights",
                                     verbose_name=_("organisation"))
    facility = models.ForeignKey("core.Facility", on_delete=models.PROTECT, related_name="announcers",
                                 verbose_name=_("facility"))
    valid_from = models.DateTimeField(_("from"))
    valid_until = models.DateTimeField(_("until"))
    approved_at = models.DateTimeField(_("approved"))

    objects = RestrictedQuerySet.as_manager()
    tenancy = Tenancy(org="facility__operator", port="facility__port")

    class Meta:
        ordering = ["facility", "organisation"]
        verbose_name = _("approved announcer")
        verbose_name_plural = _("approved announcers")

    def __str__(self) -> str:
        return f"{self.organisation} → {self.facility}"


class Visit(models.Model):
    """Visitors announced for a facility, or a ship call at it, in a time window."""

    announcer = models.ForeignKey("core.Organisation", on_delete=models.PROTECT, related_name="announced_visits",
                                  verbose_name=_("announced by"))
    facility = models.ForeignKey("core.Facility", on_delete=models.PROTECT, related_name="visits",
                                 verbose_name=_("facility"))
    zones = models.ManyToManyField("access.Zone", related_name="visits", verbose_name=_("zones"))
    ship_call = models.CharField(_("ship call"), max_length=120, blank=True,
                                 help_text=_("Vessel and call reference, for a visit to a ship."))
    window_start = models.DateTimeField(_("from"))
    window_end = models.DateTimeField(_("until"))
    reason = models.CharField(_("reason"), max_length=300)
    ship_agent = models.ForeignKey(
        "core.Organisation", on_delete=models.PROTECT, null=True, blank=True, related_name="ship_call_visits",
        verbose_name=_("ship's agent"),
        help_text=_("For a visit to a ship: the agent of the call, who approves first."),
    )
    agent_approved_at = models.DateTimeField(_("approved by the agent"), null=True, blank=True)
    agent_approved_by = models.CharField(_("agent's approver"), max_length=160, blank=True)
    plate = models.CharField(_("number plate"), max_length=24, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=VisitStatus.choices,
                              default=VisitStatus.ANNOUNCED, db_index=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.CharField(_("decided by"), max_length=160, blank=True)
    rejection_reason = models.CharField(_("reason for rejection"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("announced"))

    objects = RestrictedQuerySet.as_manager()
    tenancy = Tenancy(org="announcer", port="facility__port", jurisdiction_actions={"access.view_visit"})

    class Meta:
        ordering = ["-window_start", "pk"]
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        constraints = [
            models.CheckConstraint(condition=models.Q(window_end__gt=models.F("window_start")),
                                   name="%(app_label)s_%(class)s_window_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.facility} {self.window_start:%Y-%m-%d}: {self.reason}"

    @property
    def decided_by_label(self) -> str:
        """Who decided, as the announcer reads it: a ban's stop names the authorities, not a person."""
        from havenwatch.access.choices import AUTHORITY_ACTOR

        return str(_("The port's authorities")) if self.decided_by == AUTHORITY_ACTOR else self.decided_by


class VisitPolicy(models.Model):
    """How a facility decides on visits. For a ship call the agent approves; the terminal
    may ask to approve on top of the agent (``terminal_approves_ship_calls``)."""

    facility = models.OneToOneField("core.Facility", on_delete=models.PROTECT, related_name="visit_policy",
                                    verbose_name=_("facility"))
    terminal_approves_ship_calls = models.BooleanField(
        _("the terminal approves ship-call visits after the agent"), default=False)
    changed_at = models.DateTimeField(_("changed"))
    changed_by = models.CharField(_("changed by"), max_length=160)

    objects = RestrictedQuerySet.as_manager()
    tenancy = Tenancy(org="facility__operator", port="facility__port")

    class Meta:
        verbose_name = _("visit policy")
        verbose_name_plural = _("visit policies")

    def __str__(self) -> str:
        return f"{self.facility}: terminal approves ship calls={self.terminal_approves_ship_calls}"


class Visitor(models.Model):
    """One person of a visit, screened against bans; gets a visitor QR credential on approval."""

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="visitors", verbose_name=_("visit"))
    person = models.ForeignKey("access.Person", on_delete=models.PROTECT, related_name="visits",
                               verbose_name=_("person"))
    screening = models.CharField(_("ban screening"), max_length=16, choices=ScreeningResult.choices)
    screened_at = models.DateTimeField(_("screened"))

    class Meta:
        ordering = ["visit", "person"]
        verbose_name = _("visitor")
        verbose_name_plural = _("visitors")
        constraints = [
            models.UniqueConstraint(fields=["visit", "person"], name="%(app_label)s_%(class)s_unique")
        ]

    def __str__(self) -> str:
        return f"{self.person} @ {self.visit}"
