"""Personal API tokens: created with a random key shown once, stored hashed, revocable."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from partnerships.models import ApiToken


def token_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, user: Any, name: str) -> tuple[ApiToken, str]:
    """Create a token for ``user``; returns it with its key, which is never available again."""
    if not (name or "").strip():
        raise ValidationError({"name": _("Name the token, e.g. the script that uses it.")})
    key = secrets.token_urlsafe(32)
    token = ApiToken(user=user, name=name.strip(), prefix=key[:8], key_hash=token_hash(key))
    token.full_clean()
    token.save()
    return token, key


@transaction.atomic
def api_token_revoke(*, token: ApiToken, by: Any) -> ApiToken:
    if by.pk != token.user_id and not by.is_superuser:
        raise ValidationError(_("Only the token's owner can revoke it."))
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token
