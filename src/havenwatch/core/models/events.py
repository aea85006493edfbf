from django.db import models
from django.utils.translation import gettext_lazy as _

from havenwatch.core.choices import EventAudience
from havenwatch.core.tenancy import RestrictedQuerySet


class OutboxEvent(models.Model):
    """A domain event, written in the same transaction as the change it describes.

    ``sequence`` is handed out under a lock held until commit, so events become
    visible in sequence order and a consumer that reads "everything after N" never
    skips one that committed late.
    """

    sequence = models.BigIntegerField(_("sequence"), unique=True)
    created_at = models.DateTimeField(_("time"))
    type = models.CharField(_("event type"), max_length=80, db_index=True)
    subject_type = models.CharField(_("subject type"), max_length=80, blank=True)
    subject_id = models.CharField(_("subject id"), max_length=80, blank=True)
    organisation_id = models.BigIntegerField(_("organisation id"), null=True, blank=True, db_index=True)
    port_id = models.BigIntegerField(_("port id"), null=True, blank=True, db_index=True)
    facility_id = models.BigIntegerField(_("facility id"), null=True, blank=True)
    audience = models.CharField(_("audience"), max_length=16, choices=EventAudience.choices,
                                default=EventAudience.ORGANISATION)
    priority = models.PositiveSmallIntegerField(_("priority"), default=3, help_text=_("1 highest, 5 lowest"))
    payload = models.JSONField(_("payload"), default=dict)

    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["sequence"]
        verbose_name = _("domain event")
        verbose_name_plural = _("domain events")

    def __str__(self) -> str:
        return f"#{self.sequence} {self.type}"


class OutboxEventParty(models.Model):
    """Another organisation an event concerns, told as its owner is (its feed, its webhooks):
    the parties of a container's release chain hear of each change of it."""

    event = models.ForeignKey(OutboxEvent, on_delete=models.CASCADE, related_name="parties")
    organisation_id = models.BigIntegerField(_("organisation id"))

    class Meta:
        ordering = ["event", "organisation_id"]
        verbose_name = _("event party")
        verbose_name_plural = _("event parties")
        constraints = [models.UniqueConstraint(fields=["event", "organisation_id"], name="core_event_party_once")]
        indexes = [models.Index(fields=["organisation_id", "event"], name="core_event_party_org")]

    def __str__(self) -> str:
        return f"#{self.event_id} → {self.organisation_id}"


class OutboxHead(models.Model):
    """The last handed-out event sequence; locking it orders commits."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    sequence = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["id"]
        verbose_name = _("event outbox head")
        verbose_name_plural = _("event outbox head")
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="%(app_label)s_%(class)s_singleton")]

    def __str__(self) -> str:
        return f"outbox head #{self.sequence}"


class ConsumerOffset(models.Model):
    """How far a consumer has got. Advanced in the same transaction as the consumer's effects."""

    consumer = models.CharField(_("consumer"), max_length=80, unique=True)
    sequence = models.BigIntegerField(_("last event handled"), default=0)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    failures = models.PositiveIntegerField(_("failures in a row"), default=0)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        ordering = ["consumer"]
        verbose_name = _("consumer offset")
        verbose_name_plural = _("consumer offsets")

    def __str__(self) -> str:
        return f"{self.consumer} @ {self.sequence}"
