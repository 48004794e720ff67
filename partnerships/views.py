"""Pages of partnerships: dashboards, the partnership page and its stage moves, lists and forms,
global search and the language switch. Every query goes through the scoped base views or the
dashboard selectors; no view filters by country itself."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.generic import TemplateView
from django.views.generic.detail import SingleObjectMixin
from django.views.generic.edit import CreateView, UpdateView

from openai_countries.history import create_tracked, update_tracked
from openai_countries.middleware import LANGUAGE_SESSION_KEY
from openai_countries.views import (
    CachedShellMixin,
    Column,
    FormPageMixin,
    ScopedCreatePage,
    ScopedDetailView,
    ScopedEditPage,
    ScopedListPage,
    ScopedViewMixin,
    add_form_errors,
)
from partnerships import dashboards
from partnerships.access import (
    can_on_country,
    countries_for,
    country_or_404,
    has_global_reach,
    holds_country_grant,
)
from partnerships.filters import (
    MilestoneFilterSet,
    OrganisationFilterSet,
    PartnershipFilterSet,
    ReportRunFilterSet,
    RiskFilterSet,
)
from partnerships.forms import (
    AgreementForm,
    MilestoneForm,
    OrganisationForm,
    PartnershipCreateForm,
    PartnershipForm,
    ReportRequestForm,
    RiskForm,
    SubscriptionForm,
)
from partnerships.models import (
    Agreement,
    Milestone,
    Organisation,
    Partnership,
    ReportRun,
    ReportSubscription,
    Risk,
    SignOffSide,
    Stage,
    UserPreference,
    country_name,
)
from partnerships.selectors import partnership_health
from partnerships.services import stages
from partnerships.services.partnerships import partnership_create, partnership_update
from partnerships.services.reports import report_run_request, report_subscribe


def _country_dashboard_or_portfolio(request: HttpRequest) -> HttpResponse:
    """Where a person lands: their country if they hold exactly one, else the portfolio."""
    user = request.user
    if not has_global_reach(user, "view"):
        countries = list(countries_for(user, "view")[:2])
        if len(countries) == 1:
            return redirect(countries[0].get_absolute_url())
    return redirect("portfolio")


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return _country_dashboard_or_portfolio(request)


class PortfolioView(LoginRequiredMixin, CachedShellMixin, TemplateView):
    template_name = "partnerships/portfolio.html"
    fragments = ("dashboard_html",)
    shell_shows = ("today",)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        today = timezone.localdate()
        context.update(
            today=today, dashboard_html=dashboards.dashboard_html(self.request.user, today=today)
        )
        return context


class CountryDashboardView(LoginRequiredMixin, CachedShellMixin, TemplateView):
    template_name = "partnerships/country.html"
    fragments = ("dashboard_html",)
    shell_shows = ("today", "country")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        # Another country's page is a 404, exactly like a code that does not exist.
        country = country_or_404(user, kwargs["code"])
        today = timezone.localdate()
        for_you = can_on_country(user, "confirm", country) or holds_country_grant(
            user, "sign_off", country
        )
        context.update(
            country=country,
            today=today,
            dashboard_html=dashboards.dashboard_html(
                user, today=today, country=country, for_you=for_you
            ),
        )
        return context


# Partnerships ------------------------------------------------------------------------------


class PartnershipListView(ScopedListPage):
    queryset = Partnership.objects.select_related("lead_country")
    filterset_class = PartnershipFilterSet
    search_fields = ("code", "title", "summary")
    default_ordering = ("code",)
    row_fields = (
        "code", "title", "stage", "planned_investment", "planned_investment_currency",
        "planned_start", "lead_country__code", "lead_country__name",
    )  # fmt: skip
    export_route = "partnership-export"
    create_route = "partnerships:partnership-create"
    columns = (
        Column("code", gettext_lazy("code"), "code", "link"),
        Column("title", gettext_lazy("title"), "title"),
        Column("stage", gettext_lazy("stage"), "stage", "stage"),
        Column("lead_country", gettext_lazy("lead country"), "lead_country__name"),
        Column("country_list", gettext_lazy("participating countries")),
        Column(
            "planned_investment",
            gettext_lazy("planned co-financing"),
            "planned_investment",
            "money",
        ),
        Column("planned_start", gettext_lazy("planned start"), "planned_start", "day"),
    )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        """Each row's participating countries, named, as ``country_list``: read for the page in
        one query of the through table (prefetching them built a country and a queryset for
        each, a quarter of the page's CPU time)."""
        from openai_countries.api.rows import related_values

        context = super().get_context_data(**kwargs)
        rows = list(context["object_list"])
        codes = related_values(Partnership, "countries", "code", [row.pk for row in rows])
        for row in rows:
            row.country_list = [country_name(str(code)) for code in codes[row.pk]]
        context["object_list"] = rows
        if context.get("page_obj") is not None:
            context["page_obj"].object_list = rows
        return context


class PartnershipDetailView(ScopedDetailView):
    template_name = "partnerships/partnership_detail.html"
    queryset = Partnership.objects.select_related("lead_country", "owner")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        from financing.models import Commitment, Side
        from financing.selectors import cofinancing_split

        context = super().get_context_data(**kwargs)
        partnership: Partnership = self.object
        user = self.request.user
        today = timezone.localdate()
        target = stages.STAGES.next_of(partnership.stage)
        guards = stages.partnership_stage_guards(partnership, target) if target else []
        countries = list(partnership.countries.all())
        may_change = any(can_on_country(user, "change", c) for c in countries)
        split = cofinancing_split(partnership.commitments.all(), as_of=today)
        sign_offs = {
            s.side: s
            for s in partnership.sign_offs.filter(gate=Stage.SIGNED).select_related(
                "signed_by", "country"
            )
        }
        context.update(
            today=today,
            countries=countries,
            health=partnership_health(partnership, today=today),
            target=target,
            target_label=Stage(target).label if target else "",
            guards=[{"guard": g, "link": _guard_link(partnership, g.code)} for g in guards],
            transitions=partnership.stage_transitions.select_related("by").order_by("-at", "-pk")[
                :50
            ],
            sign_offs=sign_offs,
            sign_off_open=partnership.stage in (Stage.PROSPECT, Stage.SCOPING, Stage.NEGOTIATING),
            may_change=may_change,
            may_sign_program=has_global_reach(user, "sign_off")
            and SignOffSide.PROGRAM not in sign_offs,
            may_sign_government=SignOffSide.GOVERNMENT not in sign_offs
            and any(holds_country_grant(user, "sign_off", c) for c in countries),
            split=split,
            sites=partnership.sites.select_related("country").order_by("name"),
            commitments=Commitment.objects.filter(partnership=partnership)
            .select_related("funder", "country")
            .order_by("side", "pk"),
            requirements=partnership.requirements.select_related("locale", "country").order_by(
                "status", "pk"
            ),
            milestones=partnership.milestones.order_by("due_on", "pk"),
            risks=partnership.risks.order_by("-likelihood", "-impact", "pk"),
            agreements=partnership.agreements.order_by("-signed_on", "pk"),
            history=partnership.history.select_related("history_user").order_by("-history_date")[
                :20
            ],
            stage_labels=dict(Stage.choices),
            side_labels=dict(Side.choices),
        )
        return context


def _guard_link(partnership: Partnership, code: str) -> str:
    anchors = {
        "binding_agreement_signed": "#agreements",
        "program_sign_off": "#sign-off",
        "government_sign_off": "#sign-off",
        "site_operational": "#sites",
        "requirement_live": "#localization",
    }
    if code in ("company_commitment", "government_commitment"):
        side = code.split("_")[0]
        return f"{reverse('financing:commitment-list')}?partnership={partnership.pk}&side={side}"
    return anchors.get(code, "")


class PartnershipActionView(ScopedViewMixin, SingleObjectMixin, TemplateView):
    """POST-only stage actions; a refused action comes back to the page saying why."""

    model = Partnership
    action = ""

    def scope_action(self) -> str:
        return "sign_off" if self.action == "sign_off" else "change"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return redirect("partnerships:partnership-detail", pk=kwargs["pk"])

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        partnership = self.get_object()
        reason = request.POST.get("reason", "").strip()[:2000]
        try:
            if self.action == "advance":
                to_stage = request.POST.get("to_stage", "")
                stages.partnership_advance_stage(
                    partnership=partnership, to_stage=to_stage, by=request.user, reason=reason
                )
                messages.success(
                    request,
                    _("%(code)s moved to %(stage)s.")
                    % {"code": partnership.code, "stage": stages.STAGES.label(to_stage)},
                )
            elif self.action == "sign_off":
                stages.partnership_sign_off(
                    partnership=partnership,
                    gate=Stage.SIGNED,
                    side=request.POST.get("side", ""),
                    by=request.user,
                    comment=reason,
                )
                messages.success(request, _("Your sign-off is recorded."))
            elif self.action == "hold":
                stages.partnership_hold(partnership=partnership, by=request.user, reason=reason)
                messages.success(request, _("%(code)s is on hold.") % {"code": partnership.code})
            elif self.action == "resume":
                stages.partnership_resume(partnership=partnership, by=request.user, reason=reason)
                messages.success(request, _("%(code)s resumed.") % {"code": partnership.code})
            elif self.action == "cancel":
                stages.partnership_cancel(partnership=partnership, by=request.user, reason=reason)
                messages.success(request, _("%(code)s is cancelled.") % {"code": partnership.code})
        except ValidationError as error:
            for text in error.messages:
                messages.error(request, text)
        return redirect(partnership.get_absolute_url())


class PartnershipCreateView(ScopedCreatePage):
    model = Partnership
    form_class = PartnershipCreateForm
    title = gettext_lazy("New partnership")

    def save(self, form: Any) -> Any:
        data = dict(form.cleaned_data)
        others = data.pop("other_countries")
        return partnership_create(by=self.request.user, countries=list(others), **data)


class PartnershipEditView(ScopedEditPage):
    model = Partnership
    form_class = PartnershipForm

    def save(self, form: Any) -> Any:
        data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        return partnership_update(partnership=self.object, by=self.request.user, **data)


# Milestones, risks, agreements ------------------------------------------------------------------


class _ChildCreatePage(ScopedCreatePage):
    """A record of a partnership; ``?partnership=`` preselects it (if the user may change it)."""

    _scoping_base = True

    def get_initial(self) -> dict[str, Any]:
        initial = super().get_initial()
        if self.request.GET.get("partnership", "").isdigit():
            initial["partnership"] = self.request.GET["partnership"]
        return initial


class MilestoneListView(ScopedListPage):
    queryset = Milestone.objects.select_related("partnership")
    filterset_class = MilestoneFilterSet
    search_fields = ("title", "partnership__code")
    default_ordering = ("due_on",)
    row_fields = ("title", "workstream", "due_on", "completed_on", "partnership__code")
    export_route = "milestone-export"
    create_route = "partnerships:milestone-create"
    columns = (
        Column("title", gettext_lazy("title"), "title", "link"),
        Column("partnership.code", gettext_lazy("partnership"), "partnership__code"),
        Column("workstream", gettext_lazy("workstream"), "workstream"),
        Column("due_on", gettext_lazy("due"), "due_on", "day"),
        Column("completed_on", gettext_lazy("completed"), "completed_on", "day"),
    )


class MilestoneCreateView(_ChildCreatePage):
    model = Milestone
    form_class = MilestoneForm
    title = gettext_lazy("New milestone")


class MilestoneEditView(ScopedEditPage):
    model = Milestone
    form_class = MilestoneForm


class RiskListView(ScopedListPage):
    queryset = Risk.objects.select_related("partnership")
    filterset_class = RiskFilterSet
    search_fields = ("title", "mitigation", "partnership__code")
    default_ordering = ("-pk",)  # newest first, straight off the primary key
    row_fields = ("title", "likelihood", "impact", "status", "partnership__code")
    export_route = "risk-export"
    create_route = "partnerships:risk-create"
    columns = (
        Column("title", gettext_lazy("title"), "title", "link"),
        Column("partnership.code", gettext_lazy("partnership"), "partnership__code"),
        Column("likelihood", gettext_lazy("likelihood"), "likelihood"),
        Column("impact", gettext_lazy("impact"), "impact"),
        Column("status", gettext_lazy("status"), "status"),
    )


class RiskCreateView(_ChildCreatePage):
    model = Risk
    form_class = RiskForm
    title = gettext_lazy("New risk")


class RiskEditView(ScopedEditPage):
    model = Risk
    form_class = RiskForm


class AgreementCreateView(_ChildCreatePage):
    model = Agreement
    form_class = AgreementForm
    title = gettext_lazy("New agreement")


class AgreementEditView(ScopedEditPage):
    model = Agreement
    form_class = AgreementForm


# Organisations (reference data: the same for every country) ----------------------------------


class OrganisationListView(ScopedListPage):
    model = Organisation
    queryset = Organisation.objects.select_related("home_country")
    filterset_class = OrganisationFilterSet
    search_fields = ("name", "iati_id")
    default_ordering = ("name",)
    row_fields = ("name", "kind", "iati_id", "home_country__code", "home_country__name")
    export_route = "organisation-export"
    columns = (
        Column("name", gettext_lazy("name"), "name", "link"),
        Column("kind", gettext_lazy("kind"), "kind"),
        Column("home_country", gettext_lazy("home country"), "home_country__name"),
        Column("iati_id", gettext_lazy("IATI identifier"), "iati_id"),
    )

    def _create_url(self) -> str:
        if self.request.user.has_perm("partnerships.add_organisation"):
            return reverse("partnerships:organisation-create")
        return ""


class OrganisationCreateView(PermissionRequiredMixin, FormPageMixin, CreateView):
    permission_required = "partnerships.add_organisation"
    model = Organisation
    form_class = OrganisationForm
    template_name = "ui/form.html"
    title = gettext_lazy("New organisation")

    def save(self, form: Any) -> Any:
        return create_tracked(Organisation, by=self.request.user, **form.cleaned_data)


class OrganisationEditView(PermissionRequiredMixin, FormPageMixin, UpdateView):
    permission_required = "partnerships.change_organisation"
    model = Organisation
    form_class = OrganisationForm
    template_name = "ui/form.html"

    def save(self, form: Any) -> Any:
        return update_tracked(self.object, by=self.request.user, **form.cleaned_data)


# Search and language ---------------------------------------------------------------------------


SEARCH_LIMIT = 10


@login_required
def search(request: HttpRequest) -> HttpResponse:
    """Partnerships, sites, organisations and requirements matching ``q``, scoped like lists."""
    from infrastructure.models import Site
    from localization.models import LocalizationRequirement

    term = request.GET.get("q", "").strip()[:100]
    groups: list[dict[str, Any]] = []
    if term:
        user = request.user
        sources: list[tuple[str, Any, str]] = [
            (
                _("Partnerships"),
                Partnership.objects.restrict(user, "view").filter(
                    Q(code__icontains=term) | Q(title__icontains=term) | Q(summary__icontains=term)
                ),
                "partnerships:partnership-list",
            ),
            (
                _("Sites"),
                Site.objects.restrict(user, "view")
                .filter(Q(name__icontains=term) | Q(locality__icontains=term))
                .select_related("country"),
                "infrastructure:site-list",
            ),
            (
                _("Organisations"),
                Organisation.objects.filter(Q(name__icontains=term) | Q(iati_id__icontains=term)),
                "partnerships:organisation-list",
            ),
            (
                _("Localization requirements"),
                LocalizationRequirement.objects.restrict(user, "view").filter(
                    Q(title__icontains=term) | Q(acceptance_criteria__icontains=term)
                ),
                "localization:requirement-list",
            ),
        ]
        for label, rows, route in sources:
            found = list(rows.order_by("pk")[: SEARCH_LIMIT + 1])
            groups.append(
                {
                    "label": label,
                    "rows": found[:SEARCH_LIMIT],
                    "more": len(found) > SEARCH_LIMIT,
                    "list_url": f"{reverse(route)}?search={quote(term)}",
                }
            )
    return render(request, "partnerships/search.html", {"term": term, "groups": groups})


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch the page language; a signed-in user's choice is remembered for their next login."""
    from django.conf import settings

    language = request.POST.get("language", "")
    following = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(following, {request.get_host()}, request.is_secure()):
        following = reverse("home")
    response = redirect(following)
    if language not in dict(settings.LANGUAGES):
        messages.error(request, _("Choose one of the languages offered."))
        return response
    if request.user.is_authenticated:
        UserPreference.objects.update_or_create(user=request.user, defaults={"language": language})
        request.session[LANGUAGE_SESSION_KEY] = language
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        samesite="Lax",
        secure=request.is_secure(),
        max_age=365 * 24 * 3600,
    )
    return response


