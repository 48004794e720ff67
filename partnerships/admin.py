"""Admin of reference data, partnerships, role grants and report runs.

Stage and hold state are read-only: they move through ``partnerships.services.stages`` (the
actions below call it). Role grants are made and revoked only through
``partnerships.services.roles``, which keeps django-guardian's per-country groups in step.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db import models
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from openai_countries.admin import (
    AdminModelForm,
    DomainAdmin,
    DomainInline,
    ReadOnlyAdmin,
    ReadOnlyDomainAdmin,
    ReadOnlyInline,
    TransitionAdmin,
    TransitionInline,
    adopt_saved,
)
from openai_countries.history import save_tracked
from partnerships.models import (
    AccessEvent,
    Agreement,
    ApiToken,
    Country,
    CountryFigures,
    CountryRoleGrant,
    Milestone,
    Organisation,
    Participant,
    Partnership,
    PartnershipCountry,
    PartnershipSignals,
    Region,
    ReportRun,
    ReportSubscription,
    Risk,
    Role,
    Stage,
    StageSignOff,
    StageTransition,
    UserPreference,
    Workstream,
)
from partnerships.services.partnerships import (
    partnership_add_country,
    partnership_create,
    partnership_update,
)
from partnerships.services.roles import country_grant_role, country_revoke_role
from partnerships.services.stages import (
    STAGES,
    partnership_advance_stage,
    partnership_resume,
)
from partnerships.services.tokens import api_token_revoke

TIMESTAMPS = ("created_at", "updated_at")


# Reference data


@admin.register(Region)
class RegionAdmin(DomainAdmin):
    list_display = ("name", "code", "country_count")
    search_fields = ("name", "code")
    ordering = ("name",)  # an aggregating queryset drops Meta.ordering
    readonly_fields = TIMESTAMPS

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).annotate(_country_count=Count("countries"))

    @admin.display(description=_("countries"), ordering="_country_count")
    def country_count(self, obj: Any) -> int:
        return int(obj._country_count)


@admin.register(Country)
class CountryAdmin(DomainAdmin):
    list_display = ("name", "code", "region", "currency", "time_zone")
    list_filter = ("region",)
    list_select_related = ("region",)
    search_fields = ("code", "name")
    fields = ("code", "name", "region", "currency", "time_zone", "default_locale_tags", *TIMESTAMPS)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        # The ISO code identifies the country (and its per-country permission groups).
        readonly = ("default_locale_tags", *TIMESTAMPS)
        return ("code", *readonly) if obj is not None else readonly

    @admin.display(description=_("default locales"))
    def default_locale_tags(self, obj: Country) -> str:
        if obj.pk is None:
            return "-"
        return ", ".join(locale.tag for locale in obj.default_locales.all()) or "-"


@admin.register(Organisation)
class OrganisationAdmin(DomainAdmin):
    list_display = ("name", "kind", "home_country", "iati_id", "website")
    list_filter = ("kind", ("home_country", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("home_country",)
    search_fields = ("name", "iati_id")
    autocomplete_fields = ("home_country",)
    readonly_fields = TIMESTAMPS
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


# Partnerships


class PartnershipAdminForm(AdminModelForm):
    workstreams = forms.MultipleChoiceField(
        label=capfirst(Partnership._meta.get_field("workstreams").verbose_name),
        choices=Workstream.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Partnership
        fields = (
            "code",
            "title",
            "summary",
            "lead_country",
            "wave",
            "owner",
            "workstreams",
            "health_override",
            "health_override_reason",
            "planned_investment",
            "planned_start",
            "planned_end",
            "actual_start",
            "actual_end",
            "provenance",
            "source",
        )


class PartnershipCountryInline(DomainInline):
    model = PartnershipCountry
    fields = ("country", "joined_on")
    autocomplete_fields = ("country",)
    # Taking a country out of a partnership has no service (its sites, commitments and
    # requirements would be left behind); it is not done from the admin.
    can_delete = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).select_related("country")


class ParticipantInline(DomainInline):
    model = Participant
    fields = ("organisation", "role", "lead_contact", "lead_contact_email")
    autocomplete_fields = ("organisation",)


class AgreementInline(DomainInline):
    model = Agreement
    fields = ("title", "agreement_type", "status", "signed_on", "document")


class MilestoneInline(DomainInline):
    model = Milestone
    fields = ("workstream", "title", "due_on", "completed_on")


class RiskInline(DomainInline):
    model = Risk
    fields = ("title", "likelihood", "impact", "status", "owner", "mitigation")
    autocomplete_fields = ("owner",)


class StageSignOffInline(ReadOnlyInline):
    model = StageSignOff
    fields = ("gate", "side", "country", "signed_by", "signed_at", "comment")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).select_related("country", "signed_by")


class StageTransitionInline(TransitionInline):
    model = StageTransition
    status_labels = dict(Stage.choices)


@admin.register(Partnership)
class PartnershipAdmin(DomainAdmin):
    form = PartnershipAdminForm
    ordering = ("code",)  # an aggregating queryset drops Meta.ordering
    list_display = (
        "code",
        "title",
        "lead_country",
        "country_count",
        "stage",
        "wave",
        "owner",
        "health_override",
        "planned_start",
        "planned_end",
    )
    list_display_links = ("code", "title")
    list_filter = ("stage", "wave", "health_override", "provenance", "lead_country__region")
    list_select_related = ("lead_country", "owner")
    search_fields = ("code", "title", "lead_country__name", "countries__name")
    autocomplete_fields = ("lead_country", "owner")
    readonly_fields = ("stage", "stage_before_hold", *TIMESTAMPS)
    fieldsets = (
        (None, {"fields": ("code", "title", "summary", "lead_country", "wave", "owner")}),
        (_("Lifecycle"), {"fields": ("stage", "stage_before_hold")}),
        (
            _("Workstreams and health"),
            {"fields": ("workstreams", "health_override", "health_override_reason")},
        ),
        (
            _("Plan"),
            {
                "fields": (
                    "planned_investment",
                    ("planned_start", "planned_end"),
                    ("actual_start", "actual_end"),
                )
            },
        ),
        (_("Provenance"), {"fields": ("provenance", "source", *TIMESTAMPS)}),
    )
    inlines = (
        PartnershipCountryInline,
        ParticipantInline,
        AgreementInline,
        MilestoneInline,
        RiskInline,
        StageSignOffInline,
        StageTransitionInline,
    )
    actions = ("advance_stage", "resume")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return (
            super()
            .get_queryset(request)
            .annotate(_country_count=Count("participations", distinct=True))
        )

    @admin.display(description=_("countries"), ordering="_country_count")
    def country_count(self, obj: Any) -> int:
        return int(obj._country_count)

    def save_model(self, request: HttpRequest, obj: Partnership, form: Any, change: bool) -> None:
        if change:
            # Saved in save_related, after the participating countries: the service checks that
            # the lead country takes part, and it may have been added in this same submission.
            return
        fields = {
            name: value
            for name, value in form.cleaned_data.items()
            if name not in ("code", "title", "lead_country")
        }
        partnership = partnership_create(
            code=form.cleaned_data["code"],
            title=form.cleaned_data["title"],
            lead_country=form.cleaned_data["lead_country"],
            by=request.user,
            **fields,
        )
        adopt_saved(obj, partnership)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        if change and form.changed_data:
            partnership_update(
                partnership=form.instance,
                by=request.user,
                reason=str(_("Edited in the admin")),
                **{name: form.cleaned_data[name] for name in form.changed_data},
            )

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model is not PartnershipCountry:
            super().save_formset(request, form, formset, change)
            return
        formset.save(commit=False)  # sorts the rows into new and changed ones
        for participation in formset.new_objects:
            joined = partnership_add_country(
                partnership=formset.instance, country=participation.country, by=request.user
            )
            if joined.joined_on != participation.joined_on:
                joined.joined_on = participation.joined_on
                save_tracked(joined, by=request.user, reason=str(_("Joining date set")))
        for participation, _changed in formset.changed_objects:
            save_tracked(participation, by=request.user, reason=str(_("Edited in the admin")))

    @admin.action(
        description=_("Move selected partnerships to their next stage"), permissions=["change"]
    )
    def advance_stage(self, request: HttpRequest, queryset: QuerySet[Partnership]) -> None:
        self.run_service(
            request,
            queryset,
            lambda p: partnership_advance_stage(
                partnership=p, to_stage=STAGES.next_of(p.stage) or p.stage, by=request.user
            ),
            done=_("Moved to the next stage: %(objects)s."),
        )

    @admin.action(description=_("Resume selected partnerships from hold"), permissions=["change"])
    def resume(self, request: HttpRequest, queryset: QuerySet[Partnership]) -> None:
        self.run_service(
            request,
            queryset,
            lambda p: partnership_resume(partnership=p, by=request.user),
            done=_("Resumed: %(objects)s."),
        )


@admin.register(PartnershipCountry)
class PartnershipCountryAdmin(DomainAdmin):
    list_display = ("partnership", "country", "joined_on")
    list_filter = (("country", admin.RelatedOnlyFieldListFilter),)
    list_select_related = ("partnership", "country")
    search_fields = ("partnership__code", "partnership__title", "country__name", "country__code")
    autocomplete_fields = ("partnership", "country")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("partnership", "country") if obj is not None else ()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(
        self, request: HttpRequest, obj: PartnershipCountry, form: Any, change: bool
    ) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        joined = partnership_add_country(
            partnership=obj.partnership, country=obj.country, by=request.user
        )
        if joined.joined_on != obj.joined_on:
            joined.joined_on = obj.joined_on
            save_tracked(joined, by=request.user, reason=str(_("Joining date set")))
        adopt_saved(obj, joined)


@admin.register(Participant)
class ParticipantAdmin(DomainAdmin):
    list_display = ("organisation", "partnership", "role", "lead_contact", "lead_contact_email")
    list_filter = ("role", "organisation__kind")
    list_select_related = ("organisation", "partnership")
    search_fields = (
        "organisation__name",
        "partnership__code",
        "partnership__title",
        "lead_contact",
    )
    autocomplete_fields = ("partnership", "organisation")
    readonly_fields = TIMESTAMPS


@admin.register(Agreement)
class AgreementAdmin(DomainAdmin):
    list_display = ("title", "partnership", "agreement_type", "status", "signed_on")
    list_filter = ("agreement_type", "status")
    list_select_related = ("partnership",)
    search_fields = ("title", "partnership__code", "partnership__title")
    autocomplete_fields = ("partnership",)
    date_hierarchy = "signed_on"
    readonly_fields = TIMESTAMPS


@admin.register(Milestone)
class MilestoneAdmin(DomainAdmin):
    list_display = ("title", "partnership", "workstream", "due_on", "completed_on", "overdue")
    list_filter = ("workstream", ("completed_on", admin.EmptyFieldListFilter))
    list_select_related = ("partnership",)
    search_fields = ("title", "partnership__code", "partnership__title")
    autocomplete_fields = ("partnership",)
    date_hierarchy = "due_on"
    readonly_fields = TIMESTAMPS

    @admin.display(description=_("overdue"), boolean=True)
    def overdue(self, obj: Milestone) -> bool:
        return obj.overdue


@admin.register(Risk)
class RiskAdmin(DomainAdmin):
    list_display = ("title", "partnership", "likelihood", "impact", "score", "status", "owner")
    list_filter = ("status", "likelihood", "impact")
    list_select_related = ("partnership", "owner")
    search_fields = ("title", "mitigation", "partnership__code", "partnership__title")
    autocomplete_fields = ("partnership", "owner")
    readonly_fields = TIMESTAMPS

    @admin.display(description=_("score"))
    def score(self, obj: Risk) -> int:
        return obj.score


@admin.register(StageTransition)
class StageTransitionAdmin(TransitionAdmin):
    status_labels = dict(Stage.choices)
    list_display = ("partnership", "at", "from_label", "to_label", "by")
    list_select_related = ("partnership", "by")
    search_fields = ("partnership__code", "partnership__title", "reason")
    fields = ("partnership", "at", "from_label", "to_label", "by", "reason")
    readonly_fields = fields


@admin.register(StageSignOff)
class StageSignOffAdmin(ReadOnlyDomainAdmin):
    list_display = ("partnership", "gate", "side", "country", "signed_by", "signed_at")
    list_filter = ("gate", "side")
    list_select_related = ("partnership", "country", "signed_by")
    search_fields = ("partnership__code", "partnership__title", "comment")
    date_hierarchy = "signed_at"


# Per-country roles


class GrantStateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("active", _("Active")), ("revoked", _("Revoked"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "active":
            return queryset.filter(revoked_at__isnull=True)
        if self.value() == "revoked":
            return queryset.filter(revoked_at__isnull=False)
        return queryset


class CountryRoleGrantForm(AdminModelForm):
    """Grant form: the model's own checks (a liaison needs a country, a global role must not have
    one, one active grant per user, role and country) become form errors before the service runs.
    """

    class Meta:
        model = CountryRoleGrant
        fields = ("user", "role", "country")

    def clean(self) -> dict[str, Any] | None:
        cleaned = super().clean() or {}
        user, role = cleaned.get("user"), cleaned.get("role")
        if user and role:
            active = CountryRoleGrant.objects.filter(
                user=user, role=role, country=cleaned.get("country"), revoked_at__isnull=True
            )
            if active.exists():
                self.add_error(
                    None,
                    _("%(user)s already holds an active %(role)s grant there.")
                    % {"user": user, "role": Role(role).label},
                )
        return cleaned


@admin.register(CountryRoleGrant)
class CountryRoleGrantAdmin(DomainAdmin):
    form = CountryRoleGrantForm
    list_display = (
        "user",
        "role",
        "scope",
        "is_active",
        "granted_by",
        "granted_at",
        "revoked_by",
        "revoked_at",
    )
    list_filter = (GrantStateFilter, "role", ("country", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("user", "country", "granted_by", "revoked_by")
    search_fields = (
        "user__username",
        "user__email",
        "user__first_name",
        "user__last_name",
        "country__name",
        "country__code",
    )
    autocomplete_fields = ("user", "country")
    date_hierarchy = "granted_at"
    actions = ("revoke",)
    _grant_fields = ("user", "role", "country")
    _record_fields = ("granted_by", "granted_at", "revoked_by", "revoked_at")

    def get_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return self._grant_fields if obj is None else self._grant_fields + self._record_fields

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return () if obj is None else self._grant_fields + self._record_fields

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Grants are never edited: a change is a revocation and a new grant.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("country"), ordering="country__name")
    def scope(self, obj: CountryRoleGrant) -> str:
        return str(obj.country) if obj.country else str(_("All countries"))

    @admin.display(description=_("active"), boolean=True)
    def is_active(self, obj: CountryRoleGrant) -> bool:
        return obj.is_active

    def save_model(
        self, request: HttpRequest, obj: CountryRoleGrant, form: Any, change: bool
    ) -> None:
        grant = country_grant_role(
            user=form.cleaned_data["user"],
            role=form.cleaned_data["role"],
            country=form.cleaned_data.get("country"),
            by=request.user,
        )
        adopt_saved(obj, grant)

    @admin.action(description=_("Revoke selected grants"), permissions=["add"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[CountryRoleGrant]) -> None:
        self.run_service(
            request,
            queryset,
            lambda g: country_revoke_role(
                user=g.user, role=g.role, country=g.country, by=request.user
            ),
            done=_("Revoked: %(objects)s."),
        )


# Reports


@admin.register(ReportRun)
class ReportRunAdmin(ReadOnlyAdmin):
    list_display = (
        "kind",
        "scope",
        "as_of",
        "language",
        "status",
        "requested_by",
        "requested_at",
        "finished_at",
        "pages",
    )
    list_filter = ("kind", "status", "language")
    list_select_related = ("country", "partnership", "requested_by")
    search_fields = ("partnership__code", "partnership__title", "country__name", "error")
    date_hierarchy = "as_of"

    @admin.display(description=_("scope"))
    def scope(self, obj: ReportRun) -> str:
        return str(obj.partnership or obj.country or _("Portfolio"))


# Audit


@admin.register(AccessEvent)
class AccessEventAdmin(ReadOnlyAdmin):
    """The access audit trail: readable by administrators, changeable by nobody."""

    list_display = ("at", "username", "kind", "allowed", "target", "country")
    list_filter = ("kind", "allowed", ("country", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("country",)
    search_fields = ("username", "target")
    date_hierarchy = "at"
    readonly_fields = ("at", "user", "username", "kind", "allowed", "target", "country", "detail")


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    """Personal API tokens (only a hash is stored); an administrator can revoke them."""

    list_display = ("name", "user", "prefix", "created_at", "last_used_at", "revoked_at")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    list_select_related = ("user",)
    search_fields = ("name", "prefix", "user__username")
    readonly_fields = ("user", "name", "prefix", "created_at", "last_used_at", "revoked_at")
    actions = ("revoke",)

    @admin.action(description=_("Revoke selected tokens"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        for token in queryset:
            api_token_revoke(token=token, by=request.user)
        self.message_user(request, _("Revoked %(n)d token(s).") % {"n": queryset.count()})


@admin.register(UserPreference)
class UserPreferenceAdmin(ReadOnlyAdmin):
    """What people chose for themselves (their language); they change it on the pages."""

    list_display = ("user", "language")
    list_filter = ("language",)
    list_select_related = ("user",)
    search_fields = ("user__username",)
    readonly_fields = ("user", "language")


@admin.register(ReportSubscription)
class ReportSubscriptionAdmin(ReadOnlyAdmin):
    """Who gets which scheduled report by e-mail; people manage their own on the reports page."""

    list_display = ("user", "kind", "country", "created_at")
    list_filter = ("kind",)
    list_select_related = ("user", "country")
    search_fields = ("user__username",)
    readonly_fields = ("user", "kind", "country", "created_at")


@admin.register(CountryFigures)
class CountryFiguresAdmin(ReadOnlyAdmin):
    """The kept coverage and capacity figures (partnerships.rollups): shown to check what a
    dashboard sums, written only by the writes to requirements and phases and by readers."""

    list_display = (
        "country", "coverage_revision", "coverage_computed", "capacity_revision",
        "capacity_computed",
    )  # fmt: skip
    list_select_related = ("country",)
    search_fields = ("country__code", "country__name")
    fields = (
        "country", "coverage_revision", "coverage_computed", "coverage", "capacity_revision",
        "capacity_computed", "capacity",
    )  # fmt: skip
    readonly_fields = fields


@admin.register(PartnershipSignals)
class PartnershipSignalsAdmin(ReadOnlyAdmin):
    """The kept attention signals of each partnership (partnerships.rollups)."""

    list_display = (
        "partnership", "as_of", "valid_until", "milestones_late", "phases_late",
        "requirements_late",
    )  # fmt: skip
    list_select_related = ("partnership",)
    search_fields = ("partnership__code", "partnership__title")
    fields = (
        "partnership", "revision", "computed_revision", "as_of", "valid_until",
        "milestones_late", "milestones_oldest", "phases_late", "phases_oldest",
        "requirements_late", "requirements_oldest",
    )  # fmt: skip
    readonly_fields = fields
