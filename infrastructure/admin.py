"""Admin of data-center sites, their phases, permits and security controls.

A site's status and hold state are read-only here: they move through ``infrastructure.services``,
which checks permits and energized capacity.
"""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from infrastructure.models import (
    Permit,
    SecurityControl,
    Site,
    SitePhase,
    SiteStatus,
    SiteStatusTransition,
)
from openai_countries.admin import DomainAdmin, DomainInline, TransitionAdmin, TransitionInline

TIMESTAMPS = ("created_at", "updated_at")


class SitePhaseInline(DomainInline):
    model = SitePhase
    fields = (
        "number",
        "planned_mw",
        "energized_mw",
        "gpu_count",
        "capex_estimate",
        "planned_ready_on",
        "actual_ready_on",
    )


class PermitInline(DomainInline):
    model = Permit
    fields = (
        "permit_type",
        "authority",
        "reference",
        "required",
        "status",
        "applied_on",
        "decided_on",
        "expires_on",
    )


class SecurityControlInline(DomainInline):
    model = SecurityControl
    fields = ("control", "status", "reviewer", "reviewed_at", "evidence")
    autocomplete_fields = ("reviewer",)


class SiteStatusTransitionInline(TransitionInline):
    model = SiteStatusTransition
    status_labels = dict(SiteStatus.choices)


@admin.register(Site)
class SiteAdmin(DomainAdmin):
    list_display = (
        "name",
        "partnership",
        "country",
        "locality",
        "status",
        "operator",
        "planned_capacity_mw",
        "residency_class",
    )
    list_filter = (
        "status",
        "residency_class",
        "cooling_type",
        "provenance",
        ("country", admin.RelatedOnlyFieldListFilter),
        ("operator", admin.RelatedOnlyFieldListFilter),
    )
    list_select_related = ("partnership", "country", "operator")
    search_fields = (
        "name",
        "locality",
        "partnership__code",
        "partnership__title",
        "country__name",
        "operator__name",
    )
    autocomplete_fields = ("partnership", "country", "operator")
    readonly_fields = ("status", "status_before_hold", *TIMESTAMPS)
    fieldsets = (
        (None, {"fields": ("name", "partnership", "country", "operator")}),
        (_("Lifecycle"), {"fields": ("status", "status_before_hold")}),
        (_("Location"), {"fields": ("locality", ("latitude", "longitude"))}),
        (
            _("Capacity and design"),
            {
                "fields": (
                    "planned_capacity_mw",
                    "target_pue",
                    "renewable_share_pct",
                    "cooling_type",
                    "residency_class",
                    "security_accreditation",
                )
            },
        ),
        (_("Provenance"), {"fields": ("provenance", "source", *TIMESTAMPS)}),
    )
    inlines = (SitePhaseInline, PermitInline, SecurityControlInline, SiteStatusTransitionInline)


@admin.register(SitePhase)
class SitePhaseAdmin(DomainAdmin):
    list_display = (
        "site",
        "number",
        "planned_mw",
        "energized_mw",
        "gpu_count",
        "capex_estimate",
        "planned_ready_on",
        "actual_ready_on",
    )
    list_filter = (("site__country", admin.RelatedOnlyFieldListFilter),)
    list_select_related = ("site",)
    search_fields = ("site__name", "site__partnership__code")
    autocomplete_fields = ("site",)
    date_hierarchy = "planned_ready_on"
    readonly_fields = TIMESTAMPS


@admin.register(Permit)
class PermitAdmin(DomainAdmin):
    list_display = (
        "site",
        "permit_type",
        "authority",
        "reference",
        "required",
        "status",
        "decided_on",
        "expires_on",
    )
    list_filter = ("permit_type", "status", "required")
    list_select_related = ("site",)
    search_fields = ("site__name", "authority", "reference")
    autocomplete_fields = ("site",)
    readonly_fields = TIMESTAMPS


@admin.register(SecurityControl)
class SecurityControlAdmin(DomainAdmin):
    list_display = ("site", "control", "status", "reviewer", "reviewed_at")
    list_filter = ("control", "status")
    list_select_related = ("site", "reviewer")
    search_fields = ("site__name", "evidence")
    autocomplete_fields = ("site", "reviewer")
    readonly_fields = TIMESTAMPS


@admin.register(SiteStatusTransition)
class SiteStatusTransitionAdmin(TransitionAdmin):
    status_labels = dict(SiteStatus.choices)
    list_display = ("site", "at", "from_label", "to_label", "by")
    list_select_related = ("site", "by")
    search_fields = ("site__name", "reason")
    fields = ("site", "at", "from_label", "to_label", "by", "reason")
    readonly_fields = fields
