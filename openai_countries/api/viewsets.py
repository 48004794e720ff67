"""Base viewsets: rows restricted by the request's action, writes through services, re-checked.

Every API viewset derives from ``ScopedModelViewSet`` (country data) or ``ReferenceViewSet``
(countries, regions, organisations, locales, exchange rates). They declare ``queryset`` and never
override ``get_queryset``: a subclass that does fails at import time, so no endpoint can bypass
``restrict()``.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.core.exceptions import ImproperlyConfigured
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models, transaction
from django.http import Http404, HttpResponse
from django.utils.text import slugify
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from openai_countries.api.pagination import Pagination
from openai_countries.api.permissions import CountryActionPermission
from openai_countries.api.rows import RowPlan
from openai_countries.api.serializers import row_version
from openai_countries.exports import CONTENT_TYPES, to_csv, to_xlsx
from openai_countries.history import create_tracked, delete_tracked, update_tracked
from openai_countries.scoping import is_country_scoped

_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# HTTP verb -> scoping action.
VERB_ACTIONS = {
    "GET": "view",
    "HEAD": "view",
    "OPTIONS": "view",
    "POST": "change",
    "PUT": "change",
    "PATCH": "change",
    "DELETE": "change",
}


class _NoQuerysetOverride:
    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "get_queryset" in cls.__dict__ and not getattr(cls, "_scoping_base", False):
            raise ImproperlyConfigured(
                f"{cls.__module__}.{cls.__qualname__} overrides get_queryset(); declare "
                "`queryset` (and `list_queryset` hooks) instead so that restrict() always applies."
            )


class ScopedGenericViewSet(_NoQuerysetOverride, viewsets.GenericViewSet):
    """Restricts ``queryset`` to the countries where the user may do the request's action.

    Custom actions name their scoping action in ``action_scopes`` (``{"confirm": "confirm"}``);
    otherwise the HTTP verb decides (reads: ``view``, writes: ``change``).
    """

    _scoping_base = True
    permission_classes = [CountryActionPermission]
    action_scopes: ClassVar[dict[str, str]] = {}
    # Scoping actions of the actions every viewset has.
    _base_action_scopes: ClassVar[dict[str, str]] = {"export": "export"}
    queryset: models.QuerySet[Any]

    def scope_action(self) -> str:
        scopes = {**self._base_action_scopes, **self.action_scopes}
        if self.action in scopes:
            return scopes[self.action]
        return VERB_ACTIONS.get(self.request.method or "GET", "view")

    def get_queryset(self) -> models.QuerySet[Any]:
        queryset = self.queryset.all()
        if is_country_scoped(queryset.model):
            return queryset.restrict(self.request.user, self.scope_action())  # type: ignore[attr-defined]
        return queryset

    def get_object(self) -> Any:
        """Another country's row is a 404, like a row that does not exist; the attempt is logged."""
        try:
            return super().get_object()
        except Http404:
            self._log_denied_attempt()
            raise

    def _log_denied_attempt(self) -> None:
        model = self.queryset.model
        if not is_country_scoped(model):
            return
        lookup = self.lookup_url_kwarg or self.lookup_field
        value = self.kwargs.get(lookup)
        try:
            target = model._base_manager.filter(**{self.lookup_field: value}).first()
        except (ValueError, TypeError, DjangoValidationError):
            return
        if target is None:
            return
        from partnerships.models import AccessEventKind
        from partnerships.services.audit import access_event_record

        access_event_record(
            user=self.request.user,
            kind=AccessEventKind.DENIED,
            allowed=False,
            target=f"{model._meta.label} {target.pk} ({self.request.method} {self.action})",
            detail={"path": self.request.path, "action": self.scope_action()},
        )

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "file", str, enum=["csv", "xlsx"], description="File type (default csv)"
            )
        ],
        responses={(200, "text/csv"): OpenApiTypes.BINARY, (200, _XLSX): OpenApiTypes.BINARY},
        summary="Download every row of this list (same filters) as CSV or XLSX",
    )
    @action(detail=False, methods=["get"])
    def export(self, request: Request) -> HttpResponse:
        """All rows the list would show (its filters apply), without pagination; audited."""
        kind = request.query_params.get("file", "csv")
        if kind not in CONTENT_TYPES:
            raise serializers.ValidationError({"file": ["Choose csv or xlsx."]})
        queryset = self.filter_queryset(self.get_queryset())
        serializer = self.get_serializer(queryset, many=True)
        records = serializer.data
        columns = list(serializer.child.fields)  # type: ignore[attr-defined]
        name = self.queryset.model._meta.verbose_name_plural
        body = (
            to_csv(columns, records)
            if kind == "csv"
            else to_xlsx(columns, records, title=str(name))
        )
        from partnerships.models import AccessEventKind
        from partnerships.services.audit import access_event_record

        access_event_record(
            user=request.user,
            kind=AccessEventKind.EXPORT,
            allowed=True,
            target=f"{self.queryset.model._meta.label} ({kind})",
            detail={"rows": len(records), "query": request.query_params.dict()},
        )
        response = HttpResponse(body, content_type=CONTENT_TYPES[kind])
        filename = slugify(str(name)) or "export"
        response["Content-Disposition"] = f'attachment; filename="{filename}.{kind}"'
        return response

    def filter_queryset(self, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
        filtered = super().filter_queryset(queryset)
        # Rows that tie on the list's order (or a list without one) would page unpredictably:
        # a row on two pages, another on none. The primary key breaks every tie.
        query = filtered.query
        ordering = list(query.order_by) or (
            list(filtered.model._meta.ordering) if query.default_ordering else []
        )
        if any(str(term).lstrip("-") in ("pk", "id") for term in ordering):
            return filtered
        return filtered.order_by(*ordering, "pk")

    # Lists read plain rows where the serializer allows (openai_countries.api.rows).
    row_lists: ClassVar[bool] = True

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer_class = self.get_serializer_class()
        plan = RowPlan.for_serializer(serializer_class) if self.row_lists else None
        if plan is None:
            return super().list(request, *args, **kwargs)  # type: ignore[misc]
        model = self.queryset.model
        listed = self.filter_queryset(self.get_queryset())
        if isinstance(self.paginator, Pagination):
            # A page's rows are found on the list's own query, then read as rows.
            page = self.paginator.paginate_queryset(listed, self.request, self, shape=plan.rows)
        else:
            page = self.paginate_queryset(plan.rows(listed))
        if page is None:
            return Response(plan.represent(plan.rows(listed), model))
        return self.get_paginated_response(plan.represent(page, model))

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        context["scope_action"] = self.scope_action()
        return context

    # Writes: through services, inside one transaction, re-checked against scope before commit.

    def create_object(self, data: dict[str, Any]) -> models.Model:
        """Create from validated data; viewsets whose model has a create service override this."""
        return create_tracked(self.queryset.model, by=self.request.user, **data)

    def update_object(self, instance: models.Model, data: dict[str, Any]) -> models.Model:
        return update_tracked(instance, by=self.request.user, **data)

    def delete_object(self, instance: models.Model) -> None:
        delete_tracked(instance, by=self.request.user)

    def respond_with(self, instance: models.Model, code: int = status.HTTP_200_OK) -> Response:
        """The row as the endpoint shows it, read again (with its related rows) after an action."""
        return Response(self.get_serializer(self.queryset.get(pk=instance.pk)).data, status=code)

    def recheck_scope(self, instance: models.Model) -> None:
        """After a write, the row must still be in the user's scope, or the write is undone."""
        model = type(instance)
        if not is_country_scoped(model):
            return
        manager: Any = model._default_manager
        if not manager.restrict(self.request.user, "change").filter(pk=instance.pk).exists():
            raise Http404

    def perform_create(self, serializer: Any) -> None:
        with transaction.atomic():
            serializer.instance = self.create_object(serializer.validated_data)
            self.recheck_scope(serializer.instance)

    def perform_update(self, serializer: Any) -> None:
        with transaction.atomic():
            serializer.instance = self.update_object(serializer.instance, serializer.validated_data)
            self.recheck_scope(serializer.instance)

    def perform_destroy(self, instance: models.Model) -> None:
        with transaction.atomic():
            self.delete_object(instance)


# ScopedGenericViewSet comes first so that its perform_* (services, re-checks) win over the
# mixins' defaults, which would save through the serializer and skip the services.
class ScopedModelViewSet(
    ScopedGenericViewSet,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
):
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        instance = self.get_object()
        response = Response(self.get_serializer(instance).data)
        if hasattr(instance, "updated_at"):
            response["ETag"] = f'"{row_version(instance)}"'
        return response

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Optimistic concurrency: the client says which version it edited (``If-Match`` or
        ``version``); if the row changed since, nothing is written and the current state comes
        back with 412, so no edit silently overwrites another."""
        with transaction.atomic():
            instance = self.get_object()
            model: Any = type(instance)
            current = model._base_manager.select_for_update().get(pk=instance.pk)
            supplied = request.headers.get("If-Match") or (
                request.data.get("version") if isinstance(request.data, dict) else None
            )
            if not supplied:
                return Response(
                    {"detail": "Send the version you edited: the If-Match header with the ETag "
                               "you read, or the version field."},
                    status=status.HTTP_428_PRECONDITION_REQUIRED,
                )  # fmt: skip
            if str(supplied).removeprefix("W/").strip('"') != row_version(current):
                body = {
                    "detail": "This record changed since you read it; nothing was saved. "
                    "Here is its current state; apply your edit to it and send it again.",
                    "current": self.get_serializer(current).data,
                }
                headers = {"ETag": f'"{row_version(current)}"'}
                return Response(body, status=status.HTTP_412_PRECONDITION_FAILED, headers=headers)
            response: Response = super().update(request, *args, **kwargs)
        if isinstance(response.data, dict) and "version" in response.data:
            response["ETag"] = f'"{response.data["version"]}"'
        return response


class ScopedReadOnlyViewSet(ScopedGenericViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Records only services write (transitions, sign-offs): listed and shown, never edited."""


TIMESTAMPS = ("created_at", "updated_at")
CRUD_ACTIONS = ("list", "retrieve", "create", "update", "partial_update", "destroy")


def tagged(tag: str, actions: tuple[str, ...] = CRUD_ACTIONS) -> Any:
    """Class decorator: put every standard operation of a viewset under one OpenAPI tag."""
    return extend_schema_view(**{name: extend_schema(tags=[tag]) for name in actions})


def action_input(serializer_class: type[serializers.Serializer], request: Any) -> dict[str, Any]:
    """Validate an action's request body; a bad one is a 400 with field messages."""
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)
