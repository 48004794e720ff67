"""Writes for sites: the site status lifecycle and its guards."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from infrastructure.models import (
    PERMIT_GRANTED_STATUSES,
    SITE_PATH,
    Site,
    SiteStatus,
    SiteStatusTransition,
)
from openai_countries.history import save_tracked
from openai_countries.lifecycle import Guard, Lifecycle, raise_unmet
from partnerships.services.partnerships import partnership_lock

SITE_STATUSES = Lifecycle(
    path=SITE_PATH,
    on_hold=SiteStatus.ON_HOLD,
    cancelled=SiteStatus.CANCELLED,
    labels=dict(SiteStatus.choices),
)


def site_status_guards(site: Site, target: str) -> list[Guard]:
    """Guards of moving ``site`` to ``target``: permits to leave permitting, power to operate."""
    guards: list[Guard] = []
    if site.status == SiteStatus.PERMITTING and target != SiteStatus.PERMITTING:
        today = timezone.localdate()
        required = list(site.permits.filter(required=True))
        # A grant that has expired no longer allows building.
        pending = tuple(
            p
            for p in required
            if p.status not in PERMIT_GRANTED_STATUSES or (p.expires_on and p.expires_on < today)
        )
        if not required:
            detail = _("no required permit is recorded for this site")
        elif pending:
            detail = _("not granted or expired: %(permits)s") % {
                "permits": ", ".join(str(p) for p in pending)
            }
        else:
            detail = ""
        guards.append(
            Guard(
                "required_permits_granted",
                _("every required permit granted"),
                bool(required) and not pending,
                detail,
                pending,
            )
        )
    if target == SiteStatus.OPERATIONAL:
        energized = tuple(site.phases.filter(energized_mw__gt=0))
        guards.append(
            Guard(
                "phase_energized",
                _("a phase with energized capacity"),
                bool(energized),
                "" if energized else _("no phase has energized MW above zero"),
                energized,
            )
        )
    return guards


def _record(site: Site, *, from_status: str, by: Any, reason: str) -> None:
    SiteStatusTransition.objects.create(
        site=site, from_status=from_status, to_status=site.status, by=by, reason=reason
    )
    save_tracked(site, by=by, reason=reason or _("Status moved"))


def _locked(site: Site) -> Site:
    """The site as it is now, locked, after its partnership (the stage guards read it)."""
    partnership_lock(site.partnership_id)
    return Site.objects.select_for_update().get(pk=site.pk)


@transaction.atomic
def site_advance_status(*, site: Site, to_status: str, by: Any, reason: str = "") -> Site:
    locked = _locked(site)
    SITE_STATUSES.check_forward(subject=locked.name, current=locked.status, target=to_status)
    raise_unmet(
        site_status_guards(locked, to_status),
        subject=locked.name,
        target=SITE_STATUSES.label(to_status),
    )
    from_status, locked.status = locked.status, to_status
    _record(locked, from_status=from_status, by=by, reason=reason)
    return locked


@transaction.atomic
def site_hold(*, site: Site, by: Any, reason: str) -> Site:
    locked = _locked(site)
    SITE_STATUSES.check_hold(subject=locked.name, current=locked.status, reason=reason)
    from_status = locked.status
    locked.status_before_hold, locked.status = from_status, SiteStatus.ON_HOLD
    _record(locked, from_status=from_status, by=by, reason=reason)
    return locked


@transaction.atomic
def site_resume(*, site: Site, by: Any, reason: str = "") -> Site:
    locked = _locked(site)
    SITE_STATUSES.check_resume(subject=locked.name, current=locked.status)
    locked.status, locked.status_before_hold = locked.status_before_hold, ""
    _record(locked, from_status=SiteStatus.ON_HOLD, by=by, reason=reason)
    return locked


@transaction.atomic
def site_cancel(*, site: Site, by: Any, reason: str) -> Site:
    locked = _locked(site)
    SITE_STATUSES.check_cancel(subject=locked.name, current=locked.status, reason=reason)
    from_status = locked.status
    locked.status, locked.status_before_hold = SiteStatus.CANCELLED, ""
    _record(locked, from_status=from_status, by=by, reason=reason)
    return locked
