"""The access audit trail: one row per denied attempt, grant change, export and download."""

from __future__ import annotations

from typing import Any

from partnerships.models import AccessEvent, Country


def access_event_record(
    *,
    user: Any,
    kind: str,
    allowed: bool,
    target: str = "",
    country: Country | None = None,
    detail: dict[str, Any] | None = None,
) -> AccessEvent:
    """Append an event. Runs in the caller's transaction, so a rolled-back grant leaves none."""
    authenticated = user is not None and getattr(user, "is_authenticated", False)
    return AccessEvent.objects.create(
        user=user if authenticated else None,
        username=user.get_username() if authenticated else "",
        kind=kind,
        allowed=allowed,
        target=target[:300],
        country=country,
        detail=detail or {},
    )
