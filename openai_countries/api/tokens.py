"""Personal API tokens: obtain one with username and password; list and revoke your own."""

from __future__ import annotations

from typing import Any, cast

from django.contrib.auth import authenticate
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from openai_countries.api.throttling import AnonRateThrottle
from openai_countries.api.viewsets import action_input
from partnerships.models import ApiToken
from partnerships.services.tokens import api_token_create, api_token_revoke


class TokenSerializer(serializers.ModelSerializer):
    class Meta:
        model = ApiToken
        fields: tuple[str, ...] = (
            "id",
            "name",
            "prefix",
            "created_at",
            "last_used_at",
            "revoked_at",
        )
        read_only_fields: tuple[str, ...] = fields


class NewTokenSerializer(TokenSerializer):
    key = serializers.CharField(read_only=True, help_text="Shown once; store it now.")

    class Meta(TokenSerializer.Meta):
        fields = (*TokenSerializer.Meta.fields, "key")
        read_only_fields = fields


class ObtainTokenInput(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=256, style={"input_type": "password"})
    name = serializers.CharField(max_length=100, required=False, default="API token")


class TokenNameInput(serializers.Serializer):
    name = serializers.CharField(max_length=100)


def _new_token_response(token: ApiToken, key: str) -> Response:
    data: dict[str, Any] = dict(NewTokenSerializer(token).data)
    data["key"] = key
    return Response(data, status=status.HTTP_201_CREATED)


class ObtainTokenView(APIView):
    """Exchange a username and password for a new personal token (lockouts apply)."""

    permission_classes = (AllowAny,)
    authentication_classes = ()
    throttle_classes = (AnonRateThrottle,)

    @extend_schema(tags=["auth"], request=ObtainTokenInput, responses={201: NewTokenSerializer})
    def post(self, request: Request) -> Response:
        data = action_input(ObtainTokenInput, request)
        # The Django request, so django-axes can count failures and answer a lockout itself.
        user = authenticate(request._request, username=data["username"], password=data["password"])
        if user is None:
            return Response(
                {"non_field_errors": ["Unable to log in with these credentials."]},
                status=status.HTTP_400_BAD_REQUEST,
            )
        return _new_token_response(*api_token_create(user=user, name=data["name"]))


@extend_schema(tags=["auth"])
class TokenViewSet(viewsets.ViewSet):
    """Your own personal tokens: list, create (the key is shown once) and revoke."""

    permission_classes = (IsAuthenticated,)
    serializer_class = TokenSerializer
    lookup_value_regex = "[0-9]+"

    @extend_schema(responses=TokenSerializer(many=True))
    def list(self, request: Request) -> Response:
        tokens = ApiToken.objects.filter(user=cast(Any, request.user))
        return Response(TokenSerializer(tokens, many=True).data)

    @extend_schema(request=TokenNameInput, responses={201: NewTokenSerializer})
    def create(self, request: Request) -> Response:
        data = action_input(TokenNameInput, request)
        return _new_token_response(*api_token_create(user=request.user, name=data["name"]))

    @extend_schema(
        responses={204: None},
        parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH, description="Token id")],
    )
    def destroy(self, request: Request, pk: str | None = None) -> Response:
        token = get_object_or_404(ApiToken.objects.filter(user=cast(Any, request.user)), pk=pk)
        api_token_revoke(token=token, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
