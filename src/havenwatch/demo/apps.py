from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    name = "havenwatch.demo"
    label = "demo"
    verbose_name = _("Demo port")

    def ready(self) -> None:
        from havenwatch.demo import generator  # noqa: F401  (registers the core seeder)
