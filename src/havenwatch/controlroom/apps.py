from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ControlroomConfig(AppConfig):
    name = "havenwatch.controlroom"
    label = "controlroom"
    verbose_name = _("Control room")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from havenwatch.controlroom import (  # noqa: F401
            audit_events,
            bridge,
            consumers,
            evaluation,
            jobs,
            navigation,
            permissions,
            seed,
            simulation,
        )
