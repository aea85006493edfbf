from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReleaseConfig(AppConfig):
    name = "havenwatch.release"
    label = "release"
    verbose_name = _("Secure container release")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from havenwatch.release import audit_events, consumers, navigation, permissions, seed, simulation  # noqa: F401
