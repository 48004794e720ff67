"""Admin of locales and localization requirements.

Locales are added by their BCP 47 tag; name, script and direction come from CLDR (Babel) through
``localization.services``. A requirement's review status, sign-off and live date move only
through ``requirement_transition`` (the actions below), never by editing the row.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from localization.models import (
    Locale,
    LocalizationRequirement,
    RequirementStatus,
    RequirementStatusTransition,
)
from localization.services import (
    locale_get_or_create,
    locale_parse,
    requirement_create,
    requirement_transition,
)
from openai_countries.admin import (
    AdminModelForm,
    DomainAdmin,
    TransitionAdmin,
    TransitionInline,
    adopt_saved,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

TIMESTAMPS = ("created_at", "updated_at")


class LocaleAddForm(AdminModelForm):
    """Only the tag is typed; it is checked against CLDR and stored in its canonical form."""

    class Meta:
        model = Locale
        fields = ("tag", "default_for")

    def clean_tag(self) -> str:
        try:
            return locale_parse(self.cleaned_data["tag"])["tag"]
        except ValidationError as error:
            raise ValidationError(error.message_dict.get("tag", error.messages)) from None


@admin.register(Locale)
class LocaleAdmin(DomainAdmin):
    list_display = ("tag", "name", "script", "direction", "default_country_count")
    list_filter = ("direction", "script")
    search_fields = ("tag", "name")
    filter_horizontal = ("default_for",)
    ordering = ("tag",)  # an aggregating queryset drops Meta.ordering

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return (
            super()
            .get_queryset(request)
            .annotate(_default_country_count=Count("default_for", distinct=True))
        )

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> type[forms.ModelForm[Any]]:
        if obj is None:
            kwargs["form"] = LocaleAddForm
        return super().get_form(request, obj, change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        if obj is None:
            return ("tag", "default_for")
        return ("tag", "name", "script", "direction", "default_for", *TIMESTAMPS)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        # Another tag is another locale; requirements point at this one.
        return () if obj is None else ("tag", *TIMESTAMPS)

    @admin.display(description=_("default in countries"), ordering="_default_country_count")
    def default_country_count(self, obj: Any) -> int:
        return int(obj._default_country_count)

    def save_model(self, request: HttpRequest, obj: Locale, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        adopt_saved(obj, locale_get_or_create(tag=form.cleaned_data["tag"], by=request.user))


class RequirementStatusTransitionInline(TransitionInline):
    model = RequirementStatusTransition
    status_labels = dict(RequirementStatus.choices)


@admin.register(LocalizationRequirement)
class LocalizationRequirementAdmin(DomainAdmin):
    list_display = (
        "title",
        "partnership",
        "country",
        "locale",
        "service_domain",
        "category",
        "priority",
        "target_on",
        "status",
        "owner",
    )
    list_filter = (
        "status",
        "service_domain",
        "category",
        "priority",
        ("country", admin.RelatedOnlyFieldListFilter),
        ("locale", admin.RelatedOnlyFieldListFilter),
    )
    list_select_related = ("partnership", "country", "locale", "owner")
    search_fields = (
        "title",
        "acceptance_criteria",
        "partnership__code",
        "partnership__title",
        "country__name",
        "locale__tag",
    )
    autocomplete_fields = ("partnership", "country", "locale", "owner")
    date_hierarchy = "target_on"
    readonly_fields = ("status", "live_on", "signed_off_by", "signed_off_at", *TIMESTAMPS)
    fieldsets = (
        (None, {"fields": ("title", "partnership", "country", "locale")}),
        (
            _("Scope"),
            {
                "fields": (
                    "service_domain",
                    "category",
                    "priority",
                    "target_on",
                    "owner",
                    "acceptance_criteria",
                )
            },
        ),
        (_("Evaluation"), {"fields": ("evaluation_score", "evaluated_on")}),
        (
            _("Review"),
            {"fields": ("status", "signed_off_by", "signed_off_at", "live_on", *TIMESTAMPS)},
        ),
    )
    inlines = (RequirementStatusTransitionInline,)
    actions = ("accept", "start", "submit_for_review")

    def save_model(
        self, request: HttpRequest, obj: LocalizationRequirement, form: Any, change: bool
    ) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        adopt_saved(obj, requirement_create(by=request.user, **form.cleaned_data))

    def _move(
        self,
        request: HttpRequest,
        queryset: QuerySet[LocalizationRequirement],
        to_status: str,
        *,
        done: StrOrPromise,
    ) -> None:
        self.run_service(
            request,
            queryset,
            lambda r: requirement_transition(requirement=r, to_status=to_status, by=request.user),
            done=done,
        )

    @admin.action(description=_("Accept selected requirements"), permissions=["change"])
    def accept(self, request: HttpRequest, queryset: QuerySet[LocalizationRequirement]) -> None:
        self._move(request, queryset, RequirementStatus.ACCEPTED, done=_("Accepted: %(objects)s."))

    @admin.action(description=_("Start work on selected requirements"), permissions=["change"])
    def start(self, request: HttpRequest, queryset: QuerySet[LocalizationRequirement]) -> None:
        self._move(
            request, queryset, RequirementStatus.IN_PROGRESS, done=_("In progress: %(objects)s.")
        )

    @admin.action(description=_("Submit selected requirements for review"), permissions=["change"])
    def submit_for_review(
        self, request: HttpRequest, queryset: QuerySet[LocalizationRequirement]
    ) -> None:
        self._move(
            request,
            queryset,
            RequirementStatus.IN_REVIEW,
            done=_("Submitted for review: %(objects)s."),
        )


@admin.register(RequirementStatusTransition)
class RequirementStatusTransitionAdmin(TransitionAdmin):
    status_labels = dict(RequirementStatus.choices)
    list_display = ("requirement", "at", "from_label", "to_label", "by")
    list_select_related = ("requirement", "by")
    search_fields = ("requirement__title", "reason")
    fields = ("requirement", "at", "from_label", "to_label", "by", "reason")
    readonly_fields = fields
