"""Forms of the financing pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from financing.models import Commitment, CommitmentStatus
from openai_countries.forms import ScopedFormMixin, style_fields


class CommitmentForm(ScopedFormMixin, forms.ModelForm):
    class Meta:
        model = Commitment
        fields: tuple[str, ...] = (
            "partnership",
            "country",
            "site",
            "funder",
            "side",
            "instrument",
            "amount",
            "committed_on",
            "description",
        )


class CommitmentCreateForm(CommitmentForm):
    status = forms.ChoiceField(
        label=_("status"),
        choices=[
            (s.value, s.label) for s in (CommitmentStatus.PLEDGED, CommitmentStatus.COMMITTED)
        ],
        initial=CommitmentStatus.PLEDGED,
    )


class CommitmentEditForm(CommitmentForm):
    class Meta(CommitmentForm.Meta):
        fields: tuple[str, ...] = (
            "site",
            "funder",
            "side",
            "instrument",
            "amount",
            "committed_on",
            "description",
        )


class DisbursementForm(forms.Form):
    paid_on = forms.DateField(label=_("paid on"))
    amount = forms.DecimalField(label=_("amount"), max_digits=18, decimal_places=2, min_value=0)
    reference = forms.CharField(label=_("reference"), max_length=100)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        style_fields(self)


class ReduceForm(forms.Form):
    new_amount = forms.DecimalField(
        label=_("new amount"), max_digits=18, decimal_places=2, min_value=0
    )
    reason = forms.CharField(label=_("reason"), max_length=2000)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        style_fields(self)
