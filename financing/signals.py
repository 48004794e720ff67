"""Signal receivers: every write to a country's ledger, or to a rate, leaves its kept
co-financing figures stale in the same transaction (``financing/rollups.py``)."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from financing.models import Commitment, Disbursement, ExchangeRate


@receiver(post_save, sender=Commitment)
@receiver(post_delete, sender=Commitment)
def commitment_written(sender: Any, instance: Commitment, **kwargs: Any) -> None:
    from financing.rollups import mark_stale

    mark_stale([instance.country_id])


@receiver(post_save, sender=Disbursement)
@receiver(post_delete, sender=Disbursement)
def disbursement_written(sender: Any, instance: Disbursement, **kwargs: Any) -> None:
    from financing.rollups import mark_stale

    # Read, not followed: a disbursement deleted with its commitment has no commitment left.
    mark_stale(
        Commitment.objects.filter(pk=instance.commitment_id).values_list("country", flat=True)
    )


@receiver(post_save, sender=ExchangeRate)
@receiver(post_delete, sender=ExchangeRate)
def rate_written(sender: Any, **kwargs: Any) -> None:
    from financing.rollups import mark_all_stale

    mark_all_stale()
