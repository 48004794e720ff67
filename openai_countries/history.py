"""Writing through services: validate, then save with who and why recorded in the change history.

Models name the fields generic edits may not touch:
- ``lifecycle_fields`` change only through their lifecycle services (stage moves, disbursements,
  sign-offs), which check guards and record transitions;
- ``fixed_fields`` (the partnership or country a row belongs to) never change after creation, so a
  row cannot be moved into another country's scope, nor out of the one its sign-offs were for.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _

_M = TypeVar("_M", bound=models.Model)


def save_tracked(instance: _M, *, by: Any, reason: str = "") -> _M:
    """``full_clean()`` then save; django-simple-history records ``by`` and ``reason``."""
    instance.full_clean()
    instance._history_user = by  # type: ignore[attr-defined]
    instance._change_reason = reason  # type: ignore[attr-defined]
    instance.save()
    return instance


def create_tracked(model: type[_M], *, by: Any, reason: str = "", **fields: Any) -> _M:
    return save_tracked(model(**fields), by=by, reason=reason)


def _same(current: Any, new: Any) -> bool:
    if isinstance(current, models.Model) or isinstance(new, models.Model):
        return getattr(current, "pk", current) == getattr(new, "pk", new)
    return bool(current == new)


@transaction.atomic
def update_tracked(instance: _M, *, by: Any, reason: str = "", **fields: Any) -> _M:
    """Edit ``fields`` of the row as it is now (locked and re-read, never a stale copy)."""
    model = type(instance)
    blocked = set(fields) & set(getattr(model, "lifecycle_fields", ()))
    if blocked:
        raise ValidationError(
            {name: _("This changes only through its lifecycle actions.") for name in blocked}
        )
    locked = model._base_manager.select_for_update().get(pk=instance.pk)
    moved = [
        name
        for name in getattr(model, "fixed_fields", ())
        if name in fields and not _same(getattr(locked, name), fields[name])
    ]
    if moved:
        raise ValidationError(
            {name: _("This cannot change after creation; create a new record.") for name in moved}
        )
    for name, value in fields.items():
        setattr(locked, name, value)
    save_tracked(locked, by=by, reason=reason)
    instance.refresh_from_db()
    return locked


def delete_tracked(instance: models.Model, *, by: Any, reason: str = "") -> None:
    instance._history_user = by  # type: ignore[attr-defined]
    instance._change_reason = reason  # type: ignore[attr-defined]
    instance.delete()
