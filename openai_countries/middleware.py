"""Response hardening that applies to every page and endpoint."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control


class NoStoreForSignedInUsersMiddleware:
    """Country data is never kept by browsers or proxies: signed-in responses are ``no-store``,
    except what a view itself declares ``public`` (the map's shapes: no country data)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        public = "public" in response.get("Cache-Control", "")
        if user is not None and user.is_authenticated and not public:
            patch_cache_control(response, no_store=True, private=True, max_age=0)
        return response


LANGUAGE_SESSION_KEY = "language"


class UserLanguageMiddleware:
    """Applies the signed-in user's chosen language (kept in the session since login).

    Comes after the authentication and locale middleware: the browser's language and the
    language cookie decide for anonymous pages, the user's choice for everything else.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from django.conf import settings
        from django.utils import translation

        language = (
            request.session.get(LANGUAGE_SESSION_KEY) if hasattr(request, "session") else None
        )
        if language in dict(settings.LANGUAGES) and request.user.is_authenticated:
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)
