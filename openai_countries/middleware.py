"""Response hardening that applies to every page and endpoint."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from csp.constants import HEADER
from csp.middleware import CheckableLazyObject
from csp.middleware import CSPMiddleware as BaseCSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils.cache import patch_cache_control


class CSPMiddleware(BaseCSPMiddleware):
    """django-csp's middleware, with the policy built once per process: no page of ours changes
    it (no nonces, no per-view decorators), and building it again for every response was a
    tenth of a warm page. A response or request that does change it goes through django-csp."""

    _CUSTOM = ("_csp_config", "_csp_update", "_csp_replace", "_csp_exempt")

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        custom = (
            any(getattr(response, name, None) for name in self._CUSTOM)
            or getattr(request, "_csp_nonce", None) is not None
            or HEADER in response
            or settings.DEBUG
            or _report_only_or_excluded()
        )
        if custom:
            return super().process_response(request, response)
        response[HEADER] = _policy()
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)  # type: ignore[attr-defined]
        return response


@cache
def _policy() -> str:
    return build_policy()


@cache
def _report_only_or_excluded() -> bool:
    policy = getattr(settings, "CONTENT_SECURITY_POLICY", None) or {}
    return bool(
        getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None)
        or policy.get("EXCLUDE_URL_PREFIXES")
    )


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
