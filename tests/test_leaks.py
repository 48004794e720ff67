"""Logged in as every demo liaison, walk every API list (all pages): every row shown belongs to the
liaison's country, and another country's id in any detail URL is a 404."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db.models import Q
from django.urls import reverse

from openai_countries.api.urls import router
from openai_countries.scoping import is_country_scoped
from openai_countries.testing import all_ids, client_for

pytestmark = pytest.mark.django_db

SCOPED: list[tuple[str, Any]] = [
    (basename, queryset.model)
    for _prefix, viewset, basename in router.registry
    if (queryset := getattr(viewset, "queryset", None)) is not None
    and is_country_scoped(queryset.model)
]


@pytest.fixture(scope="module")
def demo(django_db_setup: Any, django_db_blocker: Any) -> Any:
    with django_db_blocker.unblock():
        from django.db import transaction

        atomic = transaction.atomic()
        atomic.__enter__()
        call_command("load_demo", stdout=StringIO())
        yield
        transaction.set_rollback(True)
        atomic.__exit__(None, None, None)


def belongs_to(model: Any, country_id: int) -> Q:
    """Rows of ``model`` in the country, from the declared path alone (no restrict())."""
    declared = model.country_lookup
    lookups = declared if isinstance(declared, tuple) else (declared,)
    condition = Q()
    for lookup in lookups:
        condition |= Q(**{lookup: country_id})
    return condition


def liaisons() -> list[Any]:
    from django.contrib.auth import get_user_model

    return list(
        get_user_model().objects.filter(username__startswith="liaison-").order_by("username")
    )


def test_every_liaison_sees_only_their_country(demo: None) -> None:
    from partnerships.models import Country

    checked = 0
    for liaison in liaisons():
        country = Country.objects.get(code=liaison.username.removeprefix("liaison-").upper())
        client = client_for(liaison)
        for basename, model in SCOPED:
            shown = all_ids(client, reverse(f"{basename}-list") + "?page_size=7")
            outside = model._base_manager.filter(pk__in=shown).exclude(
                belongs_to(model, country.pk)
            )
            assert not outside.exists(), (liaison.username, basename, list(outside[:3]))
            expected = model._base_manager.filter(belongs_to(model, country.pk)).distinct().count()
            assert len(shown) == len(set(shown)) == expected, (liaison.username, basename)
            checked += len(shown)
    assert checked > 100


def test_another_countrys_ids_are_404_everywhere(demo: None) -> None:
    from partnerships.models import Country

    for liaison in liaisons()[:5]:
        country = Country.objects.get(code=liaison.username.removeprefix("liaison-").upper())
        client = client_for(liaison)
        for basename, model in SCOPED:
            foreign = model._base_manager.exclude(belongs_to(model, country.pk)).first()
            if foreign is None:
                continue
            url = reverse(f"{basename}-detail", args=[foreign.pk])
            assert client.get(url).status_code == 404, (liaison.username, basename)
