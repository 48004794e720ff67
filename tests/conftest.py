from __future__ import annotations

from typing import Any

import pytest

from partnerships.models import Country, Role
from partnerships.services.roles import country_grant_role
from tests.factories import UserFactory, country


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    """Password hashing is deliberately slow; tests check access rules, not hash strength."""
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.Argon2PasswordHasher",
    ]


@pytest.fixture(autouse=True)
def _default_language() -> Any:
    """A request leaves its language active in the thread (as Django's LocaleMiddleware does,
    until the next request sets its own); the next test starts in the default language."""
    from django.utils import translation

    yield
    translation.deactivate()


@pytest.fixture
def ae(db: None) -> Country:
    return country("AE")


@pytest.fixture
def no(db: None) -> Country:
    return country("NO")


@pytest.fixture
def admin_user(db: None) -> Any:
    return UserFactory.create(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def manager(admin_user: Any) -> Any:
    user = UserFactory.create(username="manager")
    country_grant_role(user=user, role=Role.PROGRAM_MANAGER, by=admin_user)
    return type(user).objects.get(pk=user.pk)


@pytest.fixture
def make_liaison(admin_user: Any) -> Any:
    """Make a liaison of a country (a fresh user object, so no stale permission cache)."""

    def make(of: Country, username: str | None = None) -> Any:
        user = UserFactory.create(username=username or f"liaison-{of.iso2.lower()}")
        country_grant_role(user=user, role=Role.LIAISON, country=of, by=admin_user)
        return type(user).objects.get(pk=user.pk)

    return make
