from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from havenwatch.core.choices import DeliveryStatus
from havenwatch.core.tenancy import RestrictedQuerySet, Tenancy


class ApiToken(models.Model):
    """A machine client's key, scoped to one organisation and a set of permissions.

    The token is shown once; only its SHA-256 is kept (tokens carry 256 bits of
    randomness, so a slow hash adds nothing but latency on every request).
    """

    organisation = models.ForeignKey("core.Organisation", on_delete=models.PROTECT, related_name="api_tokens",
                                     verbose_name=_("organisation"))
    name = models.CharField(_("name"), max_length=120)
    prefix = models.CharField(_("prefix"), max_length=16, unique=True)
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True)
    permissions = models.JSONField(_("permissions"), default=list)
    facility = models.ForeignKey("core.Facility", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="api_tokens", verbose_name=_("facility"),
                                 help_text=_("For a device or gate controller bound to one facility."))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("created by"))
    created_at = models.DateTimeField(_("created"))
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()
    tenancy = Tenancy(org="organisation")

    class Meta:
        ordering = ["organisation__name", "name"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class Webhook(models.Model):
    """An HTTPS endpoint of an organisation that receives its domain events, HMAC-signed."""

    organisation = models.ForeignKey("core.Organisation", on_delete=models.PROTECT, related_name="webhooks",
                                     verbose_name=_("organisation"))
    url = models.URLField(_("URL"), max_length=500)
    description = models.CharField(_("description"), max_length=200, blank=True)
    event_types = models.JSONField(_("event types"), default=list,
                                   help_text=_("Empty means every event the organisation may see."))
    secret_sealed = models.BinaryField(_("sealed signing secret"), editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("created by"))
    created_at = models.DateTimeField(_("created"))

    objects = RestrictedQuerySet.as_manager()
    tenancy = Tenancy(org="organisation")

    class Meta:
        ordering = ["organisation__name", "url"]
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")

    def __str__(self) -> str:
        return self.url


class WebhookDelivery(models.Model):
    """One event to one webhook: attempts, back-off and the last answer."""

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries",
                                verbose_name=_("webhook"))
    event = models.ForeignKey("core.OutboxEvent", on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("event"))
    status = models.CharField(_("status"), max_length=16, choices=DeliveryStatus.choices,
                              default=DeliveryStatus.PENDING, db_index=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), db_index=True)
    last_status_code = models.PositiveSmallIntegerField(_("last HTTP status"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)

    objects = RestrictedQuerySet.as_manager()
    tenancy = Tenancy(org="webhook__organisation")

    class Meta:
        ordering = ["-pk"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        constraints = [
            models.UniqueConstraint(fields=["webhook", "event"], name="%(app_label)s_%(class)s_unique")
        ]

    def __str__(self) -> str:
        return f"{self.webhook} ← {self.event}"
