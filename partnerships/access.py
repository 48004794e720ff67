"""Who may do what on which country: the role catalogue and the read side of per-country grants.

Grants themselves are written by ``partnerships.services.roles``; ``country_ids_for`` is what
``CountryScopedQuerySet.restrict`` asks. A signed-in request's user and grants come from the
shared cache (``CachedModelBackend``, and the API's token authentication through
``cached_access``) under the access version, which every write to users, groups, grants,
permissions or tokens moves on (``partnerships.signals``).
"""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet
from django.utils.functional import LazyObject, empty

from openai_countries.cache import LocalCopies, VersionCounter
from partnerships.models import Country, CountryRoleGrant, Role

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
        "partnerships.accessevent": ("view",),
        "partnerships.region": ("add", "change", "delete", "view"),
        "partnerships.country": ("change", "view"),
        "partnerships.organisation": ("add", "change", "view"),
        "localization.locale": ("add", "change", "view"),
        "financing.exchangerate": ("add", "change", "view"),
    },
}
# Grants are the administrators' business, even for managers who may change everything else.
ADMINISTRATOR_ONLY_MODELS = ("countryrolegrant", "accessevent")
STAFF_ROLES = (Role.PROGRAM_MANAGER, Role.ADMINISTRATOR)


def permission_name(action: str) -> str:
    try:
        return f"partnerships.{ACTION_PERMISSIONS[action]}"
    except KeyError:
        raise ValueError(
            f"Unknown scoping action {action!r}; use one of {sorted(ACTION_PERMISSIONS)}."
        ) from None


def _unwrapped(user: Any) -> Any:
    """The user itself: request.user is a lazy wrapper whose own __dict__ is not the user's."""
    if isinstance(user, LazyObject):
        lazy: Any = user
        if lazy._wrapped is empty:
            lazy._setup()
        return lazy._wrapped
    return user


def _cache(user: Any) -> dict[str, Any]:
    # Lives on the user object: a request's user lives for one request, so no grant outlives it.
    cache: dict[str, Any] = _unwrapped(user).__dict__.setdefault("_country_access_cache", {})
    return cache


def _active(user: Any) -> bool:
    return user is not None and not isinstance(user, AnonymousUser) and bool(user.is_active)


def global_roles(user: Any) -> frozenset[str]:
    """The roles ``user`` holds on every country, from their active grants (one query, cached)."""
    if not _active(user):
        return frozenset()
    cache = _cache(user)
    if "global_roles" not in cache:
        cache["global_roles"] = frozenset(
            CountryRoleGrant.objects.filter(
                user=user, country__isnull=True, revoked_at__isnull=True
            ).values_list("role", flat=True)
        )
    roles: frozenset[str] = cache["global_roles"]
    return roles


def has_global_reach(user: Any, action: str) -> bool:
    """True when ``user`` may do ``action`` on every country.

    That takes an explicit global role (a program manager, an all-country analyst) or an active
    superuser; a model-level permission given to a group by mistake never widens anyone's reach.
    """
    permission_name(action)  # refuse unknown actions early
    if not _active(user):
        return False
    if user.is_superuser:
        return True
    return any(action in ROLE_ACTIONS[role] for role in global_roles(user))


def granted_country_ids(user: Any, action: str) -> frozenset[int]:
    """The countries on which ``user`` holds ``action`` through a per-country grant (guardian)."""
    permission_name(action)  # refuse unknown actions early
    if not _active(user):
        return frozenset()
    cache = _cache(user)
    if "granted" not in cache:
        cache["granted"] = _granted_by_action(user)
    ids: frozenset[int] = cache["granted"].get(action, frozenset())
    return ids


def _granted_by_action(user: Any) -> dict[str, frozenset[int]]:
    """Every per-country grant of ``user``, held directly or through a group, in one query:
    what ``get_objects_for_user`` answers one action at a time."""
    from django.contrib.contenttypes.models import ContentType
    from guardian.models import GroupObjectPermission, UserObjectPermission

    actions = {codename: action for action, codename in ACTION_PERMISSIONS.items()}
    content_type = ContentType.objects.get_for_model(Country)
    direct = UserObjectPermission.objects.filter(
        user=user, content_type=content_type, permission__codename__in=actions
    ).values_list("permission__codename", "object_pk")
    through_groups = GroupObjectPermission.objects.filter(
        group__user=user, content_type=content_type, permission__codename__in=actions
    ).values_list("permission__codename", "object_pk")
    granted: dict[str, set[int]] = {}
    for codename, object_pk in direct.union(through_groups):
        granted.setdefault(actions[codename], set()).add(int(object_pk))
    return {action: frozenset(ids) for action, ids in granted.items()}


def country_ids_for(user: Any, action: str) -> frozenset[int] | None:
    """Ids of the countries where ``user`` may do ``action``; ``None`` means every country."""
    if has_global_reach(user, action):
        return None
    return granted_country_ids(user, action)


