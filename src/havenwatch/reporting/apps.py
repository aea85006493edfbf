from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportingConfig(AppConfig):
    name = "havenwatch.reporting"
    label = "reporting"
    verbose_name = _("Anonymous reporting")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from havenwatch.reporting import (  # noqa: F401
            audit_events,
            consumers,
            jobs,
            navigation,
            permissions,
            seed,
            simulation,
        )
