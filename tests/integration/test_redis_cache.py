"""The cache backend production uses (openai_countries.cache.RedisCache) on the real Redis:
Django's behaviour, with one client per connection pool instead of one per call."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from openai_countries.cache import RedisCache

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
