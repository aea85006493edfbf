from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccessConfig(AppConfig):
    name = "havenwatch.access"
    label = "access"
    verbose_name = _("Identity and access")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from havenwatch.access import audit_events, navigation, permissions, seed, simulation  # noqa: F401
