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


@cache
def _through_step(model: type[models.Model], lookup: str) -> tuple[str, Any, str, str] | None:
    """For a lookup that ends in a many-to-many to the countries and crosses nothing else to
    many ("countries", "partnership__countries"): the path to the model that holds the field,
    its through model, and the through model's fields to that model and to the country."""
    *path, last = lookup.split("__")
    current: Any = model
    for part in path:
        field = current._meta.get_field(part)
        if field.many_to_many or field.one_to_many or field.related_model is None:
            return None
        current = field.related_model
    field = current._meta.get_field(last)
    if not isinstance(field, models.ManyToManyField):
        return None
    through = field.remote_field.through
    return "__".join(path), through, field.m2m_field_name(), field.m2m_reverse_field_name()


class CountryScopedQuerySet(models.QuerySet[_M]):
    def in_countries(self, countries: Iterable[int] | models.QuerySet[Any]) -> Self:
        """Rows that belong to any of ``countries`` (Country ids or a Country queryset).

        ``country_lookup`` is one path, or a tuple of paths when a row reaches countries in more
        than one way (a report run: its country, or its partnership's countries).
        """
        declared = self.model.country_lookup  # type: ignore[attr-defined]
        lookups: tuple[str, ...] = declared if isinstance(declared, tuple) else (declared,)
        condition = Q()
        repeats = False
        for lookup in lookups:
            step = _through_step(self.model, lookup)
            if step is None:
                condition |= Q(**{f"{lookup}__in": countries})
                repeats = repeats or _crosses_many(self.model, lookup)
                continue
            # The holders taking part in the countries, from the through table alone: no
            # join back to this model, and a plan that costs a fraction of the join's.
            path, through, holder, country = step
            holders = through._base_manager.filter(**{f"{country}__in": countries}).values(holder)
            condition |= Q(**{f"{path}__in" if path else "pk__in": holders})
        if repeats:
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
