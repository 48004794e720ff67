"""The explicit scope a Celery task or a management command acts in.

Background work never runs "as nobody with access to everything". It carries a ``Scope``: the
system (with the reason it needs every country, e.g. the monthly report schedule), or a user,
whose grants are re-read from the database when the work runs, so a grant revoked between the
request and the run is honoured.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db import models

from openai_countries.scoping import is_country_scoped


class ScopeRevoked(Exception):
    """The user a task acts for can no longer do what it was asked to do."""


@dataclass(frozen=True)
class Scope:
    user_id: int | None = None
    system_reason: str = ""

    def __post_init__(self) -> None:
        if (self.user_id is None) == (not self.system_reason):
            raise ValueError("A scope is a user, or the system with a reason; not both, not none.")

    @classmethod
    def system(cls, reason: str) -> Scope:
        return cls(system_reason=reason)

    @classmethod
    def for_user(cls, user: Any) -> Scope:
        return cls(user_id=user.pk)

    @property
    def is_system(self) -> bool:
        return self.user_id is None

    # Celery payloads are JSON.
    def to_payload(self) -> dict[str, Any]:
        return {"user_id": self.user_id, "system_reason": self.system_reason}

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> Scope:
        return cls(user_id=data.get("user_id"), system_reason=data.get("system_reason") or "")

    def user(self) -> Any:
        """The user as the database has them now; refused if gone or deactivated."""
        if self.user_id is None:
            return None
        user = get_user_model().objects.filter(pk=self.user_id, is_active=True).first()
        if user is None:
            raise ScopeRevoked(f"user {self.user_id} is no longer active")
        return user

    def restrict(self, queryset: models.QuerySet[Any], action: str = "view") -> Any:
        """``queryset`` as this scope may see it: everything for the system, else restrict()."""
        if self.is_system or not is_country_scoped(queryset.model):
            return queryset
        return queryset.restrict(self.user(), action)  # type: ignore[attr-defined]

    def require(self, action: str, country: Any) -> None:
        """Refuse unless this scope may still do ``action`` on ``country``."""
        if self.is_system:
            return
        from partnerships.access import can_on_country

        if not can_on_country(self.user(), action, country):
            raise ScopeRevoked(f"access to {country} revoked")
