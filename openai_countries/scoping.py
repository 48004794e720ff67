"""Per-country scoping: the one place where rows are limited to the countries a user may see.

Every country-scoped model declares ``country_lookup``, the ORM path from the model to its
``partnerships.Country`` (``"country"`` where the row has a direct foreign key, which is preferred),
and uses ``CountryScopedQuerySet`` as its manager. Reads go through ``restrict(user, action)``.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import TYPE_CHECKING, Any, Self, TypeVar

from django.db import models
from django.db.models import Q

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

_M = TypeVar("_M", bound=models.Model)


@cache
def _crosses_many(model: type[models.Model], lookup: str) -> bool:
    """True when ``lookup`` follows a to-many relation, so a plain filter could repeat rows."""
    current: Any = model
    for part in lookup.split("__"):
        field = current._meta.get_field(part)
        if field.many_to_many or field.one_to_many:
            return True
        if field.related_model is None:
            return False
        current = field.related_model
    return False


class CountryScopedQuerySet(models.QuerySet[_M]):
    def in_countries(self, countries: Iterable[int] | models.QuerySet[Any]) -> Self:
        """Rows that belong to any of ``countries`` (Country ids or a Country queryset).

        ``country_lookup`` is one path, or a tuple of paths when a row reaches countries in more
        than one way (a report run: its country, or its partnership's countries).
        """
        declared = self.model.country_lookup  # type: ignore[attr-defined]
        lookups: tuple[str, ...] = declared if isinstance(declared, tuple) else (declared,)
        condition = Q()
        for lookup in lookups:
            condition |= Q(**{f"{lookup}__in": countries})
        if any(_crosses_many(self.model, lookup) for lookup in lookups):
            # A subquery keeps each row once without DISTINCT (which breaks ordering and counts).
            return self.filter(pk__in=self.model._base_manager.filter(condition).values("pk"))
        return self.filter(condition)

    def restrict(self, user: AbstractBaseUser | AnonymousUser, action: str = "view") -> Self:
        """Rows of the countries on which ``user`` may do ``action``; nothing for anyone else."""
        from partnerships.access import country_ids_for

        country_ids = country_ids_for(user, action)
        if country_ids is None:
            return self
        if not country_ids:
            return self.none()
        return self.in_countries(country_ids)


CountryScopedManager = models.Manager.from_queryset(CountryScopedQuerySet)


def is_country_scoped(model: Any) -> bool:
    """True for models whose rows belong to countries (they declare ``country_lookup``)."""
    return hasattr(model, "country_lookup") and isinstance(
        model._default_manager.all(), CountryScopedQuerySet
    )
