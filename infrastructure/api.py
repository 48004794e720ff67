"""API of infrastructure: sites and their status moves, phases, permits, security controls."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from infrastructure import filters
from infrastructure.models import (
    Permit,
    SecurityControl,
    Site,
    SitePhase,
    SiteStatus,
    SiteStatusTransition,
)
from infrastructure.services import site_advance_status, site_cancel, site_hold, site_resume
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


class SiteSerializer(ScopedModelSerializer):
    country = CountryCodeField()
    status_before_hold = serializers.CharField(
        read_only=True, help_text="The status a site on hold returns to; else empty."
    )

    class Meta:
        model = Site
        fields = (
            "id",
            "partnership",
            "country",
            "name",
            "locality",
            "latitude",
            "longitude",
            "operator",
            "status",
            "status_before_hold",
            "planned_capacity_mw",
            "target_pue",
            "renewable_share_pct",
            "cooling_type",
            "residency_class",
            "security_accreditation",
            "provenance",
            "source",
            *TIMESTAMPS,
        )
        read_only_fields = ("status", "status_before_hold", *TIMESTAMPS)


class SiteMoveSerializer(serializers.Serializer):
    to_status = serializers.ChoiceField(choices=SiteStatus.choices)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class SitePhaseSerializer(MoneySerializerMixin, ScopedModelSerializer):
    money_fields = ("capex_estimate",)
    capex_estimate = MoneyAmountField(min_value=0, allow_null=True, required=False)
    capex_estimate_currency = serializers.ChoiceField(
        choices=CURRENCY_CHOICES, allow_null=True, required=False
    )

    class Meta:
        model = SitePhase
        fields = (
            "id",
            "site",
            "number",
            "planned_mw",
            "energized_mw",
            "gpu_count",
            "capex_estimate",
            "capex_estimate_currency",
            "planned_ready_on",
            "actual_ready_on",
            *TIMESTAMPS,
        )
        read_only_fields = TIMESTAMPS


class PermitSerializer(ScopedModelSerializer):
    class Meta:
        model = Permit
        fields = (
            "id",
            "site",
            "permit_type",
            "authority",
            "reference",
            "required",
            "status",
            "applied_on",
            "decided_on",
            "expires_on",
            "conditions",
            *TIMESTAMPS,
        )
        read_only_fields = TIMESTAMPS


class SecurityControlSerializer(ScopedModelSerializer):
    class Meta:
        model = SecurityControl
        fields = (
            "id",
            "site",
            "control",
            "status",
            "evidence",
            "reviewer",
            "reviewed_at",
            *TIMESTAMPS,
        )
        read_only_fields = TIMESTAMPS


class SiteTransitionSerializer(ScopedModelSerializer):
    class Meta:
        model = SiteStatusTransition
        fields = ("id", "site", "from_status", "to_status", "by", "at", "reason")
        read_only_fields = fields


@tagged("infrastructure")
class SiteViewSet(ScopedModelViewSet):
    """Data-center campuses; the status moves through the actions, which check permits and power."""

    queryset = Site.objects.select_related("country", "partnership", "operator")
    serializer_class = SiteSerializer
    filterset_class = filters.SiteFilterSet
    search_fields = ("name", "locality", "partnership__code")
    # Newest first off the primary key, like the page: sites sort by their country's name,
    # which no index can serve (``?ordering=`` still sorts by any field).
    ordering = ("-pk",)

    @extend_schema(
        tags=["infrastructure"],
        request=SiteMoveSerializer,
        responses=SiteSerializer,
        summary="Move to the next status (permit and energized-capacity guards)",
    )
    @action(detail=True, methods=["post"])
    def advance(self, request: Request, pk: str | None = None) -> Response:
        data = action_input(SiteMoveSerializer, request)
        return self.respond_with(
            site_advance_status(
                site=self.get_object(),
                to_status=data["to_status"],
                by=request.user,
                reason=data.get("reason", ""),
            )
        )

    @extend_schema(
        tags=["infrastructure"],
        request=ReasonSerializer,
        responses=SiteSerializer,
        summary="Put on hold (a reason is required)",
    )
    @action(detail=True, methods=["post"])
    def hold(self, request: Request, pk: str | None = None) -> Response:
        data = action_input(ReasonSerializer, request)
        return self.respond_with(
            site_hold(site=self.get_object(), by=request.user, reason=data.get("reason", ""))
        )

    @extend_schema(
        tags=["infrastructure"],
        request=ReasonSerializer,
        responses=SiteSerializer,
        summary="Resume from hold",
    )
    @action(detail=True, methods=["post"])
    def resume(self, request: Request, pk: str | None = None) -> Response:
        data = action_input(ReasonSerializer, request)
        return self.respond_with(
            site_resume(site=self.get_object(), by=request.user, reason=data.get("reason", ""))
        )

    @extend_schema(
        tags=["infrastructure"],
        request=ReasonSerializer,
        responses=SiteSerializer,
        summary="Cancel (terminal; a reason is required)",
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        data = action_input(ReasonSerializer, request)
        return self.respond_with(
            site_cancel(site=self.get_object(), by=request.user, reason=data.get("reason", ""))
        )


@tagged("infrastructure")
class SitePhaseViewSet(ScopedModelViewSet):
    """Build phases with planned and energized MW, GPUs, capex and ready-for-service dates."""

    queryset = SitePhase.objects.select_related("site")
    serializer_class = SitePhaseSerializer
    filterset_class = filters.SitePhaseFilterSet


@tagged("infrastructure")
class PermitViewSet(ScopedModelViewSet):
    """Permits a site needs, and where each stands."""

    queryset = Permit.objects.select_related("site")
    serializer_class = PermitSerializer
    filterset_class = filters.PermitFilterSet
    search_fields = ("authority", "reference")


@tagged("infrastructure")
class SecurityControlViewSet(ScopedModelViewSet):
    """Security and safety controls from the catalogue, per site."""

    queryset = SecurityControl.objects.select_related("site", "reviewer")
    serializer_class = SecurityControlSerializer
    filterset_class = filters.SecurityControlFilterSet


@extend_schema_view(
    list=extend_schema(tags=["infrastructure"]), retrieve=extend_schema(tags=["infrastructure"])
)
class SiteTransitionViewSet(ScopedReadOnlyViewSet):
    """The recorded status moves of sites."""

    queryset = SiteStatusTransition.objects.select_related("site", "by")
    serializer_class = SiteTransitionSerializer
    filterset_class = filters.SiteTransitionFilterSet
