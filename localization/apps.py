from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LocalizationConfig(AppConfig):
    """Locales and localization requirements of each country's ChatGPT."""

    name = "localization"
    verbose_name = _("Localization")

    def ready(self) -> None:
        from localization import signals  # noqa: F401  (registers the receivers)
