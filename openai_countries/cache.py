"""The shared cache: Django's Redis cache keeping one client per connection pool, and the
version counters that keep cached entries from outliving the writes they depend on.

Django's ``RedisCacheClient`` builds a new ``redis.Redis`` for every cache call, and that
constructor copies redis-py's table of response callbacks each time: on a warm dashboard, where
the page is a few cache reads, that was most of the cache's cost. A ``redis.Redis`` on a pool is
safe to share between threads, so one per pool is kept instead. Everything else is Django's.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class ReusedClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        pool = self._get_connection_pool(write)  # type: ignore[attr-defined]
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)  # type: ignore[attr-defined]
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = ReusedClientRedisCacheClient


class VersionCounter:
    """A number in the shared cache that every relevant write moves on: put it in the keys of
    what depends on those writes, and no entry is ever read after a write that changed it.

    ``bump`` moves it at once (the writing transaction reads its own writes) and again when the
    transaction commits: a reader between the write and the commit still sees the old rows, and
    would otherwise store them under the number that was meant to retire them.
    """

    def __init__(self, key: str) -> None:
        self.key = key

    def current(self) -> int:
        from django.core.cache import cache

        version = cache.get(self.key)
        if version is None:
            # Never restart from a number an evicted counter already used.
            cache.add(self.key, time.time_ns(), timeout=None)
            version = cache.get(self.key, 0)
        return int(version)

    def bump(self) -> None:
        from django.db import transaction

        self._increment()
        if transaction.get_connection().in_atomic_block:
            transaction.on_commit(self._increment)

    def _increment(self) -> None:
        from django.core.cache import cache

        try:
            cache.incr(self.key)
        except ValueError:  # no counter yet (or evicted): start a fresh one
            cache.set(self.key, time.time_ns(), timeout=None)
