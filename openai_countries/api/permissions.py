"""Which requests may reach an endpoint at all; rows are then scoped by restrict()."""

from __future__ import annotations

from typing import Any

from rest_framework import permissions
from rest_framework.request import Request

from openai_countries.scoping import is_country_scoped
from partnerships.access import country_ids_for


class CountryActionPermission(permissions.BasePermission):
    """Signed in, and holding the request's action on at least one country (else 403).

    Another country's object is not refused here: it is simply not in the restricted queryset,
    so the client gets the same 404 as for an id that does not exist.
    """

    def has_permission(self, request: Request, view: Any) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        model = view.queryset.model
        if not is_country_scoped(model):
            return self._reference_permission(request, model)
        return country_ids_for(request.user, view.scope_action()) != frozenset()

    @staticmethod
    def _reference_permission(request: Request, model: Any) -> bool:
        """Reference data (countries, regions, organisations, ...): all may read; writes need
        the model permission that comes with a role (administrators, program managers)."""
        if request.method in permissions.SAFE_METHODS:
            return True
        verb = {"POST": "add", "PUT": "change", "PATCH": "change", "DELETE": "delete"}
        codename = f"{verb.get(request.method or '', 'change')}_{model._meta.model_name}"
        return bool(request.user.has_perm(f"{model._meta.app_label}.{codename}"))
