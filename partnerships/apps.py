from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartnershipsConfig(AppConfig):
    """Countries, regions, organisations, partnerships and their lifecycle."""

    name = "partnerships"
    verbose_name = _("Partnerships")

    def ready(self) -> None:
        from partnerships import signals  # noqa: F401  (registers the receivers)
