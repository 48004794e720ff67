"""The shared cache: Django's Redis cache keeping one client per connection pool, and the
version counters that keep cached entries from outliving the writes they depend on.

Django's ``RedisCacheClient`` builds a new ``redis.Redis`` for every cache call, and that
constructor copies redis-py's table of response callbacks each time: on a warm dashboard, where
the page is a few cache reads, that was most of the cache's cost. A ``redis.Redis`` on a pool is
safe to share between threads, so one per pool is kept instead. Everything else is Django's.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from contextvars import ContextVar
from typing import Any, ClassVar

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient
from django.core.signals import request_finished, request_started


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


def count_and_read(cache: Any, key: str, *, timeout: int, read: str) -> tuple[int, int]:
    """Adds one to the counter under ``key`` (made, to expire in ``timeout`` seconds, when
    missing) and reads the counter under ``read``: one round trip on Redis (INCR is atomic, so
    concurrent requests never lose a count); on any other backend, its own add, incr and get."""
    if isinstance(cache, DjangoRedisCache):
        counted_key = cache.make_and_validate_key(key)
        client = cache._cache.get_client(counted_key, write=True)  # type: ignore[attr-defined]
        with client.pipeline(transaction=False) as pipeline:
            pipeline.incr(counted_key)
            pipeline.expire(counted_key, timeout)
            pipeline.get(cache.make_and_validate_key(read))
            counted, _, other = pipeline.execute()
        return int(counted), int(other or 0)
    cache.add(key, 0, timeout=timeout)
    try:
        counted = cache.incr(key)
    except ValueError:  # expired between the add and the incr
        cache.set(key, 1, timeout=timeout)
        counted = 1
    return int(counted), int(cache.get(read) or 0)


# The versions a request has read, so that it reads them from the shared cache once and all
# together; None outside a request (tasks and commands always read the current number).
_request_versions: ContextVar[dict[str, int] | None] = ContextVar("versions", default=None)


def _start_request(**kwargs: Any) -> None:
    _request_versions.set({})


def _end_request(**kwargs: Any) -> None:
    _request_versions.set(None)


request_started.connect(_start_request, dispatch_uid="openai_countries.cache.versions")
request_finished.connect(_end_request, dispatch_uid="openai_countries.cache.versions")


class VersionCounter:
    """A number in the shared cache that every relevant write moves on: put it in the keys of
    what depends on those writes, and no entry is ever read after a write that changed it.

    ``bump`` moves it at once (the writing transaction reads its own writes) and again when the
    transaction commits: a reader between the write and the commit still sees the old rows, and
    would otherwise store them under the number that was meant to retire them.

    A request reads every counter in one round trip, the first time it needs one, and keeps
    those numbers to its end (or until it writes): as if it had run a moment earlier.
    """

    counters: ClassVar[list[VersionCounter]] = []

    def __init__(self, key: str) -> None:
        self.key = key
        VersionCounter.counters.append(self)

    def current(self) -> int:
        from django.core.cache import cache

        seen = _request_versions.get()
        if seen is not None and self.key in seen:
            return seen[self.key]
        if seen is not None:
            _read_counters(seen)
            version = seen.get(self.key)
        else:
            version = cache.get(self.key)
        if version is None:
            # Never restart from a number an evicted counter already used.
            cache.add(self.key, time.time_ns(), timeout=None)
            version = int(cache.get(self.key, 0))
            if seen is not None:
                seen[self.key] = version
        return int(version)

    def bump(self) -> None:
        from django.db import transaction

        self._increment()
        if transaction.get_connection().in_atomic_block:
            transaction.on_commit(self._increment)

    def _increment(self) -> None:
        from django.core.cache import cache

        seen = _request_versions.get()
        if seen is not None:
            seen.pop(self.key, None)  # this request reads its own write
        try:
            cache.incr(self.key)
        except ValueError:  # no counter yet (or evicted): start a fresh one
            cache.set(self.key, time.time_ns(), timeout=None)


def _read_counters(seen: dict[str, int], *keys: str) -> dict[str, Any]:
    """Every counter into the request's ``seen``, and the values of ``keys``, in one round trip."""
    from django.core.cache import cache

    counters = [counter.key for counter in VersionCounter.counters]
    found = cache.get_many([*counters, *keys])
    seen.update({key: int(found[key]) for key in counters if key in found})
    return {key: found[key] for key in keys if key in found}


def get_with_versions(key: str) -> Any:
    """``cache.get(key)``, read in a request together with its version counters (when it has not
    read them yet): a signed-in request's first read is its session, and its next the counters
    in the keys of its access snapshot and pages; each was a round trip of its own."""
    from django.core.cache import cache

    seen = _request_versions.get()
    if seen is None or seen:
        return cache.get(key)
    return _read_counters(seen, key).get(key)


class LocalCopies:
    """A bounded copy, in this process, of values kept in the shared cache under versioned keys:
    rendered dashboards (100-300 KB; reading one from Redis was most of a warm request) and
    forms, and the access snapshots every signed-in request starts with.

    Only for keys that name their value for good: the version read from the shared cache on each
    request is in the key, so a copy is never read after the write that retired it.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_set(self, key: str, make: Any, timeout: int) -> Any:
        """The value under ``key``: this process's copy, else the shared cache's, else
        ``make()`` (stored in both)."""
        from django.core.cache import cache

        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
        value = cache.get(key)
        if value is None:
            value = make()
            cache.set(key, value, timeout=timeout)
        if timeout:  # 0 s: caching is turned off
            self._keep(key, value)
        return value

    def local(self, key: str, make: Any) -> Any:
        """The value under ``key`` kept in this process only (cheap to make again, but made for
        nearly every request): this process's copy, else ``make()``."""
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
        value = make()
        self._keep(key, value)
        return value

    def set(self, key: str, value: Any, timeout: int) -> None:
        from django.core.cache import cache

        cache.set(key, value, timeout=timeout)
        if timeout:
            self._keep(key, value)

    def _keep(self, key: str, value: Any) -> None:
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
