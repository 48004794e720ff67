"""API of the co-financing ledger: commitments and their moves, disbursements, exchange rates."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from financing import filters
from financing.models import Commitment, CommitmentStatusTransition, Disbursement, ExchangeRate
from financing.services import (
    commitment_cancel,
    commitment_commit,
    commitment_confirm,
    commitment_create,
    commitment_record_disbursement,
    commitment_reduce,
    commitment_update,
    exchange_rate_set,
)
from openai_countries.api.serializers import (
    CountryCodeField,
    MoneyAmountField,
    MoneySerializerMixin,
    ReasonSerializer,
    ScopedModelSerializer,
)
from openai_countries.api.viewsets import (
    TIMESTAMPS,
    ScopedModelViewSet,
    ScopedReadOnlyViewSet,
    action_input,
    tagged,
)
from openai_countries.money import CURRENCY_CHOICES


class CommitmentSerializer(MoneySerializerMixin, ScopedModelSerializer):
    money_fields = ("amount",)
    country = CountryCodeField()
    amount = MoneyAmountField(min_value=Decimal("0.01"))
    amount_currency = serializers.ChoiceField(choices=CURRENCY_CHOICES)
    disbursed = serializers.DecimalField(max_digits=18, decimal_places=2, read_only=True)

    class Meta:
        model = Commitment
        fields = (
            "id",
            "partnership",
            "country",
            "site",
            "funder",
            "side",
            "instrument",
            "amount",
            "amount_currency",
            "disbursed",
            "status",
            "committed_on",
            "description",
            "government_confirmed_by",
            "government_confirmed_at",
            "provenance",
            "source",
            *TIMESTAMPS,
        )
        read_only_fields = (
            "status",
            "government_confirmed_by",
            "government_confirmed_at",
            *TIMESTAMPS,
        )


class DisbursementSerializer(ScopedModelSerializer):
    class Meta:
        model = Disbursement
        fields = ("id", "commitment", "paid_on", "amount", "reference", *TIMESTAMPS)
        read_only_fields = fields


class DisbursementInputSerializer(serializers.Serializer):
    paid_on = serializers.DateField()
    amount = serializers.DecimalField(max_digits=18, decimal_places=2, min_value=Decimal("0.01"))
    reference = serializers.CharField(max_length=100)


class CommitInputSerializer(serializers.Serializer):
    committed_on = serializers.DateField(required=False, allow_null=True)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class ReduceInputSerializer(serializers.Serializer):
    amount = serializers.DecimalField(max_digits=18, decimal_places=2, min_value=Decimal("0.01"))
    reason = serializers.CharField(max_length=2000)


class CommitmentTransitionSerializer(ScopedModelSerializer):
    class Meta:
        model = CommitmentStatusTransition
        fields = ("id", "commitment", "from_status", "to_status", "by", "at", "reason")
        read_only_fields = fields


class ExchangeRateSerializer(ScopedModelSerializer):
    currency = serializers.ChoiceField(choices=CURRENCY_CHOICES)

    class Meta:
        model = ExchangeRate
        fields = ("id", "currency", "on", "rate_to_usd", "source", *TIMESTAMPS)
        read_only_fields = TIMESTAMPS


@tagged("financing")
class CommitmentViewSet(ScopedModelViewSet):
    """Money each side puts in; status follows disbursements, government figures are confirmed."""

    queryset = Commitment.objects.select_related("partnership", "country", "funder", "site")
    serializer_class = CommitmentSerializer
    filterset_class = filters.CommitmentFilterSet
    search_fields = ("description", "funder__name", "partnership__code")
    # Newest first off the primary key, like the page: the big tables are not sorted whole
    # for each page (``?ordering=`` still sorts by any field).
    ordering = ("-pk",)
    action_scopes: ClassVar[dict[str, str]] = {"confirm": "confirm"}

    def create_object(self, data: dict[str, Any]) -> Any:
        return commitment_create(by=self.request.user, **data)

    def update_object(self, instance: Any, data: dict[str, Any]) -> Any:
        return commitment_update(commitment=instance, by=self.request.user, **data)

    @extend_schema(
        tags=["financing"],
        request=CommitInputSerializer,
        responses=CommitmentSerializer,
        summary="Turn a pledge into a firm commitment",
    )
    @action(detail=True, methods=["post"])
    def commit(self, request: Request, pk: str | None = None) -> Response:
        data = action_input(CommitInputSerializer, request)
        return self.respond_with(
            commitment_commit(
                commitment=self.get_object(),
                by=request.user,
                committed_on=data.get("committed_on"),
                reason=data.get("reason", ""),
            )
        )

    @extend_schema(
        tags=["financing"],
        request=DisbursementInputSerializer,
        responses={201: DisbursementSerializer},
        summary="Record a disbursement (never above what is committed)",
    )
    @action(detail=True, methods=["post"])
    def disburse(self, request: Request, pk: str | None = None) -> Response:
        data = action_input(DisbursementInputSerializer, request)
        disbursement = commitment_record_disbursement(
            commitment=self.get_object(), by=request.user, **data
        )
        return Response(DisbursementSerializer(disbursement).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        tags=["financing"],
        request=ReduceInputSerializer,
        responses=CommitmentSerializer,
        summary="Reduce the amount (not below what is disbursed; a reason is required)",
    )
    @action(detail=True, methods=["post"])
    def reduce(self, request: Request, pk: str | None = None) -> Response:
        data = action_input(ReduceInputSerializer, request)
        return self.respond_with(
            commitment_reduce(
                commitment=self.get_object(),
                new_amount=data["amount"],
                by=request.user,
                reason=data["reason"],
            )
        )

    @extend_schema(
        tags=["financing"],
        request=ReasonSerializer,
        responses=CommitmentSerializer,
        summary="Cancel a commitment nothing was disbursed from",
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        data = action_input(ReasonSerializer, request)
        return self.respond_with(
            commitment_cancel(
                commitment=self.get_object(), by=request.user, reason=data.get("reason", "")
            )
        )

    @extend_schema(
        tags=["financing"],
        request=None,
        responses=CommitmentSerializer,
        summary="Confirm the government's figures (that country's liaison)",
    )
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk: str | None = None) -> Response:
        return self.respond_with(commitment_confirm(commitment=self.get_object(), by=request.user))


@extend_schema_view(
    list=extend_schema(tags=["financing"]), retrieve=extend_schema(tags=["financing"])
)
class DisbursementViewSet(ScopedReadOnlyViewSet):
    """Payments against commitments (recorded through a commitment's ``disburse`` action)."""

    queryset = Disbursement.objects.select_related("commitment")
    serializer_class = DisbursementSerializer
    filterset_class = filters.DisbursementFilterSet
    search_fields = ("reference",)
    # Newest commitments' payments first, newest first within each: an index walk for the
    # whole portfolio and for one country alike (ordering by the disbursement's own id alone
    # reads most of the table before finding 50 of a small country's). ``?ordering=`` sorts
    # by any field.
    ordering = ("-commitment_id", "-pk")


@extend_schema_view(
    list=extend_schema(tags=["financing"]), retrieve=extend_schema(tags=["financing"])
)
class CommitmentTransitionViewSet(ScopedReadOnlyViewSet):
    """The recorded status moves of commitments."""

    queryset = CommitmentStatusTransition.objects.select_related("commitment", "by")
    serializer_class = CommitmentTransitionSerializer
    filterset_class = filters.CommitmentTransitionFilterSet


@tagged("reference")
class ExchangeRateViewSet(ScopedModelViewSet):
    """USD rates per currency and date; rollups use the rate of the value date or the one before."""

    queryset = ExchangeRate.objects.all()
    serializer_class = ExchangeRateSerializer
    filterset_class = filters.ExchangeRateFilterSet

    def create_object(self, data: dict[str, Any]) -> Any:
        return exchange_rate_set(by=self.request.user, **data)
