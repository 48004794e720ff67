"""Base page views: rows restricted by the request's action, no way around restrict().

Pages derive from these (list, detail, create, update, delete). They declare ``model`` (and
optionally ``queryset`` for select_related); a subclass that overrides ``get_queryset`` fails
at import time. Anonymous users go to the login page; a user who holds the action on no country
gets 403; another country's row is a 404 like one that does not exist (and the attempt is logged).
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db import models
from django.http import Http404, HttpRequest, HttpResponseBase
from django.views.generic import DeleteView, DetailView, ListView, UpdateView

from openai_countries.api.viewsets import VERB_ACTIONS
from openai_countries.scoping import is_country_scoped
from partnerships.access import country_ids_for


class ScopedViewMixin(LoginRequiredMixin):
    _scoping_base: ClassVar[bool] = True
    model: Any = None
    queryset: Any = None
    # A page whose GET already needs more than ``view`` (a sign-off form, say) names its action.
    scope_action_name: ClassVar[str | None] = None
    request: HttpRequest

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "get_queryset" in cls.__dict__ and not cls.__dict__.get("_scoping_base", False):
            raise ImproperlyConfigured(
                f"{cls.__module__}.{cls.__qualname__} overrides get_queryset(); declare "
                "`model` or `queryset` so that restrict() always applies."
            )

    def scope_action(self) -> str:
        return self.scope_action_name or VERB_ACTIONS.get(self.request.method or "GET", "view")

    def _model(self) -> Any:
        return self.queryset.model if self.queryset is not None else self.model

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if (
            request.user.is_authenticated
            and is_country_scoped(self._model())
            and country_ids_for(request.user, self.scope_action()) == frozenset()
        ):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self) -> models.QuerySet[Any]:
        base = self.queryset if self.queryset is not None else self.model._default_manager
        queryset = base.all()
        if is_country_scoped(queryset.model):
            return queryset.restrict(self.request.user, self.scope_action())
        return queryset

    def get_object(self, queryset: Any = None) -> Any:
        try:
            return super().get_object(queryset)  # type: ignore[misc]
        except Http404:
            self._log_denied_attempt()
            raise

    def _log_denied_attempt(self) -> None:
        model = self._model()
        pk = getattr(self, "kwargs", {}).get("pk")
        if pk is None or not is_country_scoped(model):
            return
        try:
            exists = model._base_manager.filter(pk=pk).exists()
        except (ValueError, TypeError):
            return
        if exists:
            from partnerships.models import AccessEventKind
            from partnerships.services.audit import access_event_record

            access_event_record(
                user=self.request.user,
                kind=AccessEventKind.DENIED,
                allowed=False,
                target=f"{model._meta.label} {pk} ({self.request.method} page)",
                detail={"path": self.request.path, "action": self.scope_action()},
            )


class ScopedListView(ScopedViewMixin, ListView):
    _scoping_base = True
    paginate_by = 50


class ScopedDetailView(ScopedViewMixin, DetailView):
    _scoping_base = True


class ScopedUpdateView(ScopedViewMixin, UpdateView):
    _scoping_base = True


class ScopedDeleteView(ScopedViewMixin, DeleteView):
    _scoping_base = True
