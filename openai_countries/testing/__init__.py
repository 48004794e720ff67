"""Generic access-control test bundles (DESIGN.md section 6).

Each API endpoint declares an ``EndpointCase``: how to make one of its rows in a given country and,
for writable endpoints, a valid create payload. ``run_bundle`` then asserts, for that endpoint:
anonymous -> 401; no grant -> 403; a liaison sees only their country's rows (another country's row
is absent from lists and counts and is a 404 on detail, for reads, writes and custom actions); a
liaison cannot write; a holder of ``change`` on one country cannot create in, move to, update or
delete from another (400 for the foreign choice, 404 for the foreign row); a program manager can.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.urls import reverse
from guardian.shortcuts import assign_perm
from rest_framework.test import APIClient

from partnerships.models import Country


@dataclass
class EndpointCase:
    basename: str
    make: Callable[[Country], models.Model]
    create: Callable[[Country], dict[str, Any]] | None = None
    update: dict[str, Any] | None = None
    # Custom detail actions and a body for each: ``{"advance": {"to_stage": "scoping"}}``.
    actions: dict[str, dict[str, Any]] = field(default_factory=dict)
    deletable: bool = True

    def __str__(self) -> str:
        return self.basename


def list_url(case: EndpointCase) -> str:
    return reverse(f"{case.basename}-list")


def detail_url(case: EndpointCase, obj: models.Model) -> str:
    return reverse(f"{case.basename}-detail", args=[obj.pk])


def action_url(case: EndpointCase, obj: models.Model, name: str) -> str:
    return reverse(f"{case.basename}-{name.replace('_', '-')}", args=[obj.pk])


def client_for(user: Any) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def all_ids(client: APIClient, url: str) -> list[int]:
    """Every id a list shows, following every page."""
    ids: list[int] = []
    next_url: str | None = url
    while next_url:
        response = client.get(next_url)
        assert response.status_code == 200, (url, response.status_code, response.content[:300])
        body = response.json()
        ids += [row["id"] for row in body["results"]]
        next_url = body["next"]
    return ids


def grant_change_on(user: Any, country: Country) -> Any:
    """A user who may change one country's data: a per-country manager, made directly."""
    assign_perm("partnerships.view_country_data", user, country)
    assign_perm("partnerships.change_country_data", user, country)
    return type(user).objects.get(pk=user.pk)


def run_bundle(
    case: EndpointCase,
    *,
    own: Country,
    other: Country,
    liaison: Any,
    outsider: Any,
    manager: Any,
    country_manager: Any,
) -> None:
    """Every access assertion for one endpoint; the liaison and country manager act for ``own``."""
    mine, theirs = case.make(own), case.make(other)
    model = type(mine)

    # Anonymous: 401 on every route.
    anonymous = client_for(None)
    assert anonymous.get(list_url(case)).status_code == 401
    assert anonymous.get(detail_url(case, mine)).status_code == 401

    # No grant at all: 403 (the action is held on no country).
    nobody = client_for(outsider)
    assert nobody.get(list_url(case)).status_code == 403
    assert nobody.get(detail_url(case, mine)).status_code == 403

    # A liaison reads their country only; another country's row does not exist for them.
    liaison_client = client_for(liaison)
    ids = all_ids(liaison_client, list_url(case))
    assert mine.pk in ids
    assert theirs.pk not in ids
    count = liaison_client.get(list_url(case)).json()["count"]
    visible = model._default_manager.restrict(liaison, "view").count()  # type: ignore[attr-defined]
    assert count == visible
    assert liaison_client.get(detail_url(case, mine)).status_code == 200
    assert liaison_client.get(detail_url(case, theirs)).status_code == 404
    for name, body in case.actions.items():
        response = liaison_client.post(action_url(case, theirs, name), body)
        assert response.status_code in (403, 404), (name, response.status_code)

    # A liaison cannot write (no change action on any country).
    if case.create is not None:
        assert liaison_client.post(list_url(case), case.create(own)).status_code == 403
    if case.update is not None:
        response = liaison_client.patch(detail_url(case, mine), case.update)
        assert response.status_code == 403
    if case.deletable:
        assert liaison_client.delete(detail_url(case, mine)).status_code == 403
    assert model._base_manager.filter(pk=mine.pk).exists()

    # A manager of one country cannot reach, create in or move to another.
    scoped = client_for(country_manager)
    if case.create is not None:
        before = model._base_manager.count()
        response = scoped.post(list_url(case), case.create(other))
        assert response.status_code == 400, (response.status_code, response.content[:300])
        assert model._base_manager.count() == before
        response = scoped.post(list_url(case), case.create(own))
        assert response.status_code == 201, response.content[:500]
    if case.update is not None:
        assert scoped.patch(detail_url(case, theirs), case.update).status_code == 404
        version = scoped.get(detail_url(case, mine)).json()["version"]
        response = scoped.patch(detail_url(case, mine), {**case.update, "version": version})
        assert response.status_code == 200, response.content[:500]
    if case.deletable:
        assert scoped.delete(detail_url(case, theirs)).status_code == 404
        assert model._base_manager.filter(pk=theirs.pk).exists()

    # A program manager sees both countries.
    manager_ids = all_ids(client_for(manager), list_url(case))
    assert {mine.pk, theirs.pk} <= set(manager_ids)
