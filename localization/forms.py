"""Forms of the localization pages."""

from __future__ import annotations

from django import forms

from localization.models import LocalizationRequirement
from openai_countries.forms import ScopedFormMixin


class RequirementForm(ScopedFormMixin, forms.ModelForm):
    class Meta:
        model = LocalizationRequirement
        fields: tuple[str, ...] = (
            "partnership", "country", "locale", "title", "service_domain", "category", "priority",
            "target_on", "acceptance_criteria", "evaluation_score", "evaluated_on",
        )  # fmt: skip


class RequirementEditForm(RequirementForm):
    class Meta(RequirementForm.Meta):
        fields = tuple(
            f for f in RequirementForm.Meta.fields if f not in ("partnership", "country")
        )
