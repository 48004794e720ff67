from django.urls import path

from infrastructure import views

app_name = "infrastructure"
urlpatterns = [
    path("sites/", views.SiteListView.as_view(), name="site-list"),
    path("sites/new/", views.SiteCreateView.as_view(), name="site-create"),
    path("sites/<int:pk>/", views.SiteDetailView.as_view(), name="site-detail"),
    path("sites/<int:pk>/edit/", views.SiteEditView.as_view(), name="site-edit"),
    *[
        path(
            f"sites/<int:pk>/{action}/",
            views.SiteActionView.as_view(action=action),
            name=f"site-{action}",
        )
        for action in ("advance", "hold", "resume", "cancel")
    ],
    path("site-phases/new/", views.SitePhaseCreateView.as_view(), name="sitephase-create"),
    path("site-phases/<int:pk>/edit/", views.SitePhaseEditView.as_view(), name="sitephase-edit"),
    path("permits/new/", views.PermitCreateView.as_view(), name="permit-create"),
    path("permits/<int:pk>/edit/", views.PermitEditView.as_view(), name="permit-edit"),
]
