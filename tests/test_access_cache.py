"""The access snapshot: a signed-in request's user and grants come from the shared cache, and
every change to who may do what applies on the very next request."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from guardian.shortcuts import remove_perm

from openai_countries.cache import VersionCounter
from partnerships.models import Country, Role
from partnerships.services.roles import country_revoke_role, role_group_name
from partnerships.services.tokens import api_token_create, api_token_revoke
from tests import factories as f


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _country_page(client: Client, code: str = "AE") -> int:
    return client.get(reverse("country-dashboard", args=[code])).status_code


def test_a_warm_request_reads_neither_the_user_nor_the_grants(
    ae: Country, make_liaison: Any
) -> None:
    f.PartnershipFactory.create(lead_country=ae)
    client = signed_in(make_liaison(ae))
    assert _country_page(client) == 200
    with CaptureQueriesContext(connection) as warm:
        assert _country_page(client) == 200
    tables = " ".join(query["sql"] for query in warm.captured_queries)
    assert "auth_user" not in tables
    assert "countryrolegrant" not in tables
    assert "objectpermission" not in tables


def test_a_revoked_grant_applies_on_the_next_request(
    ae: Country, make_liaison: Any, admin_user: Any
) -> None:
    liaison = make_liaison(ae)
    client = signed_in(liaison)
    assert _country_page(client) == 200
    country_revoke_role(user=liaison, role=Role.LIAISON, country=ae, by=admin_user)
    assert _country_page(client) == 404


def test_group_and_permission_changes_apply_on_the_next_request(
    ae: Country, no: Country, make_liaison: Any
) -> None:
    liaison = make_liaison(ae)
    client = signed_in(liaison)
    assert _country_page(client) == 200
    group = Group.objects.get(name=role_group_name(Role.LIAISON, ae))
    remove_perm("partnerships.view_country_data", group, ae)
    assert _country_page(client) == 404

    other = make_liaison(no, username="second")
    client = signed_in(other)
    assert _country_page(client, "NO") == 200
    other.groups.clear()
    assert _country_page(client, "NO") == 404


def test_a_deactivated_user_is_signed_out_on_the_next_request(
    ae: Country, make_liaison: Any
) -> None:
    liaison = make_liaison(ae)
    client = signed_in(liaison)
    assert _country_page(client) == 200
    liaison.is_active = False
    liaison.save()
    response = client.get(reverse("country-dashboard", args=["AE"]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_changed_password_ends_other_sessions(ae: Country, make_liaison: Any) -> None:
    liaison = make_liaison(ae)
    client = signed_in(liaison)
    assert _country_page(client) == 200
    liaison.set_password("another-long-password-2026")
    liaison.save()
    assert client.get(reverse("country-dashboard", args=["AE"])).status_code == 302


def test_a_revoked_token_is_refused_on_the_next_request(ae: Country, make_liaison: Any) -> None:
    liaison = make_liaison(ae)
    token, key = api_token_create(user=liaison, name="script")
    client = Client(HTTP_AUTHORIZATION=f"Token {key}")
    url = reverse("partnership-list")
    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as warm:
        assert client.get(url).status_code == 200
    assert "apitoken" not in " ".join(q["sql"] for q in warm.captured_queries)
    api_token_revoke(token=token, by=liaison)
    assert client.get(url).status_code == 401


def test_a_tokens_last_use_is_written_once_a_minute_not_on_every_request(
    ae: Country, make_liaison: Any
) -> None:
    token, key = api_token_create(user=make_liaison(ae), name="script")
    client = Client(HTTP_AUTHORIZATION=f"Token {key}")
    url = reverse("partnership-list")
    client.get(url)
    token.refresh_from_db()
    first_use = token.last_used_at
    assert first_use is not None
    with CaptureQueriesContext(connection) as again:
        client.get(url)
    assert not [q for q in again.captured_queries if q["sql"].startswith("UPDATE")]
    token.refresh_from_db()
    assert token.last_used_at == first_use


def test_a_version_moves_again_when_the_write_commits(
    db: None, django_capture_on_commit_callbacks: Any
) -> None:
    """A reader between a write and its commit sees the old rows: whatever it caches under the
    number of that moment must never be read after the commit."""
    counter = VersionCounter("test:version")
    before = counter.current()
    with django_capture_on_commit_callbacks(execute=True):
        counter.bump()
        during = counter.current()
        assert during > before
    assert counter.current() == during + 1


def test_a_request_reads_the_versions_once_and_its_own_writes(db: None) -> None:
    from django.core.cache import cache
    from django.core.signals import request_finished, request_started

    from partnerships.access import ACCESS_VERSION
    from partnerships.dashboards import DATA_VERSION

    request_started.send(sender=None)
    try:
        seen = DATA_VERSION.current()
        cache.incr(DATA_VERSION.key)  # another process's write
        assert DATA_VERSION.current() == seen, "read once per request"
        ACCESS_VERSION.current()
        DATA_VERSION.bump()  # this request's own write
        assert DATA_VERSION.current() > seen + 1
    finally:
        request_finished.send(sender=None)
    assert DATA_VERSION.current() > seen + 1


def test_the_session_is_read_with_the_versions_and_survives_an_emptied_cache(
    ae: Country, make_liaison: Any, monkeypatch: Any
) -> None:
    """A signed-in request reads its session and every version counter in one cache read, and a
    session the cache no longer holds is read from the database: nobody is signed out."""
    from django.core.cache import cache

    f.PartnershipFactory.create(lead_country=ae)
    client = signed_in(make_liaison(ae))
    assert _country_page(client) == 200
    reads: list[str] = []

    def counted(name: str) -> Any:
        original = getattr(cache, name)

        def read(*args: Any, **kwargs: Any) -> Any:
            reads.append(name)
            return original(*args, **kwargs)

        return read

    for name in ("get", "get_many"):
        monkeypatch.setattr(cache, name, counted(name))
    with CaptureQueriesContext(connection) as warm:
        assert _country_page(client) == 200
    assert reads[0] == "get_many" and "get_many" not in reads[1:], reads
    assert "django_session" not in " ".join(q["sql"] for q in warm.captured_queries)

    cache.clear()
    with CaptureQueriesContext(connection) as cold:
        assert _country_page(client) == 200
    assert "django_session" in " ".join(q["sql"] for q in cold.captured_queries)
