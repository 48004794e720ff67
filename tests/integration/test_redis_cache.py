"""The cache backend production uses (openai_countries.cache.RedisCache) on the real Redis:
Django's behaviour, with one client per connection pool instead of one per call."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from openai_countries.cache import RedisCache, count_and_read
from openai_countries.testing import client_for

pytestmark = pytest.mark.slow


@pytest.fixture
def redis_cache() -> Iterator[RedisCache]:
    broker = os.environ.get("CELERY_BROKER_URL", "")
    if not broker.startswith("redis://"):
        pytest.skip("needs Redis (CI has it)")
    # A database of its own, away from the broker's queues and the app's cache.
    location = broker.rsplit("/", 1)[0] + "/14"
    cache = RedisCache(location, {"KEY_PREFIX": "cache-test"})
    cache.clear()
    yield cache
    cache.clear()


def test_it_reads_and_writes_like_djangos_backend(redis_cache: RedisCache) -> None:
    assert redis_cache.get("missing") is None
    redis_cache.set("figures", {"committed": 25, "names": ["Brunei"]}, timeout=60)
    assert redis_cache.get("figures") == {"committed": 25, "names": ["Brunei"]}
    assert redis_cache.add("figures", "other") is False
    redis_cache.set("version", 1, timeout=None)
    assert redis_cache.incr("version") == 2
    redis_cache.set_many({"a": 1, "b": 2})
    assert redis_cache.get_many(["a", "b", "c"]) == {"a": 1, "b": 2}
    redis_cache.delete_many(["a", "b"])
    assert redis_cache.get("a") is None
    with pytest.raises(ValueError, match="not found"):
        redis_cache.incr("never-set")


def test_it_keeps_one_client_per_pool(redis_cache: RedisCache) -> None:
    client = redis_cache._cache  # type: ignore[attr-defined]
    assert client.get_client(write=True) is client.get_client(write=False)
    redis_cache.set("k", "v")
    assert redis_cache.get("k") == "v"
    assert len(client._clients) == 1


def test_a_window_counter_counts_every_one_of_concurrent_requests(
    redis_cache: RedisCache,
) -> None:
    """What the API's rate limits count with: INCR and the previous window in one round trip;
    DRF's own throttles read and wrote back a list, and concurrent requests lost each other."""
    redis_cache.set("window-41", 7)

    def count(_: int) -> tuple[int, int]:
        return count_and_read(redis_cache, "window-42", timeout=120, read="window-41")

    with ThreadPoolExecutor(max_workers=8) as pool:
        counted = list(pool.map(count, range(200)))
    assert sorted(number for number, _ in counted) == list(range(1, 201))
    assert {before for _, before in counted} == {7}
    assert redis_cache.get("window-42") == 200
    key = redis_cache.make_and_validate_key("window-42")
    assert 0 < redis_cache._cache.get_client(key).ttl(key) <= 120  # type: ignore[attr-defined]
    assert count_and_read(redis_cache, "window-43", timeout=120, read="window-99") == (1, 0)


@pytest.mark.django_db
def test_the_api_rate_limit_counts_in_redis_in_one_round_trip(
    redis_cache: RedisCache, settings: Any, manager: Any
) -> None:
    settings.CACHES = {
        "default": {
            "BACKEND": "openai_countries.cache.RedisCache",
            "LOCATION": redis_cache._servers[0],  # type: ignore[attr-defined]
            "KEY_PREFIX": "cache-test",
        }
    }
    server = redis_cache._cache.get_client()  # type: ignore[attr-defined]

    def calls(command: str) -> int:
        return int(server.info("commandstats").get(f"cmdstat_{command}", {}).get("calls", 0))

    before = {command: calls(command) for command in ("incrby", "expire", "exists")}
    client = client_for(manager)
    assert [client.get("/api/v1/partnerships/").status_code for _ in range(3)] == [200] * 3
    window = int(time.time() // 3600)  # the default rate is per hour
    counted = sum(
        int(redis_cache.get(f"throttle_user_{manager.pk}:{number}") or 0)
        for number in (window - 1, window)
    )
    assert counted == 3
    # INCR and EXPIRE in a pipeline, not Django's add and incr (EXISTS first).
    assert calls("incrby") - before["incrby"] == 3
    assert calls("expire") - before["expire"] == 3
    assert calls("exists") == before["exists"]
