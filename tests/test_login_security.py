"""Login security and response headers."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.hashers import identify_hasher
from django.test import Client
from rest_framework.test import APIClient

from tests import factories as f

pytestmark = pytest.mark.django_db


def test_passwords_are_hashed_with_argon2(settings: Any) -> None:
    from django.conf import settings as real

    settings.PASSWORD_HASHERS = real.PASSWORD_HASHERS.__class__(
        ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    )
    user = f.UserFactory.create()
    user.set_password("a strong pass phrase")
    assert identify_hasher(user.password).algorithm == "argon2"


def test_weak_passwords_are_refused() -> None:
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="at least 12 characters"):
        validate_password("short1")
    with pytest.raises(ValidationError, match="too common"):
        validate_password("password1234")


def test_repeated_failed_logins_lock_the_account_out() -> None:
    f.UserFactory.create(username="amira", password="a strong pass phrase")
    client = APIClient()
    for _ in range(5):
        response = client.post("/api/v1/auth/token/", {"username": "amira", "password": "wrong"})
        assert response.status_code in (400, 403, 429)
    # Locked out: even the right password is refused now.
    response = client.post(
        "/api/v1/auth/token/", {"username": "amira", "password": "a strong pass phrase"}
    )
    assert response.status_code in (403, 429)
    assert "key" not in response.content.decode()


def test_a_correct_login_gets_a_token_once() -> None:
    f.UserFactory.create(username="amira", password="a strong pass phrase")
    response = APIClient().post(
        "/api/v1/auth/token/",
        {"username": "amira", "password": "a strong pass phrase", "name": "BI export"},
    )
    assert response.status_code == 201
    key = response.json()["key"]
    from partnerships.models import ApiToken

    stored = ApiToken.objects.get()
    assert key not in (stored.key_hash, stored.prefix) and stored.key_hash != key
    assert (
        APIClient().get("/api/v1/auth/tokens/", HTTP_AUTHORIZATION=f"Token {key}").status_code
        == 200
    )


def test_security_headers(make_liaison: Any, ae: Any) -> None:
    client = Client()
    client.force_login(make_liaison(ae))
    response = client.get("/api/v1/partnerships/")
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert (
        "'unsafe-inline'"
        not in response["Content-Security-Policy"].split("script-src")[1].split(";")[0]
    )
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]


def test_the_schema_and_docs_need_a_login(make_liaison: Any, ae: Any) -> None:
    for url in ("/api/schema/", "/api/docs/", "/api/redoc/"):
        assert APIClient().get(url).status_code in (401, 403), url
    client = APIClient()
    client.force_authenticate(make_liaison(ae))
    assert client.get("/api/schema/").status_code == 200
