"""Pages of the co-financing ledger: commitments, their actions, and the government's
confirmation of its own figures."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from django.views.generic.detail import SingleObjectMixin

from financing import services
from financing.filters import CommitmentFilterSet
from financing.forms import CommitmentCreateForm, CommitmentEditForm, DisbursementForm, ReduceForm
from financing.models import Commitment, CommitmentStatus, Side
from openai_countries.forms import offer_partnership_countries
from openai_countries.views import (
    Column,
    ScopedCreatePage,
    ScopedDetailView,
    ScopedEditPage,
    ScopedListPage,
    ScopedViewMixin,
    add_form_errors,
)
from partnerships.access import can_on_country, holds_country_grant


class CommitmentListView(ScopedListPage):
    queryset = Commitment.objects.select_related("partnership", "country", "funder")
    filterset_class = CommitmentFilterSet
    unlisted_filters = ("site", "funder")
    search_fields = ("description", "funder__name", "partnership__code")
    default_ordering = ("-pk",)  # newest first, straight off the primary key
    row_fields = (
        "side", "amount", "amount_currency", "status", "government_confirmed_at",
        "partnership__code", "country__code", "country__name", "funder__name",
    )  # fmt: skip
    export_route = "commitment-export"
    create_route = "financing:commitment-create"
    columns = (
        Column("pk", gettext_lazy("commitment"), "", "link"),
        Column("partnership.code", gettext_lazy("partnership"), "partnership__code"),
        Column("country", gettext_lazy("country"), "country__name"),
        Column("funder", gettext_lazy("funder"), "funder__name"),
        Column("side", gettext_lazy("side"), "side"),
        Column("amount", gettext_lazy("amount"), "amount", "money"),
        Column("status", gettext_lazy("status"), "status"),
        Column(
            "government_confirmed_at",
            gettext_lazy("confirmed by the government"),
            "government_confirmed_at",
            "day",
        ),
    )


class CommitmentDetailView(ScopedDetailView):
    template_name = "financing/commitment_detail.html"
    queryset = Commitment.objects.select_related(
        "partnership", "country", "funder", "site", "government_confirmed_by"
    )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        commitment: Commitment = self.object
        user = self.request.user
        may_change = can_on_country(user, "change", commitment.country)
        context.update(
            may_change=may_change,
            may_confirm=commitment.side == Side.GOVERNMENT
            and commitment.status != CommitmentStatus.CANCELLED
            and holds_country_grant(user, "confirm", commitment.country),
            may_commit=may_change and commitment.status == CommitmentStatus.PLEDGED,
            may_disburse=may_change
            and commitment.status
            not in (
                CommitmentStatus.PLEDGED,
                CommitmentStatus.CANCELLED,
                CommitmentStatus.FULLY_DISBURSED,
            ),
            disbursements=commitment.disbursements.order_by("paid_on", "pk"),
            transitions=commitment.status_transitions.select_related("by").order_by("-at", "-pk"),
            status_labels=dict(CommitmentStatus.choices),
            history=commitment.history.select_related("history_user").order_by("-history_date")[
                :20
            ],
            disbursement_form=kwargs.get("disbursement_form")
            or DisbursementForm(initial={"paid_on": timezone.localdate()}),
            reduce_form=kwargs.get("reduce_form") or ReduceForm(),
        )
        return context


class CommitmentActionView(ScopedViewMixin, SingleObjectMixin, TemplateView):
    """POST-only ledger actions. A refused one is said on the page, with the input kept."""

    model = Commitment
    action = ""
    template_name = "financing/commitment_detail.html"

    def scope_action(self) -> str:
        return "confirm" if self.action == "confirm" else "change"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return redirect("financing:commitment-detail", pk=kwargs["pk"])

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        commitment = self.get_object()
        user = request.user
        reason = request.POST.get("reason", "").strip()[:2000]
        try:
            if self.action == "confirm":
                services.commitment_confirm(commitment=commitment, by=user)
                messages.success(request, _("The government's figures are confirmed."))
            elif self.action == "commit":
                services.commitment_commit(commitment=commitment, by=user, reason=reason)
                messages.success(request, _("The pledge is now a firm commitment."))
            elif self.action == "cancel":
                services.commitment_cancel(commitment=commitment, by=user, reason=reason)
                messages.success(request, _("The commitment is cancelled."))
            elif self.action == "disburse":
                form = DisbursementForm(request.POST)
                if not form.is_valid():
                    return self._again(commitment, disbursement_form=form)
                try:
                    services.commitment_record_disbursement(
                        commitment=commitment, by=user, **form.cleaned_data
                    )
                except ValidationError as error:
                    add_form_errors(form, error)
                    return self._again(commitment, disbursement_form=form)
                messages.success(request, _("The disbursement is recorded."))
            elif self.action == "reduce":
                reduce_form = ReduceForm(request.POST)
                if not reduce_form.is_valid():
                    return self._again(commitment, reduce_form=reduce_form)
                try:
                    services.commitment_reduce(
                        commitment=commitment, by=user, **reduce_form.cleaned_data
                    )
                except ValidationError as error:
                    add_form_errors(reduce_form, error, rename={"amount": "new_amount"})
                    return self._again(commitment, reduce_form=reduce_form)
                messages.success(request, _("The commitment is reduced."))
        except ValidationError as error:
            for text in error.messages:
                messages.error(request, text)
        return redirect(commitment.get_absolute_url())

    def _again(self, commitment: Commitment, **forms: Any) -> HttpResponse:
        # Re-rendered with the typed values and their errors: nothing typed is lost.
        view = CommitmentDetailView(
            request=self.request, kwargs={"pk": commitment.pk}, object=commitment
        )
        return view.render_to_response(
            view.get_context_data(object=commitment, **forms), status=400
        )


class CommitmentCreateView(ScopedCreatePage):
    model = Commitment
    form_class = CommitmentCreateForm
    title = gettext_lazy("New commitment")

    def get_form(self, form_class: Any = None) -> Any:
        form = super().get_form(form_class)
        offer_partnership_countries(form, self.request.GET.get("partnership"))
        return form

    def get_initial(self) -> dict[str, Any]:
        initial = super().get_initial()
        for name in ("partnership", "side"):
            if self.request.GET.get(name):
                initial[name] = self.request.GET[name]
        return initial

    def save(self, form: Any) -> Any:
        return services.commitment_create(by=self.request.user, **form.cleaned_data)


class CommitmentEditView(ScopedEditPage):
    model = Commitment
    form_class = CommitmentEditForm

    def save(self, form: Any) -> Any:
        data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        return services.commitment_update(commitment=self.object, by=self.request.user, **data)
