"""Token authentication against hashed personal tokens (``Authorization: Token <key>``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.request import Request

# Writing last_used_at on every request would turn reads into writes; once a minute is enough.
_TOUCH_EVERY = timedelta(minutes=1)


class HashedTokenAuthentication(authentication.TokenAuthentication):
    keyword = "Token"

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        from partnerships.access import cached_access, cached_access_store
        from partnerships.models import ApiToken
        from partnerships.services.tokens import token_hash

        # Through the access cache, like a session's user: a revoked token (a save) or a
        # deactivated user starts a new access version, so neither outlives its change.
        key_hash = token_hash(key)
        entry = cached_access(
            "token",
            key_hash,
            lambda: (
                ApiToken.objects.select_related("user")
                .filter(key_hash=key_hash, revoked_at__isnull=True)
                .first()
            ),
        )
        if entry is None:
            raise exceptions.AuthenticationFailed(_("Invalid or revoked token."))
        token = entry[0]
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > _TOUCH_EVERY:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
            cached_access_store("token", key_hash, entry)
        return token.user, token

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        return super().authenticate(request)
