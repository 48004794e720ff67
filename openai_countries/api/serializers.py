"""Serializer building blocks: scoped related fields, ISO country codes, Django errors as 400."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError, RestrictedError
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from openai_countries.scoping import is_country_scoped
from partnerships.access import countries_for


def _user_and_action(context: dict[str, Any]) -> tuple[Any, str] | None:
    """Who chooses, and for what: writes choose among what they may change; a report request
    among what it may export (the viewset puts its scoping action in the context)."""
    request = context.get("request")
    if request is None:
        return None
    return request.user, context.get("scope_action", "change")


class ScopedRelatedField(serializers.PrimaryKeyRelatedField):
    """A related row by id; choices are only the rows the user may change (others: 'does not
    exist', the same answer as for an id nobody has)."""

    def get_queryset(self) -> Any:
        queryset: Any = super().get_queryset()
        scope = _user_and_action(self.context)
        if scope is not None and is_country_scoped(queryset.model):
            return queryset.restrict(*scope)
        return queryset


class CountryCodeField(serializers.SlugRelatedField):
    """A country as its ISO 3166-1 alpha-2 code; writable only to countries the user may change."""

    def __init__(self, **kwargs: Any) -> None:
        from partnerships.models import Country

        kwargs.setdefault("queryset", None if kwargs.get("read_only") else Country.objects.all())
        super().__init__(slug_field="code", **kwargs)

    def get_queryset(self) -> Any:
        scope = _user_and_action(self.context)
        if scope is None:
            return super().get_queryset()
        return countries_for(*scope)

    def to_representation(self, obj: Any) -> str:
        return str(obj.code)

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str):
            data = data.upper()
        return super().to_internal_value(data)


def row_version(instance: Any) -> str:
    """A row's version for optimistic concurrency: it changes with every save."""
    return f"{instance.pk}-{instance.updated_at.timestamp():.6f}"


class ScopedModelSerializer(serializers.ModelSerializer):
    """Base of API serializers: explicit fields, scoped related fields, unknown fields refused,
    and a ``version`` on rows that can be edited (send it back, or ``If-Match``, to update)."""

    serializer_related_field = ScopedRelatedField
    # Echoed back by clients with their edits; checked by the viewset, never written.
    _ACCEPTED_READ_ONLY = frozenset({"id", "version"})

    def get_field_names(self, declared_fields: Any, info: Any) -> list[str]:
        names = list(super().get_field_names(declared_fields, info))
        if hasattr(self.Meta.model, "updated_at") and "version" not in names:
            names.append("version")
        return names

    def build_unknown_field(self, field_name: str, model_class: Any) -> Any:
        if field_name == "version":
            return serializers.CharField, {"read_only": True, "source": "*"}
        return super().build_unknown_field(field_name, model_class)

    def to_representation(self, instance: Any) -> Any:
        data = super().to_representation(instance)
        if "version" in data:
            data["version"] = row_version(instance)
        return data

    def to_internal_value(self, data: Any) -> Any:
        writable = {name for name, field in self.fields.items() if not field.read_only}
        writable |= self._ACCEPTED_READ_ONLY
        unknown = sorted(set(data) - writable) if isinstance(data, dict) else []
        errors: dict[str, Any] = {name: ["Unknown or read-only field."] for name in unknown}
        try:
            value = super().to_internal_value(data)
        except exceptions.ValidationError as error:
            if not isinstance(error.detail, dict):
                raise
            errors = {**error.detail, **errors}
        if errors:
            raise exceptions.ValidationError(errors)
        return value


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Django's ValidationError (from services and models) becomes a 400 with field messages;
    deleting a row something still references becomes a 409 naming what references it."""
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            detail: Any = {
                ("non_field_errors" if field == "__all__" else field): messages
                for field, messages in exc.message_dict.items()
            }
        else:
            detail = {"non_field_errors": exc.messages}
        params = getattr(exc, "params", None)
        if isinstance(params, dict) and "guards" in params:
            detail["failed_guards"] = params["guards"]
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, ProtectedError | RestrictedError):
        blocking = sorted({f"{obj._meta.verbose_name}: {obj}" for obj in list(exc.args[1])[:20]})
        return Response(
            {"detail": "Still referenced; remove these first.", "referenced_by": blocking},
            status=status.HTTP_409_CONFLICT,
        )
    return drf_exception_handler(exc, context)


class MoneyAmountField(serializers.DecimalField):
    """The amount of a django-money field, as a decimal string."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", 18)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> Any:
        return super().to_representation(getattr(value, "amount", value))


class MoneySerializerMixin:
    """Money as two plain fields, ``<name>`` (a ``MoneyAmountField``) and ``<name>_currency``.

    Declare ``money_fields = ("amount",)``; validated data then holds one ``Money`` per name.
    """

    money_fields: tuple[str, ...] = ()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        from djmoney.money import Money

        attrs = super().validate(attrs)  # type: ignore[misc]
        for name in self.money_fields:
            currency_key = f"{name}_currency"
            if name not in attrs and currency_key not in attrs:
                continue
            instance = getattr(self, "instance", None)
            current = getattr(instance, name, None) if instance is not None else None
            amount = attrs.pop(name, current.amount if current is not None else None)
            currency = attrs.pop(currency_key, str(current.currency) if current else None)
            if amount is None:
                attrs[name] = None
                continue
            if not currency:
                raise exceptions.ValidationError({currency_key: ["Give the ISO 4217 currency."]})
            attrs[name] = Money(amount, currency)
        return attrs


class ReasonSerializer(serializers.Serializer):
    """The body of a lifecycle action: why (required where the rule says so)."""

    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)
