from django.db import models
from django.utils.translation import gettext_lazy as _

from havenwatch.core.tenancy import RestrictedQuerySet, Tenancy

EVENT_READERS = {"controlroom.view_alarm", "controlroom.work_alarm", "controlroom.manage_rules"}


class SensorEvent(models.Model):
    """What a device said: a fence alarm, a camera detection, a plate read, a drone. Not an
    outbox event and not an audit record (at 1,000 a second they would drown both); unique
    per (device, the device's own event id), which makes ingestion idempotent. The port,
    facility and owner are the device's, copied so that readers need no join."""

    id = models.BigAutoField(primary_key=True)
    device = models.ForeignKey("controlroom.Device", on_delete=models.PROTECT, related_name="events",
                               verbose_name=_("device"))
    port = models.ForeignKey("core.Port", on_delete=models.PROTECT, related_name="+", verbose_name=_("port"))
    facility = models.ForeignKey("core.Facility", on_delete=models.PROTECT, related_name="+", null=True,
                                 blank=True, verbose_name=_("facility"))
    owner = models.ForeignKey("core.Organisation", on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("owner"))
    external_id = models.CharField(_("event id at the source"), max_length=120)
    kind = models.CharField(_("kind"), max_length=64)
    occurred_at = models.DateTimeField(_("occurred"))
    received_at = models.DateTimeField(_("received"))
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    has_snapshot = models.BooleanField(_("has a snapshot"), default=False)

    objects = RestrictedQuerySet.as_manager()
    tenancy = Tenancy(org="owner", port="port", jurisdiction_actions=EVENT_READERS)

    class Meta:
        ordering = ["id"]
        verbose_name = _("sensor event")
        verbose_name_plural = _("sensor events")
        constraints = [models.UniqueConstraint(fields=["device", "external_id"], name="controlroom_event_once")]
        indexes = [
            models.Index(fields=["port", "occurred_at"], name="controlroom_event_port_time"),
            models.Index(fields=["device", "occurred_at"], name="controlroom_event_device_time"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"


class Snapshot(models.Model):
    """A camera image sent with an event: sniffed (JPEG or PNG only) and stripped of its
    metadata before it is stored; shown only to those who may see the event."""

    event = models.OneToOneField(SensorEvent, on_delete=models.CASCADE, related_name="snapshot",
                                 verbose_name=_("event"))
    content_type = models.CharField(_("content type"), max_length=40)
    data = models.BinaryField(_("image"))
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)

    class Meta:
        verbose_name = _("snapshot")
        verbose_name_plural = _("snapshots")

    def __str__(self) -> str:
        return f"snapshot of #{self.event_id}"
