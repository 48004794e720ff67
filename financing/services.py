"""Writes for the co-financing ledger: commitment status follows its disbursements."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from djmoney.money import Money

from financing.models import (
    Commitment,
    CommitmentStatus,
    CommitmentStatusTransition,
    Disbursement,
    ExchangeRate,
    Side,
)
from openai_countries.history import create_tracked, save_tracked
from openai_countries.lifecycle import require_reason
from partnerships.access import holds_country_grant
from partnerships.services.partnerships import partnership_lock

# Figures whose change needs the government to confirm them again.
_CONFIRMED_FIGURES = {"amount", "funder", "instrument", "side", "country"}


def _decimal(value: Any, field: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationError({field: _("Enter a number.")}) from None
    if not number.is_finite():
        raise ValidationError({field: _("Enter a number.")})
    return number


def _locked(commitment: Commitment) -> Commitment:
    """The commitment as it is now, locked, after its partnership (the stage guards read it)."""
    partnership_lock(commitment.partnership_id)
    return Commitment.objects.select_for_update().get(pk=commitment.pk)


def _move(commitment: Commitment, to_status: str, *, by: Any, reason: str) -> None:
    if commitment.status == to_status:
        return
    CommitmentStatusTransition.objects.create(
        commitment=commitment,
        from_status=commitment.status,
        to_status=to_status,
        by=by,
        reason=reason,
    )
    commitment.status = to_status


# What a person may set when creating or editing a commitment; the rest follows from actions.
EDITABLE_FIELDS = {
    "site", "funder", "side", "instrument", "amount", "committed_on", "description",
    "provenance", "source",
}  # fmt: skip
CREATE_FIELDS = EDITABLE_FIELDS | {"partnership", "country", "status"}


def _refuse_unknown(fields: dict[str, Any], allowed: set[str]) -> None:
    refused = sorted(set(fields) - allowed)
    if refused:
        raise ValidationError(
            {name: _("This is set by the ledger's actions, not edited.") for name in refused}
        )


@transaction.atomic
def commitment_create(*, by: Any, reason: str = "", **fields: Any) -> Commitment:
    _refuse_unknown(fields, CREATE_FIELDS)
    status = fields.get("status", CommitmentStatus.PLEDGED)
    if status not in (CommitmentStatus.PLEDGED, CommitmentStatus.COMMITTED):
        raise ValidationError(
            {"status": _("A new commitment is pledged or committed; disbursements move it on.")}
        )
    if status == CommitmentStatus.COMMITTED and not fields.get("committed_on"):
        fields["committed_on"] = timezone.localdate()
    partnership_lock(fields["partnership"].pk)
    commitment = create_tracked(Commitment, by=by, reason=reason or _("Created"), **fields)
    CommitmentStatusTransition.objects.create(
        commitment=commitment,
        from_status="",
        to_status=commitment.status,
        by=by,
        reason=reason or _("Created"),
    )
    return commitment


@transaction.atomic
def commitment_update(
    *, commitment: Commitment, by: Any, reason: str = "", **fields: Any
) -> Commitment:
    """Edit a commitment's figures; changed government figures need confirming again.

    Once money is firm, the amount changes only through ``commitment_reduce`` (with a reason),
    so the status always follows what is committed and disbursed.
    """
    if {"status", "disbursed"} & fields.keys():
        raise ValidationError(
            {"status": _("Status and disbursed total follow the disbursements; record one.")}
        )
    _refuse_unknown(fields, EDITABLE_FIELDS | {"partnership", "country"})
    locked = _locked(commitment)
    for name in ("partnership", "country"):
        if name in fields and getattr(locked, f"{name}_id") != fields[name].pk:
            raise ValidationError({name: _("This cannot change after creation.")})
    changed = {name for name, value in fields.items() if getattr(locked, name) != value}
    if "amount" in changed and locked.status != CommitmentStatus.PLEDGED:
        raise ValidationError(
            {"amount": _("Once committed, the amount changes only through a reduction.")}
        )
    for name, value in fields.items():
        setattr(locked, name, value)
    if changed & _CONFIRMED_FIGURES and locked.government_confirmed_at is not None:
        locked.government_confirmed_at, locked.government_confirmed_by = None, None
        reason = (reason + " " if reason else "") + _("(government confirmation withdrawn)")
    if locked.side != Side.GOVERNMENT:
        locked.government_confirmed_at, locked.government_confirmed_by = None, None
    return save_tracked(locked, by=by, reason=reason)


@transaction.atomic
def commitment_commit(
    *, commitment: Commitment, by: Any, committed_on: date | None = None, reason: str = ""
) -> Commitment:
    """A pledge becomes a firm commitment."""
    locked = _locked(commitment)
    if locked.status != CommitmentStatus.PLEDGED:
        raise ValidationError(
            _("Only a pledged commitment can be committed; this one is %(status)s.")
            % {"status": locked.get_status_display()}
        )
    locked.committed_on = committed_on or timezone.localdate()
    _move(locked, CommitmentStatus.COMMITTED, by=by, reason=reason)
    return save_tracked(locked, by=by, reason=reason or _("Committed"))


@transaction.atomic
def commitment_record_disbursement(
    *, commitment: Commitment, paid_on: date, amount: Any, reference: str, by: Any
) -> Disbursement:
    """Pay out against a commitment; never past what is committed. Status follows."""
    locked = _locked(commitment)
    value = _decimal(amount, "amount")
    if value <= 0:
        raise ValidationError({"amount": _("A disbursement must be more than zero.")})
    if locked.status in (CommitmentStatus.PLEDGED, CommitmentStatus.CANCELLED):
        raise ValidationError(
            _("Nothing can be disbursed against a %(status)s commitment.")
            % {"status": locked.get_status_display().lower()}
        )
    remaining = locked.amount.amount - locked.disbursed
    if value > remaining:
        raise ValidationError(
            {
                "amount": _("%(value)s would exceed what is committed; %(left)s remains.")
                % {"value": Money(value, locked.amount.currency), "left": locked.remaining_money}
            }
        )
    disbursement = create_tracked(
        Disbursement,
        by=by,
        reason=_("Disbursed"),
        commitment=locked,
        paid_on=paid_on,
        amount=value,
        reference=reference,
    )
    locked.disbursed += value
    if locked.disbursed == locked.amount.amount:
        target = CommitmentStatus.FULLY_DISBURSED
    elif locked.status == CommitmentStatus.REDUCED:
        target = CommitmentStatus.REDUCED
    else:
        target = CommitmentStatus.DISBURSING
    _move(locked, target, by=by, reason=_("Disbursement %(ref)s") % {"ref": reference})
    save_tracked(locked, by=by, reason=_("Disbursement %(ref)s") % {"ref": reference})
    return disbursement


@transaction.atomic
def commitment_reduce(
    *, commitment: Commitment, new_amount: Any, by: Any, reason: str
) -> Commitment:
    locked = _locked(commitment)
    require_reason(reason, action=_("Reducing a commitment"))
    value = _decimal(new_amount, "amount")
    if locked.status in (CommitmentStatus.PLEDGED, CommitmentStatus.CANCELLED):
        raise ValidationError(
            _("A %(status)s commitment is edited or cancelled, not reduced.")
            % {"status": locked.get_status_display().lower()}
        )
    if value >= locked.amount.amount:
        raise ValidationError({"amount": _("A reduction must lower the amount.")})
    if value < locked.disbursed or value <= 0:
        raise ValidationError(
            {
                "amount": _("The amount cannot go below what is disbursed (%(d)s) or to zero.")
                % {"d": locked.disbursed_money}
            }
        )
    locked.amount = Money(value, locked.amount.currency)
    target = (
        CommitmentStatus.FULLY_DISBURSED if value == locked.disbursed else CommitmentStatus.REDUCED
    )
    _move(locked, target, by=by, reason=reason)
    if locked.government_confirmed_at is not None:
        locked.government_confirmed_at, locked.government_confirmed_by = None, None
    return save_tracked(locked, by=by, reason=reason)


@transaction.atomic
def commitment_cancel(*, commitment: Commitment, by: Any, reason: str) -> Commitment:
    locked = _locked(commitment)
    require_reason(reason, action=_("Cancelling a commitment"))
    if locked.status == CommitmentStatus.CANCELLED:
        raise ValidationError(_("This commitment is already cancelled."))
    if locked.disbursed > 0:
        raise ValidationError(
            _("%(d)s has been disbursed; reduce the commitment to that instead of cancelling.")
            % {"d": locked.disbursed_money}
        )
    _move(locked, CommitmentStatus.CANCELLED, by=by, reason=reason)
    return save_tracked(locked, by=by, reason=reason)


@transaction.atomic
def commitment_confirm(*, commitment: Commitment, by: Any) -> Commitment:
    """The country's liaison confirms the government's figures as recorded."""
    locked = _locked(commitment)
    if locked.side != Side.GOVERNMENT:
        raise ValidationError(_("Only government-side figures are confirmed by the government."))
    if not holds_country_grant(by, "confirm", locked.country):
        raise ValidationError(
            _("Only a liaison of %(country)s can confirm its government's figures.")
            % {"country": locked.country},
            code="not_approver",
        )
    locked.government_confirmed_by, locked.government_confirmed_at = by, timezone.now()
    return save_tracked(locked, by=by, reason=_("Government figures confirmed"))


@transaction.atomic
def exchange_rate_set(
    *, currency: str, on: date, rate_to_usd: Any, source: str, by: Any
) -> ExchangeRate:
    """Record (or correct) the USD rate of ``currency`` on ``on``."""
    value = _decimal(rate_to_usd, "rate_to_usd")
    rate = ExchangeRate.objects.filter(currency=currency, on=on).first() or ExchangeRate(
        currency=currency, on=on
    )
    rate.rate_to_usd, rate.source = value, source
    return save_tracked(rate, by=by, reason=_("Rate recorded"))
