from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import include, path

from partnerships import views as pages


def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def map_shapes(request: HttpRequest, digest: str) -> HttpResponse:
    """Every country's shape (Natural Earth, public), which the dashboards' maps draw with
    ``<use>``; the URL names the content, so browsers keep it for good."""
    from openai_countries.worldmap import shapes_digest, shapes_document

    if digest != shapes_digest():
        raise Http404
    response = HttpResponse(shapes_document(), content_type="image/svg+xml")
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("map/world-<str:digest>.svg", map_shapes, name="map-shapes"),
    path("", include("openai_countries.api.urls")),
    # The pages. Their names are namespaced by app: the API's router already uses
    # "partnership-list", "partnership-advance" and the like.
    path("", pages.home, name="home"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("language/", pages.set_language, name="set-language"),
    path("search/", pages.search, name="search"),
    path("portfolio/", pages.PortfolioView.as_view(), name="portfolio"),
    path("countries/<str:code>/", pages.CountryDashboardView.as_view(), name="country-dashboard"),
    path("reports/", pages.ReportListView.as_view(), name="report-list"),
    path("reports/<int:pk>/row/", pages.ReportRowView.as_view(), name="report-row"),
    path("reports/subscriptions/", pages.subscribe, name="report-subscribe"),
    path("reports/subscriptions/<int:pk>/delete/", pages.unsubscribe, name="report-unsubscribe"),
    path("", include("partnerships.urls")),
    path("", include("infrastructure.urls")),
    path("", include("financing.urls")),
    path("", include("localization.urls")),
]
# Media (report PDFs, agreement documents) is never served as plain files, not even in
# development: downloads go through views that check scope and write the audit trail.
