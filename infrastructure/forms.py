"""Forms of the infrastructure pages."""

from __future__ import annotations

from django import forms

from infrastructure.models import Permit, Site, SitePhase
from openai_countries.forms import ScopedFormMixin


class SiteForm(ScopedFormMixin, forms.ModelForm):
    class Meta:
        model = Site
        fields: tuple[str, ...] = (
            "partnership", "country", "name", "locality", "latitude", "longitude", "operator",
            "planned_capacity_mw", "target_pue", "renewable_share_pct", "cooling_type",
            "residency_class", "security_accreditation",
        )  # fmt: skip


class SiteEditForm(SiteForm):
    class Meta(SiteForm.Meta):
        fields = tuple(f for f in SiteForm.Meta.fields if f not in ("partnership", "country"))


class SitePhaseForm(ScopedFormMixin, forms.ModelForm):
    class Meta:
        model = SitePhase
        fields: tuple[str, ...] = (
            "site", "number", "planned_mw", "energized_mw", "gpu_count", "capex_estimate",
            "planned_ready_on", "actual_ready_on",
        )  # fmt: skip


class PermitForm(ScopedFormMixin, forms.ModelForm):
    class Meta:
        model = Permit
        fields: tuple[str, ...] = (
            "site", "permit_type", "authority", "reference", "required", "status", "applied_on",
            "decided_on", "expires_on", "conditions",
        )  # fmt: skip
