"""API rate limits (openai_countries.api.throttling): a sliding window counted in the cache."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache

from openai_countries.api.throttling import AnonRateThrottle, UserRateThrottle
from openai_countries.testing import client_for

pytestmark = pytest.mark.django_db

LIST = "/api/v1/partnerships/"


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    """Throttles read this clock; 3 requests a minute for users, 2 for anonymous clients."""
    clock = Clock(1_000_000 * 60.0)  # the start of a window
    for throttle, rate in ((UserRateThrottle, "3/min"), (AnonRateThrottle, "2/min")):
        monkeypatch.setattr(throttle, "timer", staticmethod(clock))
        monkeypatch.setattr(throttle, "rate", rate, raising=False)
    cache.clear()
    yield clock
    cache.clear()


def statuses(client: Any, times: int, url: str = LIST) -> list[int]:
    return [client.get(url).status_code for _ in range(times)]


def test_a_user_gets_the_rate_then_a_429_saying_when_to_come_back(
    clock: Clock, manager: Any
) -> None:
    client = client_for(manager)
    assert statuses(client, 3) == [200, 200, 200]
    refused = client.get(LIST)
    assert refused.status_code == 429
    assert "throttled" in refused.json()["detail"].lower()
    # All three fell in this window: the fourth is allowed once a third of the next has passed
    # (3 x 2/3 = 2 requests still weighed, room for one).
    assert int(refused["Retry-After"]) == 80
    clock.now += 79
    assert statuses(client, 1) == [429]
    clock.now += 1
    assert statuses(client, 2) == [200, 429]


def test_refused_requests_are_not_counted(clock: Clock, manager: Any) -> None:
    client = client_for(manager)
    assert statuses(client, 10) == [200, 200, 200] + [429] * 7
    clock.now += 60  # the next window: the previous one weighs 3, less with every second
    clock.now += 20
    assert statuses(client, 2) == [200, 429]


def test_the_window_slides_rather_than_resetting(clock: Clock, manager: Any) -> None:
    client = client_for(manager)
    clock.now += 50
    assert statuses(client, 3) == [200, 200, 200]
    clock.now += 15  # a new window has begun, but the last minute still holds 3 requests
    assert statuses(client, 1) == [429]
    clock.now += 45  # 3 x 1/6 of the previous window is still within the last minute
    assert statuses(client, 3) == [200, 200, 429]


def test_each_user_has_a_count_of_their_own(
    clock: Clock, manager: Any, make_liaison: Any, ae: Any
) -> None:
    assert statuses(client_for(manager), 4) == [200, 200, 200, 429]
    assert statuses(client_for(make_liaison(ae)), 3) == [200, 200, 200]


def test_anonymous_clients_are_limited_by_address_on_the_token_endpoint(
    clock: Clock, manager: Any
) -> None:
    client = client_for(None)
    url = "/api/v1/auth/token/"
    body = {"username": "manager", "password": "wrong password"}
    assert [client.post(url, body).status_code for _ in range(3)] == [400, 400, 429]
    assert "Retry-After" in client.post(url, body)
