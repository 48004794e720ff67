"""Signal receivers: a signed-in user's language follows them from browser to browser."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from openai_countries.middleware import LANGUAGE_SESSION_KEY


@receiver(user_logged_in)
def apply_language_preference(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    from partnerships.models import UserPreference

    preference = UserPreference.objects.filter(user=user).first()
    if preference is not None and request is not None and hasattr(request, "session"):
        request.session[LANGUAGE_SESSION_KEY] = preference.language
