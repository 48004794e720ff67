from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FinancingConfig(AppConfig):
    """Commitments, disbursements and exchange rates: the co-financing ledger."""

    name = "financing"
    verbose_name = _("Financing")

    def ready(self) -> None:
        from financing import signals  # noqa: F401  (registers the receivers)
