from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "havenwatch.core"
    label = "core"
    verbose_name = _("Platform")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Register the core's audit event types, domain event consumers and
        # simulator scenarios; other apps do the same in their own ready().
        from havenwatch.core import audit_events, consumers  # noqa: F401
        from havenwatch.core.simulation import scenarios  # noqa: F401
