"""A small URLconf of pages built on the base views, to test the base views themselves."""

from __future__ import annotations

from django import forms
from django.http import HttpResponse
from django.urls import include, path

from financing.models import Commitment
from openai_countries.forms import ScopedFormMixin
from openai_countries.views import ScopedDetailView, ScopedListView, ScopedUpdateView
from partnerships.models import Partnership


class PartnershipList(ScopedListView):
    model = Partnership

    def render_to_response(self, context: dict, **kwargs: object) -> HttpResponse:
        return HttpResponse(",".join(p.code for p in context["object_list"]))


class PartnershipDetail(ScopedDetailView):
    queryset = Partnership.objects.select_related("lead_country")

    def render_to_response(self, context: dict, **kwargs: object) -> HttpResponse:
        return HttpResponse(context["object"].code)


class CommitmentForm(ScopedFormMixin, forms.ModelForm):
    class Meta:
        model = Commitment
        fields = ("partnership", "country", "description")


class CommitmentEdit(ScopedUpdateView):
    model = Commitment
    form_class = CommitmentForm

    def get_form_kwargs(self) -> dict:
        return {**super().get_form_kwargs(), "user": self.request.user}

    def form_valid(self, form: forms.ModelForm) -> HttpResponse:
        return HttpResponse("valid")

    def form_invalid(self, form: forms.ModelForm) -> HttpResponse:
        return HttpResponse(form.errors.as_json(), status=400)


urlpatterns = [
    # The real pages under a prefix, so that the site's templates (navigation, error pages)
    # can reverse their links; the test pages below take precedence.
    path("app/", include("openai_countries.urls")),
    path("accounts/login/", lambda request: HttpResponse("login"), name="login"),
    path("partnerships/", PartnershipList.as_view()),
    path("partnerships/<int:pk>/", PartnershipDetail.as_view()),
    path("commitments/<int:pk>/edit/", CommitmentEdit.as_view()),
]
