"""The base page views and forms enforce scoping the same way the API does."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from openai_countries.testing import grant_change_on
from openai_countries.views import ScopedListView
from partnerships.models import AccessEvent, Partnership
from tests import factories as f

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.scoped_pages")]


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_overriding_get_queryset_fails_at_import_time() -> None:
    with pytest.raises(ImproperlyConfigured, match="overrides get_queryset"):

        class Bypass(ScopedListView):
            model = Partnership

            def get_queryset(self) -> Any:
                return Partnership.objects.all()


def test_anonymous_users_go_to_the_login_page(settings: Any) -> None:
    settings.LOGIN_URL = "/accounts/login/"
    response = Client().get("/partnerships/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_user_with_no_country_gets_403() -> None:
    assert signed_in(f.UserFactory.create()).get("/partnerships/").status_code == 403


def test_liaison_sees_own_country_and_404_for_others(make_liaison: Any, ae: Any, no: Any) -> None:
    own, foreign = (
        f.PartnershipFactory.create(lead_country=ae),
        f.PartnershipFactory.create(lead_country=no),
    )
    client = signed_in(make_liaison(ae))
    assert client.get("/partnerships/").content.decode() == own.code
    assert client.get(f"/partnerships/{own.pk}/").status_code == 200
    assert client.get(f"/partnerships/{foreign.pk}/").status_code == 404
    assert AccessEvent.objects.filter(kind="denied", target__contains=str(foreign.pk)).exists()


def test_country_data_is_not_cached(make_liaison: Any, ae: Any) -> None:
    f.PartnershipFactory.create(lead_country=ae)
    response = signed_in(make_liaison(ae)).get("/partnerships/")
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


def test_form_choices_are_restricted_and_a_foreign_choice_is_refused(ae: Any, no: Any) -> None:
    editor = grant_change_on(f.UserFactory.create(), ae)
    commitment = f.CommitmentFactory.create(
        partnership=f.PartnershipFactory.create(lead_country=ae)
    )
    foreign_partnership = f.PartnershipFactory.create(lead_country=no)
    client = signed_in(editor)
    url = f"/commitments/{commitment.pk}/edit/"
    ok = client.post(
        url, {"partnership": commitment.partnership_id, "country": ae.pk, "description": "x"}
    )
    assert ok.content == b"valid"
    moved = client.post(
        url, {"partnership": foreign_partnership.pk, "country": no.pk, "description": "x"}
    )
    assert moved.status_code == 400
    import json

    errors = json.loads(moved.content)
    assert "partnership" in errors and "country" in errors
    assert "Select a valid choice" in errors["partnership"][0]["message"]


def test_writes_need_the_change_action(make_liaison: Any, ae: Any) -> None:
    commitment = f.CommitmentFactory.create(
        partnership=f.PartnershipFactory.create(lead_country=ae)
    )
    client = signed_in(make_liaison(ae))
    assert client.post(f"/commitments/{commitment.pk}/edit/", {}).status_code == 403
