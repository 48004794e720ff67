"""Concurrent edits: every update names the version it edited; a stale one changes nothing."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from djmoney.money import Money

from openai_countries.testing import client_for
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def commitment(ae: Any) -> Any:
    return f.CommitmentFactory.create(
        partnership=f.PartnershipFactory.create(lead_country=ae), amount=Money("1000", "USD")
    )


def test_the_second_of_two_edits_gets_the_conflict_and_nothing_is_lost(
    manager: Any, commitment: Any
) -> None:
    url = f"/api/v1/commitments/{commitment.pk}/"
    first, second = client_for(manager), client_for(manager)
    read_first, read_second = first.get(url), second.get(url)
    assert read_first["ETag"] == read_second["ETag"]
    saved = first.patch(url, {"description": "Board approved"}, HTTP_IF_MATCH=read_first["ETag"])
    assert saved.status_code == 200
    assert saved["ETag"] != read_first["ETag"]
    stale = second.patch(url, {"amount": "2000"}, HTTP_IF_MATCH=read_second["ETag"])
    assert stale.status_code == 412
    assert stale.json()["current"]["description"] == "Board approved"
    assert stale["ETag"] == saved["ETag"]
    commitment.refresh_from_db()
    assert (commitment.description, commitment.amount) == ("Board approved", Money("1000", "USD"))
    # re-applied on the current state, the edit goes through
    retried = second.patch(url, {"amount": "2000", "version": stale.json()["current"]["version"]})
    assert retried.status_code == 200
    commitment.refresh_from_db()
    assert (commitment.description, commitment.amount) == ("Board approved", Money("2000", "USD"))


def test_an_edit_without_a_version_is_refused(manager: Any, commitment: Any) -> None:
    response = client_for(manager).patch(
        f"/api/v1/commitments/{commitment.pk}/", {"description": "x"}
    )
    assert response.status_code == 428
    commitment.refresh_from_db()
    assert commitment.description == ""


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_simultaneous_edits_in_threads_never_both_win(manager: Any, commitment: Any) -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL (CI runs it)")
    url = f"/api/v1/commitments/{commitment.pk}/"
    version = client_for(manager).get(url).json()["version"]
    results: list[int] = []

    def edit(text: str) -> None:
        from django.db import connections

        try:
            response = client_for(manager).patch(url, {"description": text, "version": version})
            results.append(response.status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=edit, args=(f"edit {n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [200, 412, 412, 412]
