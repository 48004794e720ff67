"""Granting and revoking per-country roles through django-guardian groups, with a record of each."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from guardian.shortcuts import assign_perm

from partnerships.access import (
    ACTION_PERMISSIONS,
    ADMINISTRATOR_ONLY_MODELS,
    ROLE_ACTIONS,
    ROLE_MODEL_PERMISSIONS,
    STAFF_ROLES,
    forget_cached_grants,
)
from partnerships.models import (
    GLOBAL_ONLY_ROLES,
    AccessEventKind,
    Country,
    CountryRoleGrant,
    Role,
)
from partnerships.services.audit import access_event_record


def role_group_name(role: str, country: Country | None) -> str:
    """A stable group name (codes, never translated labels: it is looked up again on revoke)."""
    return f"{country.iso2}:{role}" if country else f"*:{role}"


def _model_permissions(role: str) -> list[Permission]:
    """The Django model permissions (``<action>_<model>``) a global role brings."""
    perms: list[Permission] = []
    for target, actions in ROLE_MODEL_PERMISSIONS.get(role, {}).items():
        app, model = target.split(".")
        candidates = Permission.objects.filter(content_type__app_label=app).select_related(
            "content_type"
        )
        if model == "*":
            candidates = candidates.exclude(content_type__model__in=ADMINISTRATOR_ONLY_MODELS)
        else:
            candidates = candidates.filter(content_type__model=model)
        perms += [
            p
            for p in candidates
            if p.codename in {f"{action}_{p.content_type.model}" for action in actions}
            and not p.content_type.model.startswith("historical")
        ]
    return perms


def _role_group(role: str, country: Country | None) -> Group:
    """The group carrying ``role`` on ``country`` (or globally), with its permissions in place."""
    group, _created = Group.objects.get_or_create(name=role_group_name(role, country))
    codenames = [ACTION_PERMISSIONS[action] for action in ROLE_ACTIONS[role]]
    if country is None:
        perms = Permission.objects.filter(
            content_type__app_label="partnerships", codename__in=codenames
        )
        group.permissions.add(*perms, *_model_permissions(role))
    else:
        for codename in codenames:
            assign_perm(f"partnerships.{codename}", group, country)
    return group


@transaction.atomic
def country_grant_role(
    *, user: Any, role: str, country: Country | None = None, by: Any
) -> CountryRoleGrant:
    """Give ``user`` ``role`` on ``country`` (``None``: all countries) and record who did it."""
    if role not in Role.values:
        raise ValidationError({"role": _("Unknown role %(role)s.") % {"role": role}})
    if role in GLOBAL_ONLY_ROLES and country is not None:
        raise ValidationError(
            {
                "country": _("%(role)s is a global role; leave the country empty.")
                % {"role": Role(role).label}
            }
        )
    if role == Role.LIAISON and country is None:
        raise ValidationError({"country": _("A country liaison needs a country.")})
    existing = CountryRoleGrant.objects.filter(
        user=user, role=role, country=country, revoked_at__isnull=True
    ).first()
    if existing:
        return existing
    grant = CountryRoleGrant(user=user, role=role, country=country, granted_by=by)
    grant.full_clean()
    grant._history_user = by  # type: ignore[attr-defined]
    grant.save()
    user.groups.add(_role_group(role, country))
    access_event_record(
        user=by,
        kind=AccessEventKind.GRANT,
        allowed=True,
        country=country,
        target=f"{user.get_username()}: {role}",
        detail={"grant": grant.pk},
    )
    if role in STAFF_ROLES and not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    forget_cached_grants(user)
    return grant


@transaction.atomic
def country_revoke_role(
    *, user: Any, role: str, country: Country | None = None, by: Any
) -> CountryRoleGrant:
    """Withdraw an active grant; the row stays as the record of who revoked it and when."""
    grant = (
        CountryRoleGrant.objects.select_for_update()
        .filter(user=user, role=role, country=country, revoked_at__isnull=True)
        .first()
    )
    if grant is None:
        raise ValidationError(
            _("%(user)s holds no active %(role)s grant there.")
            % {"user": user, "role": Role(role).label}
        )
    grant.revoked_at = timezone.now()
    grant.revoked_by = by
    grant._history_user = by  # type: ignore[attr-defined]
    grant.save()
    user.groups.remove(Group.objects.get(name=role_group_name(role, country)))
    access_event_record(
        user=by,
        kind=AccessEventKind.REVOKE,
        allowed=True,
        country=country,
        target=f"{user.get_username()}: {role}",
        detail={"grant": grant.pk},
    )
    if role in STAFF_ROLES and not user.is_superuser:
        still_staff = CountryRoleGrant.objects.filter(
            user=user, role__in=STAFF_ROLES, revoked_at__isnull=True
        ).exists()
        if not still_staff:
            user.is_staff = False
            user.save(update_fields=["is_staff"])
    forget_cached_grants(user)
    return grant
