from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InfrastructureConfig(AppConfig):
    """Data-center sites, phases, permits and security controls."""

    name = "infrastructure"
    verbose_name = _("Infrastructure")

    def ready(self) -> None:
        from infrastructure import signals  # noqa: F401  (registers the receivers)
