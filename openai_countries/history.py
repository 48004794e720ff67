"""Writing through services: validate, then save with who and why recorded in the change history."""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import models

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


def update_tracked(instance: _M, *, by: Any, reason: str = "", **fields: Any) -> _M:
    for name, value in fields.items():
        setattr(instance, name, value)
    return save_tracked(instance, by=by, reason=reason)


def delete_tracked(instance: models.Model, *, by: Any, reason: str = "") -> None:
    instance._history_user = by  # type: ignore[attr-defined]
    instance._change_reason = reason  # type: ignore[attr-defined]
    instance.delete()
