"""Signal receivers: a signed-in user's language follows them from browser to browser, every
write to the program's data invalidates the cached dashboard rollups, and every write to who
may do what (users, groups, grants, permissions, tokens) the cached access snapshots."""

from __future__ import annotations

from functools import cache
from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from openai_countries.middleware import LANGUAGE_SESSION_KEY


@receiver(user_logged_in)
def apply_language_preference(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    from partnerships.models import UserPreference

    preference = UserPreference.objects.filter(user=user).first()
    if preference is not None and request is not None and hasattr(request, "session"):
        request.session[LANGUAGE_SESSION_KEY] = preference.language


# Writes that change no dashboard figure: the audit trail (written on reads), report runs,
# tokens, preferences and subscriptions, and history rows (their model's own save counts).
NOT_ROLLED_UP = {
    "AccessEvent", "ReportRun", "ReportSubscription", "ApiToken", "UserPreference",
    "CountryRoleGrant",
}  # fmt: skip
ROLLED_UP_APPS = {"partnerships", "infrastructure", "financing", "localization"}


def changes_rollups(sender: Any) -> bool:
    """True when a write to ``sender`` (a model) starts a new data version: the dashboards and
    the lists' cached counts and filter forms depend on it."""
    meta = getattr(sender, "_meta", None)
    return (
        meta is not None
        and meta.app_label in ROLLED_UP_APPS
        and sender.__name__ not in NOT_ROLLED_UP
        and not sender.__name__.startswith("Historical")
    )


@receiver(post_save)
@receiver(post_delete)
@receiver(m2m_changed)
def invalidate_dashboards(sender: Any, **kwargs: Any) -> None:
    if changes_rollups(sender) or changes_rollups(
        getattr(kwargs.get("instance"), "__class__", None)
    ):
        from partnerships.dashboards import dashboards_invalidate

        dashboards_invalidate()


@cache
def _access_models() -> frozenset[Any]:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group, Permission
    from guardian.models import GroupObjectPermission, UserObjectPermission

    from partnerships.models import ApiToken, CountryRoleGrant

    user = get_user_model()
    return frozenset(
        {
            user,
            user.groups.through,
            user.user_permissions.through,
            Group,
            Group.permissions.through,
            Permission,
            UserObjectPermission,
            GroupObjectPermission,
            CountryRoleGrant,
            ApiToken,
        }
    )


def changes_access(sender: Any) -> bool:
    """True when a write to ``sender`` (a model) may change who someone is or what they may
    reach: the cached users, grants and tokens (``partnerships.access``) depend on it."""
    return sender in _access_models()


@receiver(post_save)
@receiver(post_delete)
@receiver(m2m_changed)
def invalidate_access(sender: Any, **kwargs: Any) -> None:
    if changes_access(sender):
        from partnerships.access import access_invalidate

        access_invalidate()


@receiver(post_save, sender="partnerships.Milestone")
@receiver(post_delete, sender="partnerships.Milestone")
def milestone_written(sender: Any, instance: Any, **kwargs: Any) -> None:
    """A milestone write leaves its partnership's kept attention signals stale, in the same
    transaction (``partnerships/rollups.py``)."""
    from partnerships.rollups import deleted_with_partnership, mark_signals_stale

    if not deleted_with_partnership(kwargs):
        mark_signals_stale([instance.partnership_id])
