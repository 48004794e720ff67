"""Forms of the partnership pages; choices are limited to what the user may change."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from openai_countries.forms import ScopedFormMixin, style_fields
from partnerships.access import countries_for
from partnerships.models import (
    Agreement,
    Country,
    Milestone,
    Organisation,
    Partnership,
    ReportKind,
    Risk,
)


class PartnershipForm(ScopedFormMixin, forms.ModelForm):
    class Meta:
        model = Partnership
        fields: tuple[str, ...] = (
            "code", "title", "summary", "lead_country", "wave", "planned_investment",
            "planned_start", "planned_end", "actual_start", "actual_end",
        )  # fmt: skip


class PartnershipCreateForm(PartnershipForm):
    other_countries = forms.ModelMultipleChoiceField(
        label=_("other participating countries"),
        queryset=Country.objects.all(),
        required=False,
        help_text=_("The lead country takes part in any case."),
    )

    class Meta(PartnershipForm.Meta):
        fields: tuple[str, ...] = (
            *PartnershipForm.Meta.fields[:4],
            "other_countries",
            *PartnershipForm.Meta.fields[4:],
        )


class MilestoneForm(ScopedFormMixin, forms.ModelForm):
    class Meta:
        model = Milestone
        fields: tuple[str, ...] = ("partnership", "workstream", "title", "due_on", "completed_on")


class RiskForm(ScopedFormMixin, forms.ModelForm):
    class Meta:
        model = Risk
        fields: tuple[str, ...] = (
            "partnership",
            "title",
            "likelihood",
            "impact",
            "mitigation",
            "status",
        )


class AgreementForm(ScopedFormMixin, forms.ModelForm):
    class Meta:
        model = Agreement
        fields: tuple[str, ...] = ("partnership", "title", "agreement_type", "status", "signed_on")


class OrganisationForm(ScopedFormMixin, forms.ModelForm):
    class Meta:
        model = Organisation
        fields: tuple[str, ...] = ("name", "kind", "home_country", "iati_id", "website")

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        # An organisation's home is reference data, not a country's record: any country.
        cast(forms.ModelChoiceField, self.fields["home_country"]).queryset = Country.objects.all()


class ReportRequestForm(forms.Form):
    kind = forms.ChoiceField(label=_("kind"), choices=ReportKind.choices)
    country = forms.ModelChoiceField(
        label=_("country"), queryset=Country.objects.all(), required=False
    )
    partnership = forms.ModelChoiceField(
        label=_("partnership"), queryset=Partnership.objects.all(), required=False
    )
    as_of = forms.DateField(label=_("as of"))
    language = forms.ChoiceField(label=_("language"), choices=settings.LANGUAGES)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only what this user may export is offered; anything else is "not a valid choice".
        exportable = countries_for(user, "export").filter(participations__isnull=False)
        cast(forms.ModelChoiceField, self.fields["country"]).queryset = exportable.distinct()
        cast(
            forms.ModelChoiceField, self.fields["partnership"]
        ).queryset = Partnership.objects.restrict(user, "export")
        style_fields(self)


class SubscriptionForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("report"),
        choices=[
            (ReportKind.COUNTRY, _("A country's monthly report")),
            (ReportKind.PORTFOLIO, _("The monthly portfolio report")),
        ],
    )
    country = forms.ModelChoiceField(
        label=_("country"), queryset=Country.objects.all(), required=False
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        exportable = countries_for(user, "export").filter(participations__isnull=False)
        cast(forms.ModelChoiceField, self.fields["country"]).queryset = exportable.distinct()
        self.auto_id = "subscribe_%s"
        style_fields(self)
