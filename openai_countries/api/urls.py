"""The API's routes: /api/v1/<resource>/, the schema and its documentation."""

from django.urls import include, path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)

from financing import api as financing
from infrastructure import api as infrastructure
from localization import api as localization
from openai_countries.api.routers import ResourceRouter
from openai_countries.api.tokens import ObtainTokenView, TokenViewSet
from partnerships import api as partnerships

router = ResourceRouter()
for prefix, viewset in (
    ("regions", partnerships.RegionViewSet),
    ("countries", partnerships.CountryViewSet),
    ("organisations", partnerships.OrganisationViewSet),
    ("partnerships", partnerships.PartnershipViewSet),
    ("participants", partnerships.ParticipantViewSet),
    ("agreements", partnerships.AgreementViewSet),
    ("milestones", partnerships.MilestoneViewSet),
    ("risks", partnerships.RiskViewSet),
    ("stage-transitions", partnerships.StageTransitionViewSet),
    ("sign-offs", partnerships.StageSignOffViewSet),
    ("report-runs", partnerships.ReportRunViewSet),
    ("sites", infrastructure.SiteViewSet),
    ("site-phases", infrastructure.SitePhaseViewSet),
    ("permits", infrastructure.PermitViewSet),
    ("security-controls", infrastructure.SecurityControlViewSet),
    ("site-transitions", infrastructure.SiteTransitionViewSet),
    ("commitments", financing.CommitmentViewSet),
    ("disbursements", financing.DisbursementViewSet),
    ("commitment-transitions", financing.CommitmentTransitionViewSet),
    ("exchange-rates", financing.ExchangeRateViewSet),
    ("locales", localization.LocaleViewSet),
    ("requirements", localization.RequirementViewSet),
    ("requirement-transitions", localization.RequirementTransitionViewSet),
):
    router.register(prefix, viewset, basename=viewset.queryset.model._meta.model_name)
router.register("auth/tokens", TokenViewSet, basename="token")

urlpatterns = [
    path("api/v1/auth/token/", ObtainTokenView.as_view(), name="api-token"),
    path("api/v1/", include(router.urls)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its initialiser as a script file: the CSP allows no inline script.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
]
