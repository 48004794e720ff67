"""API of partnerships: reference data, partnerships and their records, stage moves, tokens."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import BooleanField, ExpressionWrapper, F, Q
from django.http import FileResponse
from django.utils import timezone
from django.utils.text import slugify
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

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
from partnerships import filters
from partnerships.access import can_on_country
from partnerships.models import (
    AccessEventKind,
    Agreement,
    Country,
    Health,
    Milestone,
    Organisation,
    Participant,
    Partnership,
    Region,
    ReportKind,
    ReportRun,
    ReportStatus,
    Risk,
    SignOffSide,
    Stage,
    StageSignOff,
    StageTransition,
    Workstream,
)
from partnerships.selectors import partnership_health
from partnerships.services.audit import access_event_record
from partnerships.services.partnerships import (
    partnership_add_country,
    partnership_create,
    partnership_set_health_override,
    partnership_update,
)
from partnerships.services.reports import report_run_request
from partnerships.services.stages import (
    partnership_advance_stage,
    partnership_cancel,
    partnership_hold,
    partnership_resume,
    partnership_sign_off,
    partnership_stage_guards,
)

# Reference data


class RegionSerializer(ScopedModelSerializer):
    countries = CountryCodeField(many=True, read_only=True)

    class Meta:
        model = Region
        fields = ("id", "code", "name", "description", "countries", *TIMESTAMPS)
        read_only_fields = TIMESTAMPS


class CountrySerializer(ScopedModelSerializer):
    code = serializers.CharField(read_only=True)
    region = serializers.SlugRelatedField(
        slug_field="code", queryset=Region.objects.all(), allow_null=True, required=False
    )

    class Meta:
        model = Country
        fields = ("id", "code", "name", "region", "currency", "time_zone")
        read_only_fields = ("name",)


class OrganisationSerializer(ScopedModelSerializer):
    home_country = CountryCodeField(allow_null=True, required=False)

    class Meta:
        model = Organisation
        fields = ("id", "name", "kind", "home_country", "iati_id", "website", *TIMESTAMPS)
        read_only_fields = TIMESTAMPS


@extend_schema_view(
    list=extend_schema(tags=["reference"]),
    retrieve=extend_schema(tags=["reference"]),
    create=extend_schema(tags=["reference"]),
    update=extend_schema(tags=["reference"]),
    partial_update=extend_schema(tags=["reference"]),
    destroy=extend_schema(tags=["reference"]),
)
class RegionViewSet(ScopedModelViewSet):
    """Named groups of countries for regional partnerships and rollups."""

    queryset = Region.objects.prefetch_related("countries")
    serializer_class = RegionSerializer
    search_fields = ("code", "name")


@extend_schema_view(
    list=extend_schema(tags=["reference"]),
    retrieve=extend_schema(tags=["reference"]),
    update=extend_schema(tags=["reference"]),
    partial_update=extend_schema(tags=["reference"]),
)
class CountryViewSet(ScopedModelViewSet):
    """All ISO 3166-1 countries (loaded from django-countries); administrators set region etc."""

    queryset = Country.objects.select_related("region")
    serializer_class = CountrySerializer
    http_method_names = ["get", "put", "patch", "head", "options"]
    search_fields = ("code", "name")
    lookup_field = "code"

    def get_object(self) -> Any:
        self.kwargs[self.lookup_field] = str(self.kwargs[self.lookup_field]).upper()
        return super().get_object()


@extend_schema_view(
    list=extend_schema(tags=["reference"]),
    retrieve=extend_schema(tags=["reference"]),
    create=extend_schema(tags=["reference"]),
    update=extend_schema(tags=["reference"]),
    partial_update=extend_schema(tags=["reference"]),
    destroy=extend_schema(tags=["reference"]),
)
class OrganisationViewSet(ScopedModelViewSet):
    """Governments, companies, operators, utilities, investors and other parties."""

    queryset = Organisation.objects.select_related("home_country")
    serializer_class = OrganisationSerializer
    filterset_class = filters.OrganisationFilterSet
    search_fields = ("name", "iati_id")


# Partnerships


class PartnershipSerializer(MoneySerializerMixin, ScopedModelSerializer):
    money_fields = ("planned_investment",)
    lead_country = CountryCodeField()
    countries = CountryCodeField(many=True, required=False)
    planned_investment = MoneyAmountField(min_value=0, allow_null=True, required=False)
    planned_investment_currency = serializers.ChoiceField(
        choices=CURRENCY_CHOICES, allow_null=True, required=False
    )
    # Read-only and often empty: plain strings, so the schema admits "" (an enum would not).
    stage_before_hold = serializers.CharField(
        read_only=True, help_text="The stage a partnership on hold returns to; else empty."
    )
    health_override = serializers.CharField(
        read_only=True, help_text="on_track, at_risk or off_track when overridden; else empty."
    )
    workstreams = serializers.ListField(
        child=serializers.ChoiceField(choices=Workstream.choices),
        required=False,
    )

    class Meta:
        model = Partnership
        fields = (
            "id",
            "code",
            "title",
            "summary",
            "lead_country",
            "countries",
            "wave",
            "owner",
            "stage",
            "stage_before_hold",
            "workstreams",
            "health_override",
            "health_override_reason",
            "planned_investment",
            "planned_investment_currency",
            "planned_start",
            "planned_end",
            "actual_start",
            "actual_end",
            "provenance",
            "source",
            *TIMESTAMPS,
        )
        read_only_fields = (
            "stage",
            "stage_before_hold",
            "health_override",
            "health_override_reason",
            *TIMESTAMPS,
        )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        lead = attrs.get("lead_country", getattr(self.instance, "lead_country", None))
        members = attrs.get("countries")
        if members is not None and lead is not None and lead not in members:
            members.append(lead)
        return attrs


class StageMoveSerializer(serializers.Serializer):
    to_stage = serializers.ChoiceField(choices=Stage.choices)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class SignOffInputSerializer(serializers.Serializer):
    gate = serializers.ChoiceField(choices=[(Stage.SIGNED, Stage.SIGNED.label)])
    side = serializers.ChoiceField(choices=SignOffSide.choices)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class HealthOverrideSerializer(serializers.Serializer):
    health = serializers.ChoiceField(choices=[("", "Computed"), *Health.choices])
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class GuardSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField(source="label")
    met = serializers.BooleanField()
    detail = serializers.CharField()


class HealthFactorSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField(source="label")
    level = serializers.CharField()
    explanation = serializers.CharField()


class HealthSerializer(serializers.Serializer):
    level = serializers.CharField()
    computed = serializers.CharField()
    override = serializers.CharField()
    override_reason = serializers.CharField()
    factors = HealthFactorSerializer(many=True)


class StageSignOffSerializer(ScopedModelSerializer):
    country = CountryCodeField(read_only=True, allow_null=True)

    class Meta:
        model = StageSignOff
        fields = (
            "id",
            "partnership",
            "gate",
            "side",
            "country",
            "signed_by",
            "signed_at",
            "comment",
        )
        read_only_fields = fields


class TransitionSerializer(ScopedModelSerializer):
    class Meta:
        model = StageTransition
        fields = ("id", "partnership", "from_status", "to_status", "by", "at", "reason")
        read_only_fields = fields


@tagged("partnerships")
class PartnershipViewSet(ScopedModelViewSet):
    """Country and regional partnerships; stages move through the actions, which check guards."""

    queryset = Partnership.objects.select_related("lead_country", "owner").prefetch_related(
        "countries"
    )
    serializer_class = PartnershipSerializer
    filterset_class = filters.PartnershipFilterSet
    search_fields = ("code", "title", "summary")
    action_scopes: ClassVar[dict[str, str]] = {
        "sign_off": "sign_off",
        "health": "view",
        "guards": "view",
    }

    def create_object(self, data: dict[str, Any]) -> Any:
        countries = data.pop("countries", [])
        return partnership_create(by=self.request.user, countries=countries, **data)

    def update_object(self, instance: Any, data: dict[str, Any]) -> Any:
        countries = data.pop("countries", None)
        if countries is not None:
            leaving = set(instance.countries.all()) - set(countries)
            if leaving:
                raise ValidationError(
                    {
                        "countries": [
                            "A country cannot leave a partnership through an edit: "
                            + ", ".join(sorted(c.iso2 for c in leaving))
                        ]
                    }
                )
            for country in countries:
                partnership_add_country(partnership=instance, country=country, by=self.request.user)
        return partnership_update(partnership=instance, by=self.request.user, **data)

    @extend_schema(
        tags=["partnerships"],
        request=StageMoveSerializer,
        responses=PartnershipSerializer,
        summary="Move to the next stage (guards are checked)",
    )
    @action(detail=True, methods=["post"])
    def advance(self, request: Request, pk: str | None = None) -> Response:
        data = action_input(StageMoveSerializer, request)
        moved = partnership_advance_stage(
            partnership=self.get_object(),
            to_stage=data["to_stage"],
            by=request.user,
            reason=data.get("reason", ""),
        )
        return self.respond_with(moved)

    @extend_schema(
        tags=["partnerships"],
        request=ReasonSerializer,
        responses=PartnershipSerializer,
        summary="Put on hold (a reason is required)",
    )
    @action(detail=True, methods=["post"])
    def hold(self, request: Request, pk: str | None = None) -> Response:
        data = action_input(ReasonSerializer, request)
        return self.respond_with(
            partnership_hold(
                partnership=self.get_object(), by=request.user, reason=data.get("reason", "")
            )
        )

    @extend_schema(
        tags=["partnerships"],
        request=ReasonSerializer,
        responses=PartnershipSerializer,
        summary="Resume from hold, back to the stage it left",
    )
    @action(detail=True, methods=["post"])
    def resume(self, request: Request, pk: str | None = None) -> Response:
        data = action_input(ReasonSerializer, request)
        return self.respond_with(
            partnership_resume(
                partnership=self.get_object(), by=request.user, reason=data.get("reason", "")
            )
        )

    @extend_schema(
        tags=["partnerships"],
        request=ReasonSerializer,
        responses=PartnershipSerializer,
        summary="Cancel (terminal; a reason is required)",
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        data = action_input(ReasonSerializer, request)
        return self.respond_with(
            partnership_cancel(
                partnership=self.get_object(), by=request.user, reason=data.get("reason", "")
            )
        )

    @extend_schema(
        tags=["partnerships"],
        request=SignOffInputSerializer,
        responses={201: StageSignOffSerializer},
        summary="Sign off one side of a gate (program: a manager; government: a liaison)",
    )
    @action(detail=True, methods=["post"], url_path="sign-off")
    def sign_off(self, request: Request, pk: str | None = None) -> Response:
        data = action_input(SignOffInputSerializer, request)
        sign_off = partnership_sign_off(
            partnership=self.get_object(),
            gate=data["gate"],
            side=data["side"],
            by=request.user,
            comment=data.get("comment", ""),
        )
        return Response(StageSignOffSerializer(sign_off).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        tags=["partnerships"],
        request=HealthOverrideSerializer,
        responses=PartnershipSerializer,
        summary="Override the computed health (empty clears; a reason is required)",
    )
    @action(detail=True, methods=["post"], url_path="health-override")
    def health_override(self, request: Request, pk: str | None = None) -> Response:
        data = action_input(HealthOverrideSerializer, request)
        return self.respond_with(
            partnership_set_health_override(
                partnership=self.get_object(),
                health=data["health"],
                reason=data.get("reason", ""),
                by=request.user,
            )
        )

    def _whole_partnership(self) -> Partnership:
        """Health and guards count every participating country's rows; a reader of only some
        of a regional partnership's countries would learn about the others from them."""
        partnership = self.get_object()
        if not all(
            can_on_country(self.request.user, "view", c) for c in partnership.countries.all()
        ):
            raise PermissionDenied(
                "Health and guards cover every participating country of this partnership."
            )
        return partnership

    @extend_schema(
        tags=["partnerships"],
        responses=HealthSerializer,
        summary="Computed health with its explained factors",
    )
    @action(detail=True, methods=["get"])
    def health(self, request: Request, pk: str | None = None) -> Response:
        assessment = partnership_health(self._whole_partnership(), today=timezone.localdate())
        return Response(
            HealthSerializer(
                {
                    "level": assessment.level,
                    "computed": assessment.computed,
                    "override": assessment.override,
                    "override_reason": assessment.override_reason,
                    "factors": assessment.factors,
                }
            ).data
        )

    @extend_schema(
        tags=["partnerships"],
        responses=GuardSerializer(many=True),
        summary="The guards of the next stage, each met or not",
    )
    @action(detail=True, methods=["get"])
    def guards(self, request: Request, pk: str | None = None) -> Response:
        from partnerships.services.stages import STAGES

        partnership = self._whole_partnership()
        target = STAGES.next_of(partnership.stage)
        guards = partnership_stage_guards(partnership, target) if target else []
        return Response(GuardSerializer(guards, many=True).data)


