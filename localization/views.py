"""Pages of localization requirements: list, the review flow and the liaison's sign-off."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from django.views.generic.detail import SingleObjectMixin

from localization import services
from localization.filters import RequirementFilterSet
from localization.forms import RequirementEditForm, RequirementForm
from localization.models import LocalizationRequirement, RequirementStatus
from openai_countries.forms import offer_partnership_countries
from openai_countries.views import (
    Column,
    ScopedCreatePage,
    ScopedDetailView,
    ScopedEditPage,
    ScopedListPage,
    ScopedViewMixin,
)
from partnerships.access import can_on_country, holds_country_grant


class RequirementListView(ScopedListPage):
    queryset = LocalizationRequirement.objects.select_related("partnership", "country", "locale")
    filterset_class = RequirementFilterSet
    search_fields = ("title", "acceptance_criteria", "partnership__code")
    default_ordering = ("-pk",)  # newest first, straight off the primary key
    row_fields = (
        "title", "service_domain", "status", "priority", "target_on",
        "country__code", "country__name", "locale__name", "locale__tag",
    )  # fmt: skip
    export_route = "localizationrequirement-export"
    create_route = "localization:requirement-create"
    columns = (
        Column("title", gettext_lazy("title"), "title", "link"),
        Column("country", gettext_lazy("country"), "country__name"),
        Column("locale.name", gettext_lazy("locale"), "locale__name"),
        Column("service_domain", gettext_lazy("service domain"), "service_domain"),
        Column("status", gettext_lazy("status"), "status"),
        Column("priority", gettext_lazy("priority"), "priority"),
        Column("target_on", gettext_lazy("target date"), "target_on", "day"),
    )


class RequirementDetailView(ScopedDetailView):
    template_name = "localization/requirement_detail.html"
    queryset = LocalizationRequirement.objects.select_related(
        "partnership", "country", "locale", "signed_off_by"
    )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        requirement: LocalizationRequirement = self.object
        user = self.request.user
        may_change = can_on_country(user, "change", requirement.country)
        may_sign_off = holds_country_grant(user, "sign_off", requirement.country)
        steps = []
        for (source, target), needs_comment in services.REVIEW_FLOW.items():
            if source != requirement.status:
                continue
            allowed = may_sign_off if target == RequirementStatus.LIVE else may_change
            if allowed:
                steps.append(
                    {
                        "status": target,
                        "label": RequirementStatus(target).label,
                        "needs_comment": needs_comment,
                    }
                )
        context.update(
            may_change=may_change,
            may_sign_off=may_sign_off,
            steps=steps,
            transitions=requirement.status_transitions.select_related("by").order_by("-at", "-pk"),
            status_labels=dict(RequirementStatus.choices),
            history=requirement.history.select_related("history_user").order_by("-history_date")[
                :20
            ],
        )
        return context


class RequirementTransitionView(ScopedViewMixin, SingleObjectMixin, TemplateView):
    model = LocalizationRequirement

    def scope_action(self) -> str:
        # Going live is the liaison's sign-off; every other step is the program's work.
        return (
            "sign_off" if self.request.POST.get("to_status") == RequirementStatus.LIVE else "change"
        )

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return redirect("localization:requirement-detail", pk=kwargs["pk"])

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        requirement = self.get_object()
        to_status = request.POST.get("to_status", "")
        try:
            services.requirement_transition(
                requirement=requirement,
                to_status=to_status,
                by=request.user,
                comment=request.POST.get("comment", "").strip()[:2000],
            )
            messages.success(
                request,
                _("The requirement is now %(status)s.")
                % {"status": RequirementStatus(to_status).label.lower()},
            )
        except ValidationError as error:
            for text in error.messages:
                messages.error(request, text)
        return redirect(requirement.get_absolute_url())


class RequirementCreateView(ScopedCreatePage):
    model = LocalizationRequirement
    form_class = RequirementForm
    title = gettext_lazy("New localization requirement")

    def get_form(self, form_class: Any = None) -> Any:
        form = super().get_form(form_class)
        offer_partnership_countries(form, self.request.GET.get("partnership"))
        return form

    def get_initial(self) -> dict[str, Any]:
        initial = super().get_initial()
        if self.request.GET.get("partnership", "").isdigit():
            initial["partnership"] = self.request.GET["partnership"]
        return initial

    def save(self, form: Any) -> Any:
        return services.requirement_create(by=self.request.user, **form.cleaned_data)


class RequirementEditView(ScopedEditPage):
    model = LocalizationRequirement
    form_class = RequirementEditForm
