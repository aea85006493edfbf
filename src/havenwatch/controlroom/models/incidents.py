"""Incidents: what an operator opens when alarms turn out to be one real event worth a file.

An incident is opened from one or more alarms of one port, gathers a timeline, the
people, vehicles, containers and vessels involved and attachments (photos, documents),
and ends with a closing report, printed as a PDF. It is seen and worked by those who see
and work its alarms (the same permissions, the same tenancy as :class:`Alarm`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from havenwatch.controlroom.models.alarms import ALARM_ACTIONS
from havenwatch.core.tenancy import RestrictedQuerySet, Tenancy


class IncidentState(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class IncidentEntryKind(models.TextChoices):
    OPENED = "opened", _("Opened")
    NOTE = "note", _("Note")
    ALARM_LINKED = "alarm_linked", _("Alarm linked")
    PARTY_ADDED = "party_added", _("Involved party added")
    ATTACHMENT = "attachment", _("Attachment added")
    CLOSED = "closed", _("Closed")


class PartyKind(models.TextChoices):
    PERSON = "person", _("Person")
    VEHICLE = "vehicle", _("Vehicle")
    CONTAINER = "container", _("Container")
    VESSEL = "vessel", _("Vessel")


class Incident(models.Model):
    """A real event behind one or more alarms, followed up to its closing report."""

    port = models.ForeignKey("core.Port", on_delete=models.PROTECT, related_name="+", verbose_name=_("port"))
    facility = models.ForeignKey("core.Facility", on_delete=models.PROTECT, related_name="+", null=True,
                                 blank=True, verbose_name=_("facility"))
    owner = models.ForeignKey("core.Organisation", on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("owner"))
    title = models.CharField(_("title"), max_length=160)
    summary = models.TextField(_("summary"), max_length=4000, blank=True)
    state = models.CharField(_("state"), max_length=16, choices=IncidentState.choices, default=IncidentState.OPEN)
    opened_at = models.DateTimeField(_("opened"))
    opened_by = models.CharField(_("opened by"), max_length=200)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closed_by = models.CharField(_("closed by"), max_length=200, blank=True)
    report = models.TextField(_("closing report"), max_length=20000, blank=True)

    objects = RestrictedQuerySet.as_manager()
    tenancy = Tenancy(org="owner", port="port", jurisdiction_actions=ALARM_ACTIONS)

    class Meta:
        ordering = ["-opened_at", "-id"]
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        indexes = [models.Index(fields=["port", "state", "opened_at"], name="controlroom_incident_list")]

    def __str__(self) -> str:
        return f"#{self.pk} · {self.title}"


class IncidentAlarm(models.Model):
    """An alarm the incident was opened from, or linked to it later."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="alarm_links",
                                 verbose_name=_("incident"))
    alarm = models.ForeignKey("controlroom.Alarm", on_delete=models.PROTECT, related_name="incident_links",
                              verbose_name=_("alarm"))
    linked_at = models.DateTimeField(_("linked"))

    class Meta:
        ordering = ["incident", "linked_at", "id"]
        verbose_name = _("alarm of an incident")
        verbose_name_plural = _("alarms of incidents")
        constraints = [models.UniqueConstraint(fields=["incident", "alarm"], name="controlroom_incidentalarm_once")]

    def __str__(self) -> str:
        return f"{self.incident_id} ← {self.alarm_id}"


class IncidentEntry(models.Model):
    """The incident's timeline: every act on it, with its time and who did it (each is in
    the audit chain too)."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="entries",
                                 verbose_name=_("incident"))
    at = models.DateTimeField(_("time"))
    kind = models.CharField(_("kind"), max_length=16, choices=IncidentEntryKind.choices)
    actor = models.CharField(_("by"), max_length=200)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True,
                             blank=True, verbose_name=_("user"))
    text = models.TextField(_("text"), max_length=4000, blank=True)

    class Meta:
        ordering = ["incident", "at", "id"]
        verbose_name = _("incident entry")
        verbose_name_plural = _("incident entries")

    def __str__(self) -> str:
        return f"{self.incident_id} {self.kind}"


class IncidentParty(models.Model):
    """A person, vehicle, container or vessel involved. Values are kept as checked and
    normalised by the service: a container number with a valid check digit, a plate in
    capitals without separators (as watch lists keep it), a vessel's IMO number or name."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="parties",
                                 verbose_name=_("incident"))
    kind = models.CharField(_("kind"), max_length=16, choices=PartyKind.choices)
    value = models.CharField(_("value"), max_length=160)
    note = models.CharField(_("note"), max_length=300, blank=True)
    added_at = models.DateTimeField(_("added"))
    added_by = models.CharField(_("added by"), max_length=200)

    class Meta:
        ordering = ["incident", "kind", "value"]
        verbose_name = _("involved party")
        verbose_name_plural = _("involved parties")
        constraints = [models.UniqueConstraint(fields=["incident", "kind", "value"],
                                               name="controlroom_incidentparty_once")]

    def __str__(self) -> str:
        return f"{self.kind}: {self.value}"


class IncidentAttachment(models.Model):
    """A photo (JPEG or PNG, stored re-encoded without its metadata) or a PDF document."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="attachments",
                                 verbose_name=_("incident"))
    name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=40)
    data = models.BinaryField(_("data"))
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    added_at = models.DateTimeField(_("added"))
    added_by = models.CharField(_("added by"), max_length=200)

    class Meta:
        ordering = ["incident", "added_at", "id"]
        verbose_name = _("incident attachment")
        verbose_name_plural = _("incident attachments")

    def __str__(self) -> str:
        return self.name

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")
