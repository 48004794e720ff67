"""The partnership stage lifecycle: guards, two-party sign-off, moves, hold, resume, cancel."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from openai_countries.history import save_tracked
from openai_countries.lifecycle import Guard, Lifecycle, raise_unmet
from partnerships.access import has_global_reach, holds_country_grant
from partnerships.models import (
    BINDING_AGREEMENT_TYPES,
    STAGE_PATH,
    AgreementStatus,
    Partnership,
    SignOffSide,
    Stage,
    StageSignOff,
    StageTransition,
)

STAGES = Lifecycle(
    path=STAGE_PATH, on_hold=Stage.ON_HOLD, cancelled=Stage.CANCELLED, labels=dict(Stage.choices)
)
# Gates that need both parties' approval before the partnership may pass them.
TWO_PARTY_GATES = (Stage.SIGNED,)


def _sign_off_guards(partnership: Partnership, gate: str) -> list[Guard]:
    sides = {s.side: s for s in partnership.sign_offs.filter(gate=gate).select_related("signed_by")}
    program, government = sides.get(SignOffSide.PROGRAM), sides.get(SignOffSide.GOVERNMENT)
    return [
        Guard(
            "program_sign_off",
            _("program-side sign-off"),
            program is not None,
            "" if program else _("no program-side approver has signed off"),
            (program,) if program else (),
        ),
        Guard(
            "government_sign_off",
            _("government-side sign-off"),
            government is not None,
            "" if government else _("no liaison of a participating government has signed off"),
            (government,) if government else (),
        ),
    ]


def partnership_stage_guards(partnership: Partnership, target: str) -> list[Guard]:
    """Every guard of moving ``partnership`` to ``target``, each evaluated with its records."""
    from financing.models import FIRM_STATUSES, Side
    from infrastructure.models import SiteStatus
    from localization.models import RequirementStatus

    guards: list[Guard] = []
    if target == Stage.SIGNED:
        agreements = list(
            partnership.agreements.filter(
                agreement_type__in=BINDING_AGREEMENT_TYPES, status=AgreementStatus.SIGNED
            )
        )
        guards.append(
            Guard(
                "binding_agreement_signed",
                _("signed MoU or definitive agreement"),
                bool(agreements),
                "" if agreements else _("no MoU or definitive agreement is signed"),
                tuple(agreements),
            )
        )
        guards += _sign_off_guards(partnership, Stage.SIGNED)
    elif target == Stage.IMPLEMENTING:
        firm = partnership.commitments.filter(status__in=FIRM_STATUSES)
        for side, code, label in (
            (Side.COMPANY, "company_commitment", _("company-side commitment")),
            (Side.GOVERNMENT, "government_commitment", _("government-side commitment")),
        ):
            records = tuple(firm.filter(side=side))
            guards.append(
                Guard(
                    code,
                    label,
                    bool(records),
                    ""
                    if records
                    else _("no %(side)s commitment is committed or disbursing")
                    % {"side": Side(side).label.lower()},
                    records,
                )
            )
    elif target == Stage.OPERATIONAL:
        sites = tuple(partnership.sites.filter(status=SiteStatus.OPERATIONAL))
        live = tuple(partnership.requirements.filter(status=RequirementStatus.LIVE))
        guards += [
            Guard(
                "site_operational",
                _("an operational site"),
                bool(sites),
                "" if sites else _("no site is operational"),
                sites,
            ),
            Guard(
                "requirement_live",
                _("a live localization requirement"),
                bool(live),
                "" if live else _("no localization requirement is live"),
                live,
            ),
        ]
    return guards


def _record(partnership: Partnership, *, from_stage: str, by: Any, reason: str) -> None:
    StageTransition.objects.create(
        partnership=partnership,
        from_status=from_stage,
        to_status=partnership.stage,
        by=by,
        reason=reason,
    )
    save_tracked(partnership, by=by, reason=reason or _("Stage moved"))


def _locked(partnership: Partnership) -> Partnership:
    return Partnership.objects.select_for_update().get(pk=partnership.pk)


@transaction.atomic
def partnership_advance_stage(
    *, partnership: Partnership, to_stage: str, by: Any, reason: str = ""
) -> Partnership:
    """Move a partnership one step along its path, if every guard of that step is met."""
    locked = _locked(partnership)
    STAGES.check_forward(subject=locked.code, current=locked.stage, target=to_stage)
    raise_unmet(
        partnership_stage_guards(locked, to_stage),
        subject=locked.code,
        target=STAGES.label(to_stage),
    )
    from_stage = locked.stage
    locked.stage = to_stage
    _record(locked, from_stage=from_stage, by=by, reason=reason)
    return locked


@transaction.atomic
def partnership_hold(*, partnership: Partnership, by: Any, reason: str) -> Partnership:
    locked = _locked(partnership)
    STAGES.check_hold(subject=locked.code, current=locked.stage, reason=reason)
    from_stage = locked.stage
    locked.stage_before_hold, locked.stage = from_stage, Stage.ON_HOLD
    _record(locked, from_stage=from_stage, by=by, reason=reason)
    return locked


@transaction.atomic
def partnership_resume(*, partnership: Partnership, by: Any, reason: str = "") -> Partnership:
    """Take a partnership off hold; it returns to the stage it left."""
    locked = _locked(partnership)
    STAGES.check_resume(subject=locked.code, current=locked.stage)
    locked.stage, locked.stage_before_hold = locked.stage_before_hold, ""
    _record(locked, from_stage=Stage.ON_HOLD, by=by, reason=reason)
    return locked


@transaction.atomic
def partnership_cancel(*, partnership: Partnership, by: Any, reason: str) -> Partnership:
    locked = _locked(partnership)
    STAGES.check_cancel(subject=locked.code, current=locked.stage, reason=reason)
    from_stage = locked.stage
    locked.stage, locked.stage_before_hold = Stage.CANCELLED, ""
    _record(locked, from_stage=from_stage, by=by, reason=reason)
    return locked


@transaction.atomic
def partnership_sign_off(
    *, partnership: Partnership, gate: str, side: str, by: Any, comment: str = ""
) -> StageSignOff:
    """Record one party's approval of a gate.

    Program side: a holder of the global sign-off permission (a program manager). Government
    side: a holder of the sign-off grant on one of the partnership's countries (its liaison).
    One person cannot sign for both sides.
    """
    locked = _locked(partnership)
    if gate not in TWO_PARTY_GATES:
        raise ValidationError(
            {
                "gate": _("%(gate)s is not a gate that needs sign-off.")
                % {"gate": STAGES.label(gate)}
            }
        )
    if locked.stage in (Stage.CANCELLED, Stage.ON_HOLD) or (
        locked.stage in STAGE_PATH and STAGE_PATH.index(locked.stage) >= STAGE_PATH.index(gate)
    ):
        raise ValidationError(
            _("%(code)s is %(stage)s; the %(gate)s gate is not open for sign-off.")
            % {"code": locked.code, "stage": STAGES.label(locked.stage), "gate": STAGES.label(gate)}
        )
    country = None
    if side == SignOffSide.PROGRAM:
        if not has_global_reach(by, "sign_off"):
            raise ValidationError(
                _("Only a program manager can sign off the program side."), code="not_approver"
            )
    elif side == SignOffSide.GOVERNMENT:
        country = next(
            (c for c in locked.countries.all() if holds_country_grant(by, "sign_off", c)), None
        )
        if country is None:
            raise ValidationError(
                _("Only a liaison of a participating government can sign off the government side."),
                code="not_approver",
            )
    else:
        raise ValidationError({"side": _("Unknown side %(side)s.") % {"side": side}})
    other = locked.sign_offs.filter(gate=gate).exclude(side=side).first()
    if other and other.signed_by_id == by.pk:
        raise ValidationError(
            _("%(user)s already signed the other side; each side needs its own approver.")
            % {"user": by},
            code="same_approver",
        )
    if locked.sign_offs.filter(gate=gate, side=side).exists():
        raise ValidationError(
            _("The %(side)s has already signed off this gate.")
            % {"side": SignOffSide(side).label.lower()},
            code="already_signed",
        )
    sign_off = StageSignOff(
        partnership=locked,
        gate=gate,
        side=side,
        country=country,
        signed_by=by,
        signed_at=timezone.now(),
        comment=comment,
    )
    return save_tracked(sign_off, by=by, reason=comment or _("Signed off"))