# Reports ---------------------------------------------------------------------------------------


class ReportListView(ScopedListPage):
    """Request a report, follow queued/running runs live, and browse the archive."""

    template_name = "partnerships/reports.html"
    queryset = ReportRun.objects.select_related("country", "partnership", "requested_by")
    filterset_class = ReportRunFilterSet
    default_ordering = ("-requested_at",)
    paginate_by = 25

    def scope_action(self) -> str:
        return "export" if self.request.method == "POST" else "view"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["filterset"] = self.filterset  # the archive's filter, rendered here every time
        context["request_form"] = kwargs.get("request_form") or ReportRequestForm(
            user=self.request.user,
            initial={"language": get_language(), "as_of": timezone.localdate()},
        )
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = ReportRequestForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                run, created = report_run_request(by=request.user, **form.cleaned_data)
            except ValidationError as error:
                add_form_errors(form, error)
            else:
                messages.success(
                    request,
                    _("Your report is queued; this page shows when it is ready.")
                    if created
                    else _("The same report was already requested; here it is."),
                )
                return redirect(f"{reverse('report-list')}#run-{run.pk}")
        self.object_list = self.get_queryset()
        return self.render_to_response(self.get_context_data(request_form=form), status=400)


class ReportRowView(ScopedDetailView):
    """One archive row, polled by HTMX while the run is queued or running."""

    template_name = "partnerships/_report_row.html"
    model = ReportRun
    context_object_name = "run"


@login_required
@require_POST
def subscribe(request: HttpRequest) -> HttpResponse:
    """Subscribe to a scheduled report (only one the user may request themselves)."""
    form = SubscriptionForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            report_subscribe(user=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_form_errors(form, error)
        else:
            messages.success(request, _("Subscribed: you will get an e-mail when it is ready."))
            return redirect("report-list")
    view = ReportListView(request=request, kwargs={}, args=())
    view.object_list = view.get_queryset()
    return view.render_to_response(view.get_context_data(subscribe_form=form), status=400)


@login_required
@require_POST
def unsubscribe(request: HttpRequest, pk: int) -> HttpResponse:
    # A person's own subscriptions only: someone else's is a 404 like one that does not exist.
    get_object_or_404(ReportSubscription, pk=pk, user=request.user).delete()
    messages.success(request, _("Unsubscribed."))
    return redirect("report-list")
