"""Administrators who are not superusers manage users, but roles only through recorded grants."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from partnerships.models import CountryRoleGrant, Role
from partnerships.services.roles import country_grant_role
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def administrator(admin_user: Any) -> Client:
    user = f.UserFactory.create(username="administrator")
    country_grant_role(user=user, role=Role.ADMINISTRATOR, by=admin_user)
    client = Client()
    client.force_login(type(user).objects.get(pk=user.pk))
    return client


def test_an_administrator_cannot_make_a_superuser_or_join_groups(
    administrator: Client, ae: Any
) -> None:
    target = f.UserFactory.create(username="amira")
    page = administrator.get(f"/admin/auth/user/{target.pk}/change/")
    assert page.status_code == 200
    for field in ("is_superuser", "is_staff", "groups", "user_permissions"):
        assert f'name="{field}"' not in page.content.decode()
    response = administrator.post(
        f"/admin/auth/user/{target.pk}/change/",
        {
            "username": "amira",
            "is_active": "on",
            "is_superuser": "on",
            "is_staff": "on",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
        },
    )
    assert response.status_code == 302
    target.refresh_from_db()
    assert not target.is_superuser and not target.is_staff
    assert not target.groups.exists() and not CountryRoleGrant.objects.filter(user=target).exists()


def test_an_administrator_cannot_edit_a_superuser(administrator: Client, admin_user: Any) -> None:
    page = administrator.get(f"/admin/auth/user/{admin_user.pk}/change/")
    assert page.status_code == 200  # view only
    assert 'name="username"' not in page.content.decode()
    response = administrator.post(
        f"/admin/auth/user/{admin_user.pk}/change/", {"username": "taken-over", "is_active": ""}
    )
    assert response.status_code == 403
    assert administrator.get(f"/admin/auth/user/{admin_user.pk}/password/").status_code == 403
    admin_user.refresh_from_db()
    assert admin_user.username == "root" and admin_user.is_active
