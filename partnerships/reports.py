"""Rendering report runs to PDF: the report's data (through the requester's scope), a template
under templates/reports/, WeasyPrint with a fetcher that loads nothing from disk or network."""

from __future__ import annotations

import hashlib
import logging
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import DEFAULT_DB_ALIAS, OperationalError, connection, connections, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation

from openai_countries.pdf import NoExternalResources as NoExternalResources
from openai_countries.pdf import RenderFailed, render_bounded
from openai_countries.scope import Scope, ScopeRevoked
from partnerships.models import ReportKind, ReportRun, ReportStatus
from partnerships.services.reports import STUCK_AFTER

logger = logging.getLogger(__name__)

# A run whose worker died this many times is failed instead of being delivered again.
MAX_RENDER_ATTEMPTS = 3
# pg_advisory_lock(RENDER_LOCK, run id): held by the worker rendering a run.
RENDER_LOCK = 0x52455054


@contextmanager
def _render_lock(run_id: int) -> Iterator[bool | None]:
    """On PostgreSQL, a session advisory lock on the run, on a connection of its own, held for
    the whole render: True when this worker got it, False when a live worker holds it. The server
    drops it with the connection, so a killed worker's lock is free again at once (the task,
    delivered again, waits a moment for that). None without PostgreSQL (SQLite): no lock, the
    claim waits STUCK_AFTER for an abandoned run."""
    if connection.vendor != "postgresql":
        yield None
        return
    lock_connection = connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        with lock_connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '3s'")
            try:
                cursor.execute(
                    "SELECT pg_advisory_lock(%s, %s)", [RENDER_LOCK, run_id & 0x7FFFFFFF]
                )
                held = True
            except OperationalError as error:
                if getattr(error.__cause__, "sqlstate", None) != "55P03":  # lock_not_available
                    raise
                held = False  # another worker is rendering the run
        yield held
    finally:
        lock_connection.close()  # releases the lock


def _claim(run_id: int, *, locked: bool = False) -> ReportRun | None:
    """Move a queued (or abandoned) run to running; None when another worker holds it.

    A running run is abandoned when its worker died: at once if we hold its render lock (no live
    worker renders it), else once it has been running for STUCK_AFTER."""
    now = timezone.now()
    abandoned = Q() if locked else Q(started_at__lt=now - STUCK_AFTER)
    claimable = Q(status=ReportStatus.QUEUED) | (Q(status=ReportStatus.RUNNING) & abandoned)
    claimed = ReportRun.objects.filter(claimable, pk=run_id).update(
        status=ReportStatus.RUNNING, started_at=now, attempts=F("attempts") + 1
    )
    return ReportRun.objects.get(pk=run_id) if claimed else None


def _requester_still_allowed(run: ReportRun) -> None:
    """The requester must still be allowed this report when it runs (grants may be revoked)."""
    if run.requested_by_id is None:
        return  # scheduled by the system
    from partnerships.services.reports import report_may_request

    user = Scope(user_id=run.requested_by_id).user()
    country = run.country if run.kind == ReportKind.COUNTRY else None
    if not report_may_request(kind=run.kind, country=country, partnership=run.partnership, by=user):
        raise ScopeRevoked("access revoked")


def report_context(run: ReportRun, scope: Scope) -> dict[str, Any]:
    """What the report shows: everything of the report's own scope (a country, a partnership,
    the portfolio), the same whoever asked; who may ask is checked on request and at render."""
    from partnerships.report_content import report_content

    return report_content(run, scope)


def report_html(run: ReportRun, scope: Scope) -> str:
    """The report as HTML, in its language (right to left where the language is)."""
    with translation.override(run.language):
        return render_to_string(
            "reports/status.html",
            {**report_context(run, scope), "rtl": translation.get_language_bidi()},
        )


def render_pdf(run: ReportRun, scope: Scope) -> tuple[bytes, int, list[str]]:
    html = report_html(run, scope)
    # Laid out in a child process bounded in memory and time (openai_countries.pdf).
    rendered = render_bounded(
        html, memory_mb=settings.REPORT_RENDER_MEMORY_MB, seconds=settings.REPORT_RENDER_SECONDS
    )
    return rendered.pdf, rendered.pages, rendered.refused


