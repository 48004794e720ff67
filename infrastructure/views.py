"""Pages of data-center sites: list, the site page with its status guards, forms."""

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

from infrastructure import services
from infrastructure.filters import SiteFilterSet
from infrastructure.forms import PermitForm, SiteEditForm, SiteForm, SitePhaseForm
from infrastructure.models import Permit, Site, SitePhase, SiteStatus
from infrastructure.services import SITE_STATUSES
from openai_countries.forms import offer_partnership_countries
from openai_countries.views import (
    Column,
    ScopedCreatePage,
    ScopedDetailView,
    ScopedEditPage,
    ScopedListPage,
    ScopedViewMixin,
)
from partnerships.access import can_on_country


class SiteListView(ScopedListPage):
    queryset = Site.objects.select_related("partnership", "country", "operator")
    filterset_class = SiteFilterSet
    unlisted_filters = ("operator",)
    search_fields = ("name", "locality", "partnership__code")
    default_ordering = ("country__name", "name")
    row_fields = (
        "name", "status", "planned_capacity_mw",
        "partnership__code", "country__code", "country__name", "operator__name",
    )  # fmt: skip
    export_route = "site-export"
    create_route = "infrastructure:site-create"
    columns = (
        Column("name", gettext_lazy("name"), "name", "link"),
        Column("country", gettext_lazy("country"), "country__name"),
        Column("partnership.code", gettext_lazy("partnership"), "partnership__code"),
        Column("status", gettext_lazy("status"), "status"),
        Column(
            "planned_capacity_mw",
            gettext_lazy("planned capacity (MW)"),
            "planned_capacity_mw",
            "number",
        ),
        Column("operator", gettext_lazy("operator"), "operator__name"),
    )


class SiteDetailView(ScopedDetailView):
    template_name = "infrastructure/site_detail.html"
    queryset = Site.objects.select_related("partnership", "country", "operator")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        site: Site = self.object
        target = SITE_STATUSES.next_of(site.status)
        context.update(
            may_change=can_on_country(self.request.user, "change", site.country),
            target=target,
            target_label=SITE_STATUSES.label(target) if target else "",
            guards=services.site_status_guards(site, target) if target else [],
            phases=site.phases.order_by("number"),
            permits=site.permits.order_by("permit_type", "pk"),
            controls=site.security_controls.order_by("control"),
            transitions=site.status_transitions.select_related("by").order_by("-at", "-pk"),
            status_labels=dict(SiteStatus.choices),
            history=site.history.select_related("history_user").order_by("-history_date")[:20],
        )
        return context


class SiteActionView(ScopedViewMixin, SingleObjectMixin, TemplateView):
    model = Site
    action = ""

    def scope_action(self) -> str:
        return "change"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return redirect("infrastructure:site-detail", pk=kwargs["pk"])

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        site = self.get_object()
        reason = request.POST.get("reason", "").strip()[:2000]
        try:
            if self.action == "advance":
                to_status = request.POST.get("to_status", "")
                services.site_advance_status(
                    site=site, to_status=to_status, by=request.user, reason=reason
                )
                messages.success(
                    request,
                    _("%(site)s moved to %(status)s.")
                    % {"site": site.name, "status": SITE_STATUSES.label(to_status)},
                )
            elif self.action == "hold":
                services.site_hold(site=site, by=request.user, reason=reason)
                messages.success(request, _("The site is on hold."))
            elif self.action == "resume":
                services.site_resume(site=site, by=request.user, reason=reason)
                messages.success(request, _("The site resumed."))
            elif self.action == "cancel":
                services.site_cancel(site=site, by=request.user, reason=reason)
                messages.success(request, _("The site is cancelled."))
        except ValidationError as error:
            for text in error.messages:
                messages.error(request, text)
        return redirect(site.get_absolute_url())


class SiteCreateView(ScopedCreatePage):
    model = Site
    form_class = SiteForm
    title = gettext_lazy("New site")

    def get_form(self, form_class: Any = None) -> Any:
        form = super().get_form(form_class)
        offer_partnership_countries(form, self.request.GET.get("partnership"))
        return form

    def get_initial(self) -> dict[str, Any]:
        initial = super().get_initial()
        if self.request.GET.get("partnership", "").isdigit():
            initial["partnership"] = self.request.GET["partnership"]
        return initial


class SiteEditView(ScopedEditPage):
    model = Site
    form_class = SiteEditForm


class _OfSiteCreatePage(ScopedCreatePage):
    _scoping_base = True

    def get_initial(self) -> dict[str, Any]:
        initial = super().get_initial()
        if self.request.GET.get("site", "").isdigit():
            initial["site"] = self.request.GET["site"]
        return initial

    def get_success_url(self) -> str:
        return str(self.object.site.get_absolute_url())


class SitePhaseCreateView(_OfSiteCreatePage):
    model = SitePhase
    form_class = SitePhaseForm
    title = gettext_lazy("New phase")


class SitePhaseEditView(ScopedEditPage):
    model = SitePhase
    form_class = SitePhaseForm

    def get_success_url(self) -> str:
        return str(self.object.site.get_absolute_url())


class PermitCreateView(_OfSiteCreatePage):
    model = Permit
    form_class = PermitForm
    title = gettext_lazy("New permit")


class PermitEditView(ScopedEditPage):
    model = Permit
    form_class = PermitForm

    def get_success_url(self) -> str:
        return str(self.object.site.get_absolute_url())
