"""Shared machinery for lifecycle rules: forward paths with hold/cancel, and explained guards."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


@dataclass(frozen=True)
class Guard:
    """One condition a transition needs, evaluated: met or not, and what is missing."""

    code: str
    label: str
    met: bool
    detail: str = ""
    records: tuple[Any, ...] = field(default=())


def raise_unmet(guards: Iterable[Guard], *, subject: str, target: str) -> None:
    """Raise a ``ValidationError`` naming every unmet guard, or return when all are met."""
    unmet = [g for g in guards if not g.met]
    if not unmet:
        return
    reasons = "; ".join(f"{g.label}: {g.detail}" if g.detail else g.label for g in unmet)
    raise ValidationError(
        _("%(subject)s cannot move to %(target)s. Guard not met - %(reasons)s.")
        % {"subject": subject, "target": target, "reasons": reasons},
        code="guard_failed",
        params={"guards": [g.code for g in unmet]},
    )


@dataclass(frozen=True)
class Lifecycle:
    """A forward path of statuses, an 'on hold' status (resumable) and a terminal 'cancelled'."""

    path: tuple[str, ...]
    on_hold: str
    cancelled: str
    labels: Mapping[str, Any]

    def label(self, status: str) -> str:
        return str(self.labels.get(status, status))

    def next_of(self, current: str) -> str | None:
        if current not in self.path:
            return None
        index = self.path.index(current)
        return self.path[index + 1] if index + 1 < len(self.path) else None

    def check_forward(self, *, subject: str, current: str, target: str) -> None:
        if current == self.cancelled:
            raise ValidationError(
                _("%(subject)s is cancelled; a cancelled record cannot move.")
                % {"subject": subject},
                code="cancelled",
            )
        if current == self.on_hold:
            raise ValidationError(
                _("%(subject)s is on hold; resume it before moving it on.") % {"subject": subject},
                code="on_hold",
            )
        expected = self.next_of(current)
        if target != expected:
            raise ValidationError(
                _(
                    "%(subject)s cannot move from %(current)s to %(target)s; "
                    "the next step is %(next)s."
                )
                % {
                    "subject": subject,
                    "current": self.label(current),
                    "target": self.label(target),
                    "next": self.label(expected) if expected else _("none (last step)"),
                },
                code="not_next_step",
            )

    def check_hold(self, *, subject: str, current: str, reason: str) -> None:
        if current not in self.path:
            raise ValidationError(
                _("%(subject)s is %(current)s; only an active record can be put on hold.")
                % {"subject": subject, "current": self.label(current)},
                code="not_active",
            )
        require_reason(reason, action=_("Putting on hold"))

    def check_resume(self, *, subject: str, current: str) -> None:
        if current != self.on_hold:
            raise ValidationError(
                _("%(subject)s is not on hold.") % {"subject": subject}, code="not_on_hold"
            )

    def check_cancel(self, *, subject: str, current: str, reason: str) -> None:
        if current == self.cancelled:
            raise ValidationError(
                _("%(subject)s is already cancelled.") % {"subject": subject}, code="cancelled"
            )
        require_reason(reason, action=_("Cancelling"))


def require_reason(reason: str, *, action: str) -> None:
    if not (reason or "").strip():
        raise ValidationError(
            _("%(action)s needs a reason.") % {"action": action}, code="reason_required"
        )
