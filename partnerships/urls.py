from django.urls import path

from partnerships import views

app_name = "partnerships"
urlpatterns = [
    path("partnerships/", views.PartnershipListView.as_view(), name="partnership-list"),
    path("partnerships/new/", views.PartnershipCreateView.as_view(), name="partnership-create"),
    path(
        "partnerships/<int:pk>/", views.PartnershipDetailView.as_view(), name="partnership-detail"
    ),
    path(
        "partnerships/<int:pk>/edit/", views.PartnershipEditView.as_view(), name="partnership-edit"
    ),
    *[
        path(
            f"partnerships/<int:pk>/{action.replace('_', '-')}/",
            views.PartnershipActionView.as_view(action=action),
            name=f"partnership-{action.replace('_', '-')}",
        )
        for action in ("advance", "sign_off", "hold", "resume", "cancel")
    ],
    path("milestones/", views.MilestoneListView.as_view(), name="milestone-list"),
    path("milestones/new/", views.MilestoneCreateView.as_view(), name="milestone-create"),
    path("milestones/<int:pk>/edit/", views.MilestoneEditView.as_view(), name="milestone-edit"),
    path("risks/", views.RiskListView.as_view(), name="risk-list"),
    path("risks/new/", views.RiskCreateView.as_view(), name="risk-create"),
    path("risks/<int:pk>/edit/", views.RiskEditView.as_view(), name="risk-edit"),
    path("agreements/new/", views.AgreementCreateView.as_view(), name="agreement-create"),
    path("agreements/<int:pk>/edit/", views.AgreementEditView.as_view(), name="agreement-edit"),
    path("organisations/", views.OrganisationListView.as_view(), name="organisation-list"),
    path("organisations/new/", views.OrganisationCreateView.as_view(), name="organisation-create"),
    path(
        "organisations/<int:pk>/edit/",
        views.OrganisationEditView.as_view(),
        name="organisation-edit",
    ),
]
