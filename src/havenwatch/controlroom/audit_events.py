"""The control room's event types."""

from django.utils.translation import gettext_lazy as _

from havenwatch.core.event_types import register

register("controlroom.device.registered", _("Device registered"), fields=("code", "kind", "name", "facility"))
register("controlroom.device.updated", _("Device changed"), fields=("code", "changes"))
register("controlroom.device.retired", _("Device retired"), fields=("code", "reason"))
register("controlroom.device.token_issued", _("Device token issued"), fields=("name", "prefix", "devices"))
