from django.urls import path

from financing import views

app_name = "financing"
urlpatterns = [
    path("commitments/", views.CommitmentListView.as_view(), name="commitment-list"),
    path("commitments/new/", views.CommitmentCreateView.as_view(), name="commitment-create"),
    path("commitments/<int:pk>/", views.CommitmentDetailView.as_view(), name="commitment-detail"),
    path("commitments/<int:pk>/edit/", views.CommitmentEditView.as_view(), name="commitment-edit"),
    *[
        path(
            f"commitments/<int:pk>/{action}/",
            views.CommitmentActionView.as_view(action=action),
            name=f"commitment-{action}",
        )
        for action in ("confirm", "commit", "disburse", "reduce", "cancel")
    ],
]
