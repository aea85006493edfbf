from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from havenwatch.controlroom.choices import AlarmEntryKind, AlarmState
from havenwatch.core.tenancy import RestrictedQuerySet, Tenancy

ALARM_ACTIONS = {"controlroom.view_alarm", "controlroom.work_alarm"}


class Sop(models.Model):
    """A standard operating procedure: the checklist an operator works for a kind of alarm.
    Rules name it by code; an alarm keeps a copy of the steps it was raised with."""

    port = models.ForeignKey("core.Port", on_delete=models.PROTECT, related_name="+", verbose_name=_("port"))
    owner = models.ForeignKey("core.Organisation", on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("owner"))
    code = models.CharField(_("code"), max_length=64)
    title = models.CharField(_("title"), max_length=160)
    version = models.PositiveIntegerField(_("version"), default=1)
    steps = models.JSONField(_("steps"), default=list, help_text=_("One sentence per step, in order."))
    updated_at = models.DateTimeField(_("changed"))

    objects = RestrictedQuerySet.as_manager()
    tenancy = Tenancy(org="owner", port="port",
                      jurisdiction_actions={"controlroom.view_rules", "controlroom.manage_rules"} | ALARM_ACTIONS)

    class Meta:
        ordering = ["port", "code"]
        verbose_name = _("procedure (SOP)")
        verbose_name_plural = _("procedures (SOP)")
        constraints = [models.UniqueConstraint(fields=["port", "code"], name="controlroom_sop_code_in_port")]

    def __str__(self) -> str:
        return f"{self.code} v{self.version}"


class Alarm(models.Model):
    """What an operator works: raised by a rule from one or more events, with a priority,
    a place on the map and a state. Later firings of the same rule for the same source
    while it is open join it (flood protection) and raise its count."""

    port = models.ForeignKey("core.Port", on_delete=models.PROTECT, related_name="+", verbose_name=_("port"))
    facility = models.ForeignKey("core.Facility", on_delete=models.PROTECT, related_name="+", null=True,
                                 blank=True, verbose_name=_("facility"))
    owner = models.ForeignKey("core.Organisation", on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("owner"))
    rule = models.ForeignKey("controlroom.Rule", on_delete=models.PROTECT, related_name="alarms", null=True,
                             blank=True, verbose_name=_("rule"))
    rule_code = models.CharField(_("rule"), max_length=64)
    rule_version = models.PositiveIntegerField(_("rule version"))
    title = models.CharField(_("title"), max_length=160)
    priority = models.PositiveSmallIntegerField(_("priority"))
    state = models.CharField(_("state"), max_length=16, choices=AlarmState.choices, default=AlarmState.NEW)
    suppress_key = models.CharField(_("grouped by"), max_length=200)
    device = models.ForeignKey("controlroom.Device", on_delete=models.PROTECT, related_name="alarms", null=True,
                               blank=True, verbose_name=_("device"))
    position = models.JSONField(_("position (GeoJSON)"), null=True, blank=True)
    count = models.PositiveIntegerField(_("firings"), default=1)
    first_event_at = models.DateTimeField(_("first event"))
    last_event_at = models.DateTimeField(_("last event"))
    raised_at = models.DateTimeField(_("raised"))
    acknowledge_by = models.DateTimeField(_("to acknowledge by"))
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True,
                                 blank=True, verbose_name=_("assigned to"))
    escalation = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    close_reason = models.CharField(_("closing reason"), max_length=500, blank=True)
    sop_code = models.CharField(_("procedure"), max_length=64, blank=True)
    sop_version = models.PositiveIntegerField(_("procedure version"), null=True, blank=True)
    sop_steps = models.JSONField(_("procedure steps"), default=list, blank=True)

    objects = RestrictedQuerySet.as_manager()
    tenancy = Tenancy(org="owner", port="port", jurisdiction_actions=ALARM_ACTIONS)

    class Meta:
        ordering = ["-raised_at", "-id"]
        verbose_name = _("alarm")
        verbose_name_plural = _("alarms")
        indexes = [
            models.Index(fields=["port", "state", "priority"], name="controlroom_alarm_queue"),
            models.Index(fields=["suppress_key", "state"], name="controlroom_alarm_suppress"),
            models.Index(fields=["state", "acknowledge_by"], name="controlroom_alarm_due"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} · {self.title}"


class AlarmEvent(models.Model):
    """The events an alarm was raised from, and those that joined it."""

    alarm = models.ForeignKey(Alarm, on_delete=models.CASCADE, related_name="links", verbose_name=_("alarm"))
    event = models.ForeignKey("controlroom.SensorEvent", on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("event"))

    class Meta:
        verbose_name = _("alarm event")
        verbose_name_plural = _("alarm events")
        constraints = [models.UniqueConstraint(fields=["alarm", "event"], name="controlroom_alarm_event_once")]

    def __str__(self) -> str:
        return f"{self.alarm_id} ← {self.event_id}"


class AlarmEntry(models.Model):
    """The alarm's timeline: every act on it, with its time and who did it. Acts are also
    in the audit chain; this is what the operator's screen reads."""

    alarm = models.ForeignKey(Alarm, on_delete=models.CASCADE, related_name="entries", verbose_name=_("alarm"))
    at = models.DateTimeField(_("time"))
    kind = models.CharField(_("kind"), max_length=16, choices=AlarmEntryKind.choices)
    actor = models.CharField(_("by"), max_length=200)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True,
                             blank=True, verbose_name=_("user"))
    text = models.CharField(_("text"), max_length=1000, blank=True)
    step = models.PositiveSmallIntegerField(_("procedure step"), null=True, blank=True)

    class Meta:
        ordering = ["alarm", "at", "id"]
        verbose_name = _("alarm entry")
        verbose_name_plural = _("alarm entries")

    def __str__(self) -> str:
        return f"{self.alarm_id} {self.kind}"


class OperatorPost(models.Model):
    """Who watches what, when: an operator (or a backup) posted to the port or one
    facility, with weekly hours in the port's time. Dispatch and escalation read it."""

    port = models.ForeignKey("core.Port", on_delete=models.PROTECT, related_name="+", verbose_name=_("port"))
    facility = models.ForeignKey("core.Facility", on_delete=models.PROTECT, related_name="+", null=True,
                                 blank=True, verbose_name=_("facility"))
    organisation = models.ForeignKey("core.Organisation", on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("organisation"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
                             verbose_name=_("operator"))
    backup = models.BooleanField(_("backup"), default=False,
                                 help_text=_("Backups receive alarms nobody acknowledged in time."))
    hours = models.JSONField(_("hours"), default=dict, blank=True,
                             help_text=_("Weekly hours; empty means at all times."))

    objects = RestrictedQuerySet.as_manager()
    tenancy = Tenancy(org="organisation", port="port", jurisdiction_actions={"controlroom.manage_rules"})

    class Meta:
        ordering = ["port", "facility", "user"]
        verbose_name = _("operator post")
        verbose_name_plural = _("operator posts")

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.port_id}/{self.facility_id or '-'}"
