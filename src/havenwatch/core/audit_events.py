"""The core app's event types (audited acts and domain events share one code)."""

from django.utils.translation import gettext_lazy as _

from havenwatch.core.event_types import register

register("core.organisation.created", _("Organisation created"),
         fields=("name", "kind", "country", "vat_number", "eori_number"))
register("core.organisation.updated", _("Organisation updated"), fields=("changes",))
register("core.jurisdiction.granted", _("Jurisdiction granted"), fields=("organisation", "port"))
register("core.port.created", _("Port created"), fields=("name", "unlocode", "authority"))
register("core.port.updated", _("Port updated"), fields=("changes",))
register("core.facility.created", _("Port facility created"), fields=("name", "isps_number", "port", "operator"))
register("core.facility.updated", _("Port facility updated"), fields=("changes",))
register("core.user.created", _("User created"), fields=("username",), digest_fields=("email",))
register("core.user.deactivated", _("User deactivated"), fields=("username",))
register("core.membership.added", _("Role granted"), fields=("user", "organisation", "role", "facility"))
register("core.membership.removed", _("Role withdrawn"), fields=("user", "organisation", "role"))
register("core.login.succeeded", _("Signed in"), fields=("username", "second_factor"))
register("core.login.failed", _("Sign-in failed"), fields=("username", "reason"))
register("core.login.locked", _("Account locked after failed sign-ins"), fields=("username", "until"))
register("core.totp.enrolled", _("Second factor enrolled"), fields=("username",))
register("core.totp.reset", _("Second factor reset"), fields=("username",))
register("core.security_level.changed", _("Security level changed"),
         fields=("scope", "port", "facility", "level", "previous_level", "reason", "facilities_to_acknowledge"))
register("core.security_level.acknowledged", _("Security level change acknowledged"),
         fields=("change", "facility", "level"))
register("core.token.created", _("API token created"),
         fields=("name", "prefix", "permissions", "expires_at", "facility"), digest_fields=("token",))
register("core.token.revoked", _("API token revoked"), fields=("name", "prefix"))
register("core.webhook.created", _("Webhook created"), fields=("url", "event_types"), digest_fields=("secret",))
register("core.webhook.updated", _("Webhook updated"), fields=("url", "is_active", "event_types"))
register("core.webhook.deleted", _("Webhook deleted"), fields=("url",))
register("core.audit.verified", _("Audit chain verified"), fields=("ok", "checked", "first_broken", "reason"))
