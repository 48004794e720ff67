"""API of localization: locales (from CLDR) and requirements with their review flow."""

from __future__ import annotations

from typing import Any, ClassVar

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from localization import filters
from localization.models import (
    Locale,
    LocalizationRequirement,
    RequirementStatus,
    RequirementStatusTransition,
)
from localization.services import (
    locale_get_or_create,
    requirement_create,
    requirement_sign_off,
    requirement_transition,
)
from openai_countries.api.serializers import CountryCodeField, ScopedModelSerializer
from openai_countries.api.viewsets import (
    TIMESTAMPS,
    ScopedModelViewSet,
    ScopedReadOnlyViewSet,
    action_input,
    tagged,
)


class LocaleSerializer(ScopedModelSerializer):
    default_for = CountryCodeField(many=True, read_only=True)

    class Meta:
        model = Locale
        fields = ("id", "tag", "name", "script", "direction", "default_for", *TIMESTAMPS)
        read_only_fields = ("name", "script", "direction", *TIMESTAMPS)


class RequirementSerializer(ScopedModelSerializer):
    country = CountryCodeField()
    locale = serializers.SlugRelatedField(slug_field="tag", queryset=Locale.objects.all())

    class Meta:
        model = LocalizationRequirement
        fields = (
            "id",
            "partnership",
            "country",
            "locale",
            "title",
            "service_domain",
            "category",
            "priority",
            "target_on",
            "owner",
            "acceptance_criteria",
            "evaluation_score",
            "evaluated_on",
            "status",
            "live_on",
            "signed_off_by",
            "signed_off_at",
            *TIMESTAMPS,
        )
        read_only_fields = ("status", "live_on", "signed_off_by", "signed_off_at", *TIMESTAMPS)


class TransitionInputSerializer(serializers.Serializer):
    to_status = serializers.ChoiceField(choices=RequirementStatus.choices)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class CommentSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class RequirementTransitionSerializer(ScopedModelSerializer):
    class Meta:
        model = RequirementStatusTransition
        fields = ("id", "requirement", "from_status", "to_status", "by", "at", "reason")
        read_only_fields = fields


@tagged("reference")
class LocaleViewSet(ScopedModelViewSet):
    """BCP 47 locales; name, script and direction come from CLDR when a tag is added."""

    queryset = Locale.objects.prefetch_related("default_for")
    serializer_class = LocaleSerializer
    filterset_class = filters.LocaleFilterSet
    search_fields = ("tag", "name")

    def create_object(self, data: dict[str, Any]) -> Any:
        return locale_get_or_create(tag=data["tag"], by=self.request.user)


@tagged("localization")
class RequirementViewSet(ScopedModelViewSet):
    """What each country's ChatGPT must do; going live needs the country liaison's sign-off."""

    queryset = LocalizationRequirement.objects.select_related(
        "partnership", "country", "locale", "owner"
    )
    serializer_class = RequirementSerializer
    filterset_class = filters.RequirementFilterSet
    search_fields = ("title", "acceptance_criteria", "partnership__code")
    # Newest first off the primary key, like the page: the big tables are not sorted whole
    # for each page (``?ordering=`` still sorts by any field).
    ordering = ("-pk",)
    action_scopes: ClassVar[dict[str, str]] = {"sign_off": "sign_off"}

    def create_object(self, data: dict[str, Any]) -> Any:
        return requirement_create(by=self.request.user, **data)

    @extend_schema(
        tags=["localization"],
        request=TransitionInputSerializer,
        responses=RequirementSerializer,
        summary="Move along the review flow (sending back or rejecting needs a comment)",
    )
    @action(detail=True, methods=["post"])
    def transition(self, request: Request, pk: str | None = None) -> Response:
        data = action_input(TransitionInputSerializer, request)
        return self.respond_with(
            requirement_transition(
                requirement=self.get_object(),
                to_status=data["to_status"],
                by=request.user,
                comment=data.get("comment", ""),
            )
        )

    @extend_schema(
        tags=["localization"],
        request=CommentSerializer,
        responses=RequirementSerializer,
        summary="Sign off a requirement in review: it goes live (the country's liaison)",
    )
    @action(detail=True, methods=["post"], url_path="sign-off")
    def sign_off(self, request: Request, pk: str | None = None) -> Response:
        data = action_input(CommentSerializer, request)
        return self.respond_with(
            requirement_sign_off(
                requirement=self.get_object(), by=request.user, comment=data.get("comment", "")
            )
        )


@extend_schema_view(
    list=extend_schema(tags=["localization"]), retrieve=extend_schema(tags=["localization"])
)
class RequirementTransitionViewSet(ScopedReadOnlyViewSet):
    """The recorded review steps of requirements, with reviewers' comments."""

    queryset = RequirementStatusTransition.objects.select_related("requirement", "by")
    serializer_class = RequirementTransitionSerializer
    filterset_class = filters.RequirementTransitionFilterSet
