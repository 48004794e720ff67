"""Creating and editing partnerships and the records that hang off them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from openai_countries.history import create_tracked, save_tracked, update_tracked
from openai_countries.lifecycle import require_reason
from partnerships.models import (
    Country,
    Health,
    Milestone,
    Partnership,
    PartnershipCountry,
    Stage,
    StageTransition,
)

# Fields that only lifecycle services may change.
_LIFECYCLE_FIELDS = {"stage", "stage_before_hold"}


@transaction.atomic
def partnership_create(
    *,
    code: str,
    title: str,
    lead_country: Country,
    countries: Iterable[Country] = (),
    by: Any,
    **fields: Any,
) -> Partnership:
    """Open a partnership at ``prospect`` with its lead and any other participating countries."""
    if _LIFECYCLE_FIELDS & fields.keys():
        raise ValidationError(_("A new partnership starts as a prospect; move it with its stage."))
    partnership = create_tracked(
        Partnership,
        by=by,
        reason=_("Created"),
        code=code,
        title=title,
        lead_country=lead_country,
        **fields,
    )
    for country in {lead_country, *countries}:
        partnership_add_country(partnership=partnership, country=country, by=by)
    StageTransition.objects.create(
        partnership=partnership,
        from_status="",
        to_status=Stage.PROSPECT,
        by=by,
        reason=_("Created"),
    )
    return partnership


def partnership_lock(partnership_id: int) -> Partnership:
    """Lock a partnership row for the rest of the transaction.

    Services that change what a stage guard reads (commitments, sites, requirements) take this
    lock first, so a stage move and such a change never interleave (no write skew); the stage
    services take it too, always before any child row.
    """
    return Partnership.objects.select_for_update().get(pk=partnership_id)


@transaction.atomic
def partnership_update(
    *, partnership: Partnership, by: Any, reason: str = "", **fields: Any
) -> Partnership:
    if (
        "lead_country" in fields
        and not partnership.countries.filter(pk=fields["lead_country"].pk).exists()
    ):
        raise ValidationError({"lead_country": _("The lead country must take part.")})
    return update_tracked(partnership, by=by, reason=reason, **fields)


def partnership_add_country(
    *, partnership: Partnership, country: Country, by: Any
) -> PartnershipCountry:
    existing = PartnershipCountry.objects.filter(partnership=partnership, country=country).first()
    if existing:
        return existing
    return create_tracked(
        PartnershipCountry,
        by=by,
        reason=_("Country joined"),
        partnership=partnership,
        country=country,
    )


@transaction.atomic
def partnership_set_health_override(
    *, partnership: Partnership, health: str, reason: str, by: Any
) -> Partnership:
    """Override the computed health (``""`` clears it); an override must say why."""
    if health:
        if health not in Health.values:
            raise ValidationError({"health_override": _("Unknown health %(h)s.") % {"h": health}})
        require_reason(reason, action=_("Overriding the computed health"))
    locked = partnership_lock(partnership.pk)
    locked.health_override, locked.health_override_reason = health, reason if health else ""
    return save_tracked(locked, by=by, reason=reason or _("Health override cleared"))


@transaction.atomic
def milestone_complete(*, milestone: Milestone, completed_on: Any, by: Any) -> Milestone:
    if completed_on is None:
        raise ValidationError({"completed_on": _("Give the date the milestone was completed.")})
    return update_tracked(milestone, by=by, reason=_("Completed"), completed_on=completed_on)
