"""Who may do what on which country: the role catalogue and the read side of per-country grants.

Grants themselves are written by ``partnerships.services.roles``; ``country_ids_for`` is what
``CountryScopedQuerySet.restrict`` asks.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from guardian.shortcuts import get_objects_for_user

from partnerships.models import Country, Role

# Scoping action -> permission codename on Country.
ACTION_PERMISSIONS: dict[str, str] = {
    "view": "view_country_data",
    "change": "change_country_data",
    "confirm": "confirm_country_figures",
    "sign_off": "sign_off_country",
    "export": "export_country_reports",
}

# What each role may do with a country's data.
ROLE_ACTIONS: dict[str, tuple[str, ...]] = {
    Role.PROGRAM_MANAGER: ("view", "change", "sign_off", "export"),
    Role.LIAISON: ("view", "confirm", "sign_off", "export"),
    Role.ANALYST: ("view", "export"),
    Role.ADMINISTRATOR: (),
}

# Django model permissions (used by the admin) that come with the global roles, as
# "app_label.model" -> actions. Program managers work on all domain data; administrators on
# users, grants and reference data.
DOMAIN_APPS = ("partnerships", "infrastructure", "financing", "localization")
ROLE_MODEL_PERMISSIONS: dict[str, dict[str, tuple[str, ...]]] = {
    Role.PROGRAM_MANAGER: {f"{app}.*": ("add", "change", "delete", "view") for app in DOMAIN_APPS},
    Role.ADMINISTRATOR: {
        "auth.user": ("add", "change", "view"),
        "auth.group": ("view",),
        "partnerships.countryrolegrant": ("add", "change", "view"),
        "partnerships.region": ("add", "change", "delete", "view"),
        "partnerships.country": ("change", "view"),
        "partnerships.organisation": ("add", "change", "view"),
        "localization.locale": ("add", "change", "view"),
        "financing.exchangerate": ("add", "change", "view"),
    },
}
# Grants are the administrators' business, even for managers who may change everything else.
ADMINISTRATOR_ONLY_MODELS = ("countryrolegrant",)
STAFF_ROLES = (Role.PROGRAM_MANAGER, Role.ADMINISTRATOR)


def permission_name(action: str) -> str:
    try:
        return f"partnerships.{ACTION_PERMISSIONS[action]}"
    except KeyError:
        raise ValueError(
            f"Unknown scoping action {action!r}; use one of {sorted(ACTION_PERMISSIONS)}."
        ) from None


def country_ids_for(user: Any, action: str) -> frozenset[int] | None:
    """The ids of the countries on which ``user`` may do ``action``; ``None`` means every country.

    Resolved once per user object (a request's user lives for the request) and cached on it.
    """
    perm = permission_name(action)
    if user is None or isinstance(user, AnonymousUser) or not user.is_active:
        return frozenset()
    cache: dict[str, frozenset[int] | None] = user.__dict__.setdefault("_country_ids_cache", {})
    if action not in cache:
        if user.has_perm(perm):
            cache[action] = None
        else:
            countries = get_objects_for_user(
                user, perm, klass=Country, accept_global_perms=False, with_superuser=False
            )
            cache[action] = frozenset(countries.values_list("pk", flat=True))
    return cache[action]


def can_on_country(user: Any, action: str, country: Country) -> bool:
    ids = country_ids_for(user, action)
    return ids is None or country.pk in ids


def holds_country_grant(user: Any, action: str, country: Country) -> bool:
    """True when ``user`` holds ``action`` on ``country`` itself, not only as a global role.

    The government side of a decision must come from someone acting for that country.
    """
    ids = country_ids_for(user, action)
    if ids is None:
        countries = get_objects_for_user(
            user,
            permission_name(action),
            klass=Country.objects.filter(pk=country.pk),
            accept_global_perms=False,
            with_superuser=False,
        )
        return countries.exists()
    return country.pk in ids


def forget_cached_grants(user: Any) -> None:
    """Drop the per-user caches after grants change (permission caches included)."""
    for attr in ("_country_ids_cache", "_perm_cache", "_user_perm_cache", "_group_perm_cache"):
        user.__dict__.pop(attr, None)
