from django.urls import path

from localization import views

app_name = "localization"
urlpatterns = [
    path("requirements/", views.RequirementListView.as_view(), name="requirement-list"),
    path("requirements/new/", views.RequirementCreateView.as_view(), name="requirement-create"),
    path(
        "requirements/<int:pk>/", views.RequirementDetailView.as_view(), name="requirement-detail"
    ),
    path(
        "requirements/<int:pk>/edit/", views.RequirementEditView.as_view(), name="requirement-edit"
    ),
    path(
        "requirements/<int:pk>/review/",
        views.RequirementTransitionView.as_view(),
        name="requirement-transition",
    ),
]
