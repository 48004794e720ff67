"""Sessions: Django's cached database sessions, read from the cache in the same round trip as the
request's version counters (see ``openai_countries.cache``). Everything else, the database
behind the cache included, is Django's."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.sessions.backends.cached_db import SessionStore as CachedDBStore
from django.core.cache import DEFAULT_CACHE_ALIAS

from openai_countries.cache import get_with_versions


class SessionStore(CachedDBStore):
    def load(self) -> dict[str, Any]:
        if settings.SESSION_CACHE_ALIAS == DEFAULT_CACHE_ALIAS:
            try:
                data = get_with_versions(self.cache_key)
            except Exception:  # as Django's: an unreadable entry is read from the database
                data = None
            if data is not None:
                return data
        return super().load()