class ParticipantSerializer(ScopedModelSerializer):
    class Meta:
        model = Participant
        fields = (
            "id",
            "partnership",
            "organisation",
            "role",
            "lead_contact",
            "lead_contact_email",
            *TIMESTAMPS,
        )
        read_only_fields = TIMESTAMPS


class AgreementSerializer(ScopedModelSerializer):
    class Meta:
        model = Agreement
        fields = (
            "id",
            "partnership",
            "title",
            "agreement_type",
            "status",
            "signed_on",
            *TIMESTAMPS,
        )
        read_only_fields = TIMESTAMPS


class MilestoneSerializer(ScopedModelSerializer):
    overdue = serializers.BooleanField(read_only=True)
    # Milestone.is_overdue as SQL, for lists read as rows (openai_countries.api.rows).
    row_annotations: ClassVar[dict[str, Callable[[], Any]]] = {
        "overdue": lambda: ExpressionWrapper(
            Q(completed_on__isnull=True, due_on__lt=timezone.localdate()),
            output_field=BooleanField(),
        )
    }

    class Meta:
        model = Milestone
        fields = (
            "id",
            "partnership",
            "workstream",
            "title",
            "due_on",
            "completed_on",
            "overdue",
            *TIMESTAMPS,
        )
        read_only_fields = TIMESTAMPS


