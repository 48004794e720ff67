"""Signal receivers: every write to a site phase leaves its country's kept capacity figures and
its partnership's kept attention signals stale, and every write to a site (its status says
whether its late phases count) its partnership's signals, in the same transaction
(``partnerships/rollups.py``)."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from infrastructure.models import Site, SitePhase


@receiver(post_save, sender=SitePhase)
@receiver(post_delete, sender=SitePhase)
def phase_written(sender: Any, instance: SitePhase, **kwargs: Any) -> None:
    from partnerships.rollups import CAPACITY, mark_figures_stale, mark_signals_stale

    # Read, not followed: a phase deleted with its site may find the site gone (the site's own
    # receiver then marks its country). A site's country and partnership never change.
    site = Site.objects.filter(pk=instance.site_id).values_list("country", "partnership")
    for country_id, partnership_id in site:
        mark_figures_stale(CAPACITY, [country_id])
        mark_signals_stale([partnership_id])


@receiver(post_save, sender=Site)
@receiver(post_delete, sender=Site)
def site_written(sender: Any, instance: Site, **kwargs: Any) -> None:
    from partnerships.rollups import CAPACITY, mark_figures_stale, mark_signals_stale

    mark_signals_stale([instance.partnership_id])
    if kwargs.get("signal") is post_delete:
        mark_figures_stale(CAPACITY, [instance.country_id])