def report_run_render(*, run_id: int) -> str:
    """Render a run once: claim it, check the requester still has access, store the PDF."""
    with _render_lock(run_id) as locked:
        if locked is False:
            return "not claimed"  # a live worker is rendering it
        return _render_claimed(run_id, locked=bool(locked))


def _render_claimed(run_id: int, *, locked: bool) -> str:
    run = _claim(run_id, locked=locked)
    if run is None:
        return "not claimed"
    if run.attempts > MAX_RENDER_ATTEMPTS:
        # A render that keeps taking its worker down would otherwise be delivered forever.
        _finish(
            run,
            status=ReportStatus.FAILED,
            error=f"Gave up after {run.attempts - 1} attempts that each stopped their worker.",
        )
        return "failed"
    started = time.monotonic()
    try:
        _requester_still_allowed(run)
        pdf, pages, _refused = render_pdf(run, Scope.system(f"report run {run.pk}"))
    except ScopeRevoked:
        _finish(run, status=ReportStatus.FAILED, error="Access revoked before the report ran.")
        return "failed"
    except RenderFailed as error:  # over a memory or time bound: the same again would fail too
        logger.warning("Report run %s failed to render: %s", run.pk, error)
        _finish(run, status=ReportStatus.FAILED, error=str(error))
        return "failed"
    except Exception as error:  # the run records why; the task may retry
        _finish(run, status=ReportStatus.FAILED, error=f"{type(error).__name__}: {error}"[:2000])
        raise
    # An unguessable stored name; the download view gives the file a readable one.
    with transaction.atomic():
        run.file.save(f"{uuid.uuid4().hex}.pdf", ContentFile(pdf), save=False)
        _finish(
            run,
            status=ReportStatus.SUCCEEDED,
            sha256=hashlib.sha256(pdf).hexdigest(),
            pages=pages,
            bytes=len(pdf),
            duration_ms=int((time.monotonic() - started) * 1000),
        )
        transaction.on_commit(partial(_notify_later, run.pk))
    return "succeeded"


def _notify_later(run_id: int) -> None:
    from partnerships.tasks import notify_report_ready

    try:
        notify_report_ready.delay(run_id)
    except Exception:  # the report is there either way; the e-mail is a courtesy
        logger.warning("Could not enqueue the e-mail for report run %s.", run_id)


def report_recipients(run: ReportRun) -> list[str]:
    """Who hears that a report is ready: its requester, the people it is for (the country's
    liaisons; program managers for the portfolio and regional partnerships), and those who
    subscribe to its scope and may still read it."""
    from django.contrib.auth import get_user_model

    from partnerships.models import CountryRoleGrant, Role
    from partnerships.services.reports import report_subscribers

    grants = CountryRoleGrant.objects.filter(revoked_at__isnull=True, user__is_active=True)
    if run.country_id is not None:
        grants = grants.filter(role=Role.LIAISON, country_id=run.country_id)
    else:
        grants = grants.filter(role=Role.PROGRAM_MANAGER, country__isnull=True)
    users = get_user_model().objects.filter(
        Q(pk__in=grants.values("user")) | Q(pk=run.requested_by_id), is_active=True
    )
    return sorted({u.email for u in [*users, *report_subscribers(run)] if u.email})


def report_run_notify(*, run_id: int) -> int:
    """E-mail a link to a finished report; returns how many messages went out."""
    from django.conf import settings
    from django.core.mail import send_mail
    from django.urls import reverse

    run = ReportRun.objects.select_related("country", "partnership").get(pk=run_id)
    if run.status != ReportStatus.SUCCEEDED:
        return 0
    link = settings.SITE_URL + reverse("reportrun-download", args=[run.pk])
    with translation.override(run.language):
        subject = f"{run.get_kind_display()}: {run.partnership or run.country or 'portfolio'}"
        body = f"{subject} ({run.as_of:%Y-%m-%d}) is ready.\n\n{link}\n"
    recipients = report_recipients(run)
    if not recipients:
        return 0
    # One message each: recipients do not learn who else receives the report.
    return sum(
        send_mail(subject, body, None, [address], fail_silently=False) for address in recipients
    )


def _finish(run: ReportRun, *, status: str, **fields: Any) -> None:
    fields = {"status": status, "finished_at": timezone.now(), "error": "", **fields}
    if run.file:
        fields["file"] = run.file.name
    # Only a running run finishes; a finished one never changes again.
    ReportRun.objects.filter(pk=run.pk, status=ReportStatus.RUNNING).update(**fields)