class RiskSerializer(ScopedModelSerializer):
    score = serializers.IntegerField(read_only=True)
    row_annotations: ClassVar[dict[str, Callable[[], Any]]] = {
        "score": lambda: F("likelihood") * F("impact")
    }

    class Meta:
        model = Risk
        fields = (
            "id",
            "partnership",
            "title",
            "likelihood",
            "impact",
            "score",
            "mitigation",
            "owner",
            "status",
            *TIMESTAMPS,
        )
        read_only_fields = TIMESTAMPS


@tagged("partnerships")
class ParticipantViewSet(ScopedModelViewSet):
    """Organisations taking part in a partnership, with their role."""

    queryset = Participant.objects.select_related("partnership", "organisation")
    serializer_class = ParticipantSerializer
    filterset_class = filters.ParticipantFilterSet


@tagged("partnerships")
class AgreementViewSet(ScopedModelViewSet):
    """LOIs, MoUs, definitive, co-financing and data-protection agreements."""

    queryset = Agreement.objects.select_related("partnership")
    serializer_class = AgreementSerializer
    filterset_class = filters.AgreementFilterSet
    search_fields = ("title", "partnership__code")


@tagged("partnerships")
class MilestoneViewSet(ScopedModelViewSet):
    """Dated deliverables per workstream; ``overdue`` is derived."""

    queryset = Milestone.objects.select_related("partnership")
    serializer_class = MilestoneSerializer
    filterset_class = filters.MilestoneFilterSet
    search_fields = ("title", "partnership__code")


