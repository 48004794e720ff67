"""API rate limits counted in the shared cache: one round trip a request, whatever the rate.

DRF's throttles keep each client's request times as one list in the cache, read and written back
whole on every request: up to 5,000 timestamps pickled twice a request at the default
5000/hour, and two requests at once each write back a list missing the other's time. These keep
a counter per client and window instead, incremented atomically, and estimate the last
``duration`` seconds as this window's count plus the previous window's, weighted by how much of
it still lies within them (a sliding window). A refused request is not counted, as with DRF's.
"""

from __future__ import annotations

from typing import Any

from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from rest_framework import throttling

from openai_countries.cache import count_and_read


class SlidingWindowThrottle(throttling.SimpleRateThrottle):
    # Set by SimpleRateThrottle from the rate (the stubs leave them out).
    num_requests: int
    duration: int

    @property
    def cache(self) -> Any:  # type: ignore[override]
        # The backend itself, not the proxy DRF holds, so that Redis is counted in one round trip.
        return caches[DEFAULT_CACHE_ALIAS]

    def allow_request(self, request: Any, view: Any) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        window, into = divmod(self.now, self.duration)
        self.elapsed = into / self.duration  # of the current window
        counted_key = f"{self.key}:{int(window)}"
        self.counted, self.before = count_and_read(
            self.cache,
            counted_key,
            # The window itself and the next, which weighs it.
            timeout=2 * self.duration,
            read=f"{self.key}:{int(window) - 1}",
        )
        if self.before * (1 - self.elapsed) + self.counted <= self.num_requests:
            return True
        self.cache.decr(counted_key)
        self.counted -= 1
        return self.throttle_failure()

    def wait(self) -> float | None:
        """Seconds until one more request would be allowed (to the millisecond: DRF rounds up
        to whole seconds, and a float's last digit should not add one)."""
        return round(self._wait(), 3)

    def _wait(self) -> float:
        room = self.num_requests - self.counted - 1  # what the previous window may still weigh
        if room >= 0 and self.before:
            # Within this window, once the previous one weighs no more than the room left.
            return max(0.0, (1 - room / self.before) - self.elapsed) * self.duration
        if room >= 0:
            return 0.0
        # Into the next window, once this one's count weighs little enough.
        weight = (self.num_requests - 1) / self.counted if self.counted else 1.0
        return (1 - self.elapsed + max(0.0, 1 - weight)) * self.duration


class UserRateThrottle(SlidingWindowThrottle, throttling.UserRateThrottle):
    """Per signed-in user (or address, for a request without one): the ``user`` rate."""


class AnonRateThrottle(SlidingWindowThrottle, throttling.AnonRateThrottle):
    """Per address, for requests without a user: the ``anon`` rate."""
