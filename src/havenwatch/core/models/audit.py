from django.db import models
from django.utils.translation import gettext_lazy as _

from havenwatch.core.tenancy import RestrictedQuerySet, Tenancy


class AppendOnlyError(RuntimeError):
    """Raised when code tries to change or remove an audit record."""


class AuditQuerySet(RestrictedQuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("audit records are append-only: they cannot be updated")

    def delete(self):
        raise AppendOnlyError("audit records are append-only: they cannot be deleted")


class AuditRecord(models.Model):
    """One link of the append-only, hash-chained audit log.

    ``hash = sha256(canonical(sequence, occurred_at, actor, organisation, port, code,
    subject, data_digest, previous_hash))``. Organisation, port and actor are plain
    identifiers, not foreign keys, so nothing that happens to those rows can ever
    touch the chain. The database refuses UPDATE and DELETE with a trigger.
    """

    sequence = models.BigIntegerField(_("sequence"), unique=True)
    occurred_at = models.DateTimeField(_("time"))
    actor_id = models.BigIntegerField(_("actor user id"), null=True, blank=True)
    actor_label = models.CharField(_("actor"), max_length=160)
    organisation_id = models.BigIntegerField(_("organisation id"), null=True, blank=True, db_index=True)
    port_id = models.BigIntegerField(_("port id"), null=True, blank=True, db_index=True)
    code = models.CharField(_("event type"), max_length=80, db_index=True)
    subject_type = models.CharField(_("subject type"), max_length=80, blank=True)
    subject_id = models.CharField(_("subject id"), max_length=80, blank=True)
    data = models.JSONField(_("data"), default=dict)
    data_digest = models.CharField(_("data digest"), max_length=64)
    previous_hash = models.CharField(_("previous hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64)

    objects = AuditQuerySet.as_manager()
    tenancy = Tenancy(
        org="organisation_id",
        port="port_id",
        jurisdiction_actions={"core.view_audit"},
    )

    class Meta:
        ordering = ["-sequence"]
        verbose_name = _("audit record")
        verbose_name_plural = _("audit records")
        constraints = [
            models.CheckConstraint(condition=models.Q(sequence__gte=1), name="%(app_label)s_%(class)s_sequence_positive")
        ]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.code}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("audit records are append-only: they cannot be updated")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("audit records are append-only: they cannot be deleted")


class AuditHead(models.Model):
    """The single row that holds the chain's tip; locking it serialises appends.

    It also lets ``audit verify`` notice records cut from the end of the chain.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    sequence = models.BigIntegerField(_("last sequence"), default=0)
    hash = models.CharField(_("last hash"), max_length=64)

    class Meta:
        ordering = ["id"]
        verbose_name = _("audit chain head")
        verbose_name_plural = _("audit chain head")
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="%(app_label)s_%(class)s_singleton")]

    def __str__(self) -> str:
        return f"audit head #{self.sequence}"


class AuditCheckpoint(models.Model):
    """The chain's hash at a sequence number, signed with the instance's Ed25519 key."""

    sequence = models.BigIntegerField(_("sequence"), unique=True)
    hash = models.CharField(_("hash"), max_length=64)
    created_at = models.DateTimeField(_("created"))
    key_id = models.CharField(_("key id"), max_length=64)
    signature = models.CharField(_("signature"), max_length=128)

    class Meta:
        ordering = ["-sequence"]
        verbose_name = _("audit checkpoint")
        verbose_name_plural = _("audit checkpoints")

    def __str__(self) -> str:
        return f"checkpoint #{self.sequence}"