@tagged("partnerships")
class RiskViewSet(ScopedModelViewSet):
    """Risks scored by likelihood and impact."""

    queryset = Risk.objects.select_related("partnership", "owner")
    serializer_class = RiskSerializer
    filterset_class = filters.RiskFilterSet
    search_fields = ("title", "mitigation", "partnership__code")


@extend_schema_view(
    list=extend_schema(tags=["partnerships"]), retrieve=extend_schema(tags=["partnerships"])
)
class StageTransitionViewSet(ScopedReadOnlyViewSet):
    """The recorded stage moves (who, when, from, to, why)."""

    queryset = StageTransition.objects.select_related("partnership", "by")
    serializer_class = TransitionSerializer
    filterset_class = filters.StageTransitionFilterSet


@extend_schema_view(
    list=extend_schema(tags=["partnerships"]), retrieve=extend_schema(tags=["partnerships"])
)
class StageSignOffViewSet(ScopedReadOnlyViewSet):
    """Each party's approval of a stage gate."""

    queryset = StageSignOff.objects.select_related("partnership", "country", "signed_by")
    serializer_class = StageSignOffSerializer
    filterset_class = filters.StageSignOffFilterSet


class ReportRunSerializer(ScopedModelSerializer):
    country = CountryCodeField(read_only=True, allow_null=True)

    class Meta:
        model = ReportRun
        fields = (
            "id",
            "kind",
            "country",
            "partnership",
            "as_of",
            "language",
            "requested_by",
            "requested_at",
            "status",
            "started_at",
            "finished_at",
            "sha256",
            "pages",
            "bytes",
            "duration_ms",
            "error",
        )
        read_only_fields = fields


class ReportRequestSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ReportKind.choices)
    country = CountryCodeField(required=False, allow_null=True)
    partnership = serializers.IntegerField(required=False, allow_null=True)
    as_of = serializers.DateField(required=False)
    language = serializers.ChoiceField(choices=settings.LANGUAGES, default="en")


@extend_schema_view(list=extend_schema(tags=["reports"]), retrieve=extend_schema(tags=["reports"]))
class ReportRunViewSet(ScopedReadOnlyViewSet):
    """Requested PDF progress reports: request one, follow its status, download it."""

    queryset = ReportRun.objects.select_related("country", "partnership", "requested_by")
    serializer_class = ReportRunSerializer
    action_scopes: ClassVar[dict[str, str]] = {"create": "export", "download": "export"}

    @extend_schema(
        tags=["reports"],
        request=ReportRequestSerializer,
        responses={201: ReportRunSerializer, 200: ReportRunSerializer},
        summary="Request a report (the same request again returns the existing run)",
    )
    def create(self, request: Request) -> Response:
        serializer = ReportRequestSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        partnership = None
        if data.get("partnership") is not None:
            partnership = (
                Partnership.objects.restrict(request.user, "export")
                .filter(pk=data["partnership"])
                .first()
            )
            if partnership is None:
                raise serializers.ValidationError({"partnership": ["Unknown partnership."]})
        run, created = report_run_request(
            kind=data["kind"],
            country=data.get("country"),
            partnership=partnership,
            as_of=data.get("as_of") or timezone.localdate(),
            language=data["language"],
            by=request.user,
        )
        run.refresh_from_db()
        return Response(
            ReportRunSerializer(run).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    @extend_schema(
        tags=["reports"],
        responses={(200, "application/pdf"): OpenApiTypes.BINARY},
        summary="Download a finished report (scoped, audited)",
    )
    @action(detail=True, methods=["get"])
    def download(self, request: Request, pk: str | None = None) -> FileResponse:
        run = self.get_object()
        if run.status != ReportStatus.SUCCEEDED:
            raise serializers.ValidationError({"status": [f"The report is {run.status}."]})
        access_event_record(
            user=request.user,
            kind=AccessEventKind.DOWNLOAD,
            allowed=True,
            target=f"partnerships.ReportRun {run.pk}",
            country=run.country,
            detail={"sha256": run.sha256},
        )
        scope_name = run.partnership.code if run.partnership else run.country or "portfolio"
        return FileResponse(
            run.file.open("rb"),
            as_attachment=True,
            filename=f"{slugify(f'{run.kind}-{scope_name}-{run.as_of}')}-{run.language}.pdf",
            content_type="application/pdf",
        )
