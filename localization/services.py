"""Writes for localization: locales from Babel and the requirement review flow."""

from __future__ import annotations

from typing import Any

from babel import Locale as BabelLocale
from babel import UnknownLocaleError
from babel.core import get_global
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from localization.models import (
    Direction,
    Locale,
    LocalizationRequirement,
    RequirementStatus,
    RequirementStatusTransition,
)
from openai_countries.history import create_tracked, save_tracked
from openai_countries.lifecycle import require_reason
from partnerships.access import holds_country_grant
from partnerships.services.partnerships import partnership_lock

S = RequirementStatus
# (from, to) -> whether the move needs a comment. Going live is the liaison's sign-off.
REVIEW_FLOW: dict[tuple[str, str], bool] = {
    (S.PROPOSED, S.ACCEPTED): False,
    (S.PROPOSED, S.REJECTED): True,
    (S.ACCEPTED, S.IN_PROGRESS): False,
    (S.ACCEPTED, S.REJECTED): True,
    (S.IN_PROGRESS, S.IN_REVIEW): False,
    (S.IN_REVIEW, S.IN_PROGRESS): True,  # sent back
    (S.IN_REVIEW, S.LIVE): False,
    (S.REJECTED, S.PROPOSED): True,  # reopened
}


def locale_parse(tag: str) -> dict[str, str]:
    """Name, script and direction of a BCP 47 tag, from Babel's CLDR data."""
    try:
        parsed = BabelLocale.parse(tag.replace("_", "-"), sep="-")
    except (UnknownLocaleError, ValueError):
        raise ValidationError(
            {"tag": _("%(tag)s is not a known BCP 47 language tag.") % {"tag": tag}}
        ) from None
    script = parsed.script or ""
    if not script:
        likely = get_global("likely_subtags").get(str(parsed)) or get_global("likely_subtags").get(
            parsed.language, ""
        )
        parts = likely.split("_")
        script = next((p for p in parts[1:] if len(p) == 4), "")
    canonical = "-".join(p for p in (parsed.language, parsed.script, parsed.territory) if p)
    return {
        "tag": canonical,
        "name": parsed.get_display_name("en") or canonical,
        "script": script,
        "direction": Direction.RTL if parsed.text_direction == "rtl" else Direction.LTR,
    }


def locale_get_or_create(*, tag: str, by: Any = None) -> Locale:
    data = locale_parse(tag)
    existing = Locale.objects.filter(tag=data["tag"]).first()
    if existing:
        return existing
    return create_tracked(Locale, by=by, reason=_("Added from CLDR"), **data)


@transaction.atomic
def requirement_create(*, by: Any, reason: str = "", **fields: Any) -> LocalizationRequirement:
    if fields.get("status", S.PROPOSED) != S.PROPOSED:
        raise ValidationError({"status": _("A new requirement starts as proposed.")})
    requirement = create_tracked(
        LocalizationRequirement, by=by, reason=reason or _("Created"), **fields
    )
    RequirementStatusTransition.objects.create(
        requirement=requirement,
        from_status="",
        to_status=S.PROPOSED,
        by=by,
        reason=reason or _("Created"),
    )
    return requirement


@transaction.atomic
def requirement_transition(
    *, requirement: LocalizationRequirement, to_status: str, by: Any, comment: str = ""
) -> LocalizationRequirement:
    """Move a requirement along its review flow; going live is the country liaison's sign-off."""
    partnership_lock(requirement.partnership_id)  # the stage guards read requirement statuses
    locked = LocalizationRequirement.objects.select_for_update().get(pk=requirement.pk)
    needs_comment = REVIEW_FLOW.get((locked.status, to_status))
    if needs_comment is None:
        allowed = [S(t).label for (f, t) in REVIEW_FLOW if f == locked.status]
        raise ValidationError(
            _(
                "A requirement cannot go from %(current)s to %(target)s; from here it can go to: "
                "%(allowed)s."
            )
            % {
                "current": locked.get_status_display(),
                "target": S(to_status).label if to_status in S.values else to_status,
                "allowed": ", ".join(str(a) for a in allowed) or _("nowhere"),
            },
            code="not_allowed",
        )
    if needs_comment:
        require_reason(comment, action=_("This review step"))
    if to_status == S.LIVE:
        if not holds_country_grant(by, "sign_off", locked.country):
            raise ValidationError(
                _("Going live needs the sign-off of a liaison of %(country)s.")
                % {"country": locked.country},
                code="not_approver",
            )
        locked.signed_off_by, locked.signed_off_at = by, timezone.now()
        locked.live_on = timezone.localdate()
    RequirementStatusTransition.objects.create(
        requirement=locked, from_status=locked.status, to_status=to_status, by=by, reason=comment
    )
    locked.status = to_status
    return save_tracked(locked, by=by, reason=comment or _("Review step"))


def requirement_sign_off(
    *, requirement: LocalizationRequirement, by: Any, comment: str = ""
) -> LocalizationRequirement:
    return requirement_transition(requirement=requirement, to_status=S.LIVE, by=by, comment=comment)
