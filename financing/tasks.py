"""Celery tasks of financing: the nightly conversion of the kept co-financing figures."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone


@shared_task
def refresh_cofinancing() -> int:
    """Beat calls this just after midnight: figures that a disbursement or rate dated today
    changes are converted before the first dashboard of the day asks for them."""
    from financing.rollups import refresh

    return refresh(timezone.localdate())
