from django.db import models
from django.utils.translation import gettext_lazy as _

from havenwatch.controlroom.choices import RuleStatus
from havenwatch.core.tenancy import RestrictedQuerySet, Tenancy

RULE_READERS = {"controlroom.view_rules", "controlroom.manage_rules"}


class Rule(models.Model):
    """A control-room rule: YAML with a stable code, versioned (every version kept in
    :class:`RuleVersion`). The port's rules are the port authority's; a facility's rules
    are its operator's and see only the facility's events."""

    port = models.ForeignKey("core.Port", on_delete=models.PROTECT, related_name="+", verbose_name=_("port"))
    facility = models.ForeignKey("core.Facility", on_delete=models.PROTECT, related_name="+", null=True,
                                 blank=True, verbose_name=_("facility"))
    owner = models.ForeignKey("core.Organisation", on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("owner"))
    code = models.CharField(_("code"), max_length=64)
    version = models.PositiveIntegerField(_("version"), default=1)
    kind = models.CharField(_("kind"), max_length=20)
    title = models.CharField(_("title"), max_length=160)
    priority = models.PositiveSmallIntegerField(_("priority"))
    text = models.TextField(_("rule (YAML)"))
    status = models.CharField(_("status"), max_length=10, choices=RuleStatus.choices, default=RuleStatus.ACTIVE)
    updated_at = models.DateTimeField(_("changed"))

    objects = RestrictedQuerySet.as_manager()
    tenancy = Tenancy(org="owner", port="port", jurisdiction_actions=RULE_READERS)

    class Meta:
        ordering = ["port", "priority", "code"]
        verbose_name = _("rule")
        verbose_name_plural = _("rules")
        constraints = [models.UniqueConstraint(fields=["port", "code"], name="controlroom_rule_code_in_port")]

    def __str__(self) -> str:
        return f"{self.code} v{self.version}"


class RuleVersion(models.Model):
    """Every version of a rule as it was saved: what an alarm was raised by stays readable."""

    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="versions", verbose_name=_("rule"))
    version = models.PositiveIntegerField(_("version"))
    text = models.TextField(_("rule (YAML)"))
    status = models.CharField(_("status"), max_length=10, choices=RuleStatus.choices)
    author = models.CharField(_("author"), max_length=200)
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("saved"))

    objects = RestrictedQuerySet.as_manager()
    tenancy = Tenancy(org="rule__owner", port="rule__port", jurisdiction_actions=RULE_READERS)

    class Meta:
        ordering = ["rule", "-version"]
        verbose_name = _("rule version")
        verbose_name_plural = _("rule versions")
        constraints = [models.UniqueConstraint(fields=["rule", "version"], name="controlroom_rule_version_once")]

    def __str__(self) -> str:
        return f"{self.rule_id} v{self.version}"


class Watchlist(models.Model):
    """A list rules check values against: plates, drone serial numbers. Held by the port."""

    port = models.ForeignKey("core.Port", on_delete=models.PROTECT, related_name="+", verbose_name=_("port"))
    owner = models.ForeignKey("core.Organisation", on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("owner"))
    code = models.CharField(_("code"), max_length=64)
    name = models.CharField(_("name"), max_length=120)
    updated_at = models.DateTimeField(_("changed"))

    objects = RestrictedQuerySet.as_manager()
    tenancy = Tenancy(org="owner", port="port", jurisdiction_actions=RULE_READERS)

    class Meta:
        ordering = ["port", "code"]
        verbose_name = _("watch list")
        verbose_name_plural = _("watch lists")
        constraints = [models.UniqueConstraint(fields=["port", "code"], name="controlroom_watchlist_code_in_port")]

    def __str__(self) -> str:
        return self.code


class WatchlistEntry(models.Model):
    watchlist = models.ForeignKey(Watchlist, on_delete=models.CASCADE, related_name="entries",
                                  verbose_name=_("watch list"))
    value = models.CharField(_("value"), max_length=64, help_text=_("Stored without spaces, in capitals."))
    note = models.CharField(_("why it is listed"), max_length=300)
    added_at = models.DateTimeField(_("added"))
    added_by = models.CharField(_("added by"), max_length=200)

    class Meta:
        ordering = ["watchlist", "value"]
        verbose_name = _("watch-list entry")
        verbose_name_plural = _("watch-list entries")
        constraints = [models.UniqueConstraint(fields=["watchlist", "value"], name="controlroom_watchlist_value_once")]

    def __str__(self) -> str:
        return self.value
