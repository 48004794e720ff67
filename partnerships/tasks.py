"""Celery tasks of partnerships: rendering report runs, and the sweep that loses none."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone


# A render over its own bounds (REPORT_RENDER_MEMORY_MB, REPORT_RENDER_SECONDS) fails the run
# without raising, so it is never retried; the time limits leave room for the report's queries.
# A worker killed mid-render has the task delivered again (acks_late, reject_on_worker_lost).
@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=settings.REPORT_RENDER_SECONDS + 30,
    time_limit=settings.REPORT_RENDER_SECONDS + 90,
    autoretry_for=(ConnectionError, TimeoutError),
    retry_backoff=True,
    max_retries=3,
)
def render_report(self: object, run_id: int) -> str:
    """Render one report run (ids in, a service does the work)."""
    from partnerships.reports import report_run_render

    return report_run_render(run_id=run_id)


@shared_task
def sweep_report_runs() -> int:
    """Re-enqueue runs stuck in queued or running past the deadline."""
    from partnerships.models import ReportRun, ReportStatus
    from partnerships.services.reports import STUCK_AFTER, report_run_enqueue

    deadline = timezone.now() - STUCK_AFTER
    stuck = ReportRun.objects.filter(
        status__in=(ReportStatus.QUEUED, ReportStatus.RUNNING), requested_at__lt=deadline
    ).values_list("pk", flat=True)
    return sum(report_run_enqueue(run_id=pk) for pk in stuck)


@shared_task
def schedule_monthly_reports() -> int:
    """Beat calls this on the first of the month: reports as of the last day of the month before."""
    from partnerships.services.reports import report_runs_schedule_monthly

    first_of_month = timezone.localdate().replace(day=1)
    as_of = first_of_month - timedelta(days=1)
    return len(report_runs_schedule_monthly(as_of=as_of))


@shared_task(
    autoretry_for=(ConnectionError, TimeoutError, OSError), retry_backoff=True, max_retries=5
)
def notify_report_ready(run_id: int) -> int:
    """E-mail the requester and the report's audience a link to a finished report."""
    from partnerships.reports import report_run_notify

    return report_run_notify(run_id=run_id)


@shared_task
def refresh_kept_figures() -> int:
    """Beat calls this just after midnight: the attention signals that a new day makes late
    (and any figure a write left stale) are computed before the first dashboard asks."""
    from partnerships.rollups import refresh_figures, refresh_signals

    return refresh_figures() + refresh_signals(timezone.localdate())