def view_scope_digest(user: Any) -> str:
    """A short digest of the countries ``user`` may see ("all" for every country), for cache
    keys of what depends only on that scope; worked out once per request."""
    cache = _cache(user)
    if "view_digest" not in cache:
        visible = country_ids_for(user, "view")
        reach = "all" if visible is None else ",".join(str(pk) for pk in sorted(visible))
        cache["view_digest"] = hashlib.sha256(reach.encode()).hexdigest()[:20]
    digest: str = cache["view_digest"]
    return digest


def countries_for(user: Any, action: str) -> QuerySet[Country]:
    """The countries on which ``user`` may do ``action`` (for pickers and choice fields)."""
    ids = country_ids_for(user, action)
    return Country.objects.all() if ids is None else Country.objects.filter(pk__in=ids)


def country_or_404(user: Any, code: str, action: str = "view") -> Country:
    """The country with ISO code ``code`` when ``user`` may do ``action`` there; otherwise a
    404, exactly like a code that does not exist. Every country page starts here, so the row
    comes through the cache under the data version (a write to a country starts a new one)."""
    from django.http import Http404

    from partnerships.dashboards import DATA_VERSION

    code = code.upper()
    blob = SNAPSHOTS.get_or_set(
        f"country:{DATA_VERSION.current()}:{code}",
        lambda: pickle.dumps(Country.objects.filter(code=code).first()),
        settings.DASHBOARD_CACHE_SECONDS,
    )
    country: Country | None = pickle.loads(blob)  # noqa: S301 (our own cache)
    if country is None or not can_on_country(user, action, country):
        raise Http404
    return country


def can_on_country(user: Any, action: str, country: Country) -> bool:
    ids = country_ids_for(user, action)
    return ids is None or country.pk in ids


def holds_country_grant(user: Any, action: str, country: Country) -> bool:
    """True when ``user`` holds ``action`` on ``country`` itself, not only through a global role.

    The government side of a decision must come from someone acting for that country.
    """
    return country.pk in granted_country_ids(user, action)


def forget_cached_grants(user: Any) -> None:
    """Drop the per-user caches after grants change (Django's permission caches included)."""
    for attr in ("_country_access_cache", "_perm_cache", "_user_perm_cache", "_group_perm_cache"):
        _unwrapped(user).__dict__.pop(attr, None)


# The access snapshot ---------------------------------------------------------------------------
# Every signed-in request needs its user row and the user's grants: three queries before a page
# does anything. They are cached together under the access version, so a deactivated user, a
# changed password, a revoked grant or token applies on the very next request.
ACCESS_VERSION = VersionCounter("access:version")
SNAPSHOTS = LocalCopies(size=1024)
_GRANT_KEYS = ("global_roles", "granted")


def access_invalidate() -> None:
    ACCESS_VERSION.bump()


def grants_snapshot(user: Any) -> dict[str, Any]:
    """Everything ``country_ids_for`` needs to know of ``user``, worked out now."""
    global_roles(user)
    granted_country_ids(user, "view")
    cached = _cache(user)
    return {name: cached[name] for name in _GRANT_KEYS if name in cached}


def restore_grants(user: Any, snapshot: dict[str, Any]) -> None:
    _cache(user).update(snapshot)


def _access_key(kind: str, ident: object) -> str:
    return f"access:{ACCESS_VERSION.current()}:{kind}:{ident}"


def cached_access(kind: str, ident: object, load: Callable[[], Any]) -> Any:
    """``load()`` (a user, or something holding one) with its user's grants, through the cache:
    ``(value, grants)``, or ``None`` when ``load`` finds nothing.

    Kept pickled, in this process too: every request gets its own copy of the user."""

    def make() -> bytes:
        value = load()
        if value is None:
            return pickle.dumps(None)
        return pickle.dumps((value, grants_snapshot(getattr(value, "user", value))))

    entry = pickle.loads(  # noqa: S301 (our own cache, as Django's cache backends do)
        SNAPSHOTS.get_or_set(_access_key(kind, ident), make, settings.DASHBOARD_CACHE_SECONDS)
    )
    if entry is not None:
        value, grants = entry
        restore_grants(getattr(value, "user", value), grants)
    return entry


def cached_access_store(kind: str, ident: object, entry: Any) -> None:
    """Store ``entry`` again after changing a field no access decision reads (a token's
    last use), which is written with ``update()`` and so starts no new access version."""
    SNAPSHOTS.set(_access_key(kind, ident), pickle.dumps(entry), settings.DASHBOARD_CACHE_SECONDS)


class CachedModelBackend(ModelBackend):
    """Django's ModelBackend, with the user of a signed-in request (and their grants) read from
    the shared cache; logging in, passwords and permissions are ModelBackend's own."""

    def get_user(self, user_id: Any) -> Any:
        load = super().get_user
        entry = cached_access("user", user_id, lambda: load(user_id))
        return None if entry is None else entry[0]
