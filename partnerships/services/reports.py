"""Report runs: requested once per (kind, scope, as-of, language), rendered by a worker."""

from __future__ import annotations

import logging
from datetime import date, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from partnerships.access import can_on_country, has_global_reach
from partnerships.models import Country, Partnership, ReportKind, ReportRun, ReportSubscription

logger = logging.getLogger(__name__)

# A run left queued (broker down at request time) or running (worker died) this long is taken up
# again: by the sweep, and by a worker's claim of an abandoned running run.
STUCK_AFTER = timedelta(minutes=10)


def report_may_request(
    *, kind: str, country: Country | None, partnership: Partnership | None, by: Any
) -> bool:
    try:
        _check_scope(kind=kind, country=country, partnership=partnership, by=by)
    except ValidationError:
        return False
    return True


def _check_scope(
    *, kind: str, country: Country | None, partnership: Partnership | None, by: Any
) -> None:
    if kind == ReportKind.COUNTRY:
        if country is None:
            raise ValidationError({"country": _("A country report names a country.")})
        if not can_on_country(by, "export", country):
            raise ValidationError({"country": _("Unknown country.")})
    elif kind == ReportKind.PARTNERSHIP:
        if partnership is None:
            raise ValidationError({"partnership": _("A partnership report names a partnership.")})
        # The report shows every participating country's rows: it takes access to all of them.
        if not all(can_on_country(by, "export", c) for c in partnership.countries.all()):
            raise ValidationError({"partnership": _("Unknown partnership.")})
    elif kind == ReportKind.PORTFOLIO:
        if country is not None or partnership is not None:
            raise ValidationError(_("A portfolio report covers every country; name no scope."))
        if not has_global_reach(by, "export"):
            raise ValidationError(_("The portfolio report needs access to every country."))
    else:
        raise ValidationError({"kind": _("Unknown report kind.")})


def report_run_request(
    *,
    kind: str,
    as_of: date,
    language: str,
    by: Any,
    country: Country | None = None,
    partnership: Partnership | None = None,
) -> tuple[ReportRun, bool]:
    """Ask for a report; the same request again returns the existing run instead of a new one.

    The row is stored first; the render is enqueued once the transaction commits. If the broker
    is down the request still succeeds: the run stays queued and the sweep picks it up.
    """
    if language not in dict(settings.LANGUAGES):
        raise ValidationError({"language": _("Choose one of the interface languages.")})
    _check_scope(kind=kind, country=country, partnership=partnership, by=by)
    if kind == ReportKind.PARTNERSHIP and partnership is not None:
        members = list(partnership.countries.all())
        country = members[0] if len(members) == 1 else None
    key = {
        "kind": kind,
        "country": country,
        "partnership": partnership,
        "as_of": as_of,
        "language": language,
    }
    existing = ReportRun.objects.filter(**key).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            run = ReportRun(requested_by=by, **key)
            run.full_clean(validate_unique=False)
            run.save()
    except IntegrityError:  # the same request, a moment earlier, from elsewhere
        return ReportRun.objects.get(**key), False
    transaction.on_commit(lambda: report_run_enqueue(run_id=run.pk))
    return run, True


def report_run_enqueue(*, run_id: int) -> bool:
    """Hand a run to the workers; False (and logged) when the broker cannot be reached."""
    from partnerships.tasks import render_report

    try:
        render_report.delay(run_id)
    except Exception:  # kombu raises several types when the broker is down
        logger.warning("Report run %s stays queued: the broker is unreachable.", run_id)
        return False
    return True


@transaction.atomic
def report_runs_schedule_monthly(*, as_of: date, language: str = "en") -> list[ReportRun]:
    """The monthly batch, requested by the system: a country report for every country taking
    part in a live partnership, and the portfolio report. Asking twice adds nothing.

    The portfolio report, four times as long to lay out as a country's, is queued first: it
    renders while the other workers take the countries, instead of alone at the end (at 200
    countries, 1.5 s of the batch's 47 with one of two workers idle)."""
    from partnerships.models import Stage

    countries = Country.objects.filter(
        participations__partnership__stage__in=[s for s in Stage.values if s != Stage.CANCELLED]
    ).distinct()
    scopes: list[tuple[str, Country | None]] = [(ReportKind.PORTFOLIO, None)]
    scopes += [(ReportKind.COUNTRY, country) for country in countries.order_by("code")]
    runs = []
    for kind, country in scopes:
        run, created = ReportRun.objects.get_or_create(
            kind=kind, country=country, partnership=None, as_of=as_of, language=language
        )
        if created:
            transaction.on_commit(partial(report_run_enqueue, run_id=run.pk))
        runs.append(run)
    return runs


def report_subscribe(*, user: Any, kind: str, country: Country | None = None) -> ReportSubscription:
    """Subscribe ``user`` to the scheduled report of a country or of the portfolio; only a
    report they may request themselves."""
    if kind not in (ReportKind.COUNTRY, ReportKind.PORTFOLIO):
        raise ValidationError({"kind": _("Subscribe to a country's report or to the portfolio.")})
    _check_scope(kind=kind, country=country, partnership=None, by=user)
    subscription = ReportSubscription(user=user, kind=kind, country=country)
    subscription.full_clean()
    subscription.save()
    return subscription


def report_subscribers(run: ReportRun) -> list[Any]:
    """Active subscribers of a run's scope who may still read it."""
    if run.kind not in (ReportKind.COUNTRY, ReportKind.PORTFOLIO):
        return []
    subscriptions = ReportSubscription.objects.filter(
        Q(country_id=run.country_id), kind=run.kind, user__is_active=True
    ).select_related("user", "country")
    return [
        s.user
        for s in subscriptions
        if report_may_request(kind=run.kind, country=s.country, partnership=None, by=s.user)
    ]
