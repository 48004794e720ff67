"""Signal receivers: every write to a requirement leaves its country's kept coverage figures and
its partnership's kept attention signals stale, in the same transaction
(``partnerships/rollups.py``)."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from localization.models import LocalizationRequirement


@receiver(post_save, sender=LocalizationRequirement)
@receiver(post_delete, sender=LocalizationRequirement)
def requirement_written(sender: Any, instance: LocalizationRequirement, **kwargs: Any) -> None:
    from partnerships.rollups import (
        COVERAGE,
        deleted_with_partnership,
        mark_figures_stale,
        mark_signals_stale,
    )

    # Its country and partnership never change (``fixed_fields``): the ones it has now.
    mark_figures_stale(COVERAGE, [instance.country_id])
    if not deleted_with_partnership(kwargs):
        mark_signals_stale([instance.partnership_id])
