from django.db import models
from django.utils.translation import gettext_lazy as _

from havenwatch.controlroom.choices import DeviceKind
from havenwatch.core.tenancy import RestrictedQuerySet, Tenancy


class Device(models.Model):
    """A sensor the control room hears from: a fence segment (a line), a camera (a point,
    with its field of view), an ANPR camera, a drone detector, a radar, a door contact, a
    panic button or an alarm panel. Owned by the facility's operator, or by the port
    authority for the port's own devices."""

    port = models.ForeignKey("core.Port", on_delete=models.PROTECT, related_name="devices", verbose_name=_("port"))
    facility = models.ForeignKey("core.Facility", on_delete=models.PROTECT, related_name="devices", null=True,
                                 blank=True, verbose_name=_("facility"))
    owner = models.ForeignKey("core.Organisation", on_delete=models.PROTECT, related_name="devices",
                              verbose_name=_("owner"))
    kind = models.CharField(_("kind"), max_length=24, choices=DeviceKind.choices)
    code = models.CharField(_("code"), max_length=40, help_text=_("Unique in the port, e.g. F-12 or CAM-QUAY-3."))
    name = models.CharField(_("name"), max_length=120)
    geometry = models.JSONField(_("position (GeoJSON)"), help_text=_("A point; a line for a fence segment."))
    field_of_view = models.JSONField(_("field of view (GeoJSON)"), null=True, blank=True)
    external_name = models.CharField(_("name in the source system"), max_length=120, blank=True,
                                     help_text=_("The camera's name in the video system, or the panel's account."))
    silent_after = models.PositiveIntegerField(_("silent after (minutes)"), default=15,
                                               help_text=_("Without a message for this long, the device is silent."))
    last_seen_at = models.DateTimeField(_("last seen"), null=True, blank=True)
    retired_at = models.DateTimeField(_("retired"), null=True, blank=True)
    created_at = models.DateTimeField(_("registered"))

    objects = RestrictedQuerySet.as_manager()
    tenancy = Tenancy(org="owner", port="port",
                      jurisdiction_actions={"controlroom.view_device", "controlroom.manage_devices"})

    class Meta:
        ordering = ["port", "code"]
        verbose_name = _("device")
        verbose_name_plural = _("devices")
        constraints = [models.UniqueConstraint(fields=["port", "code"], name="controlroom_device_code_in_port")]
        indexes = [models.Index(fields=["port", "external_name"], name="controlroom_device_external")]

    def __str__(self) -> str:
        return f"{self.code} · {self.name}"


class DeviceCredential(models.Model):
    """Which devices an ingestion token may speak for: one device, or the many behind a
    gateway. Core's token knows nothing of devices; this keeps the dependency one-way."""

    token = models.ForeignKey("core.ApiToken", on_delete=models.CASCADE, related_name="+", verbose_name=_("token"))
    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="credentials",
                               verbose_name=_("device"))

    objects = RestrictedQuerySet.as_manager()
    tenancy = Tenancy(org="device__owner", port="device__port",
                      jurisdiction_actions={"controlroom.view_device", "controlroom.manage_devices"})

    class Meta:
        ordering = ["token", "device"]
        verbose_name = _("device credential")
        verbose_name_plural = _("device credentials")
        constraints = [models.UniqueConstraint(fields=["token", "device"], name="controlroom_credential_once")]

    def __str__(self) -> str:
        return f"{self.token_id} → {self.device_id}"
