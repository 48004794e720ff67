"""Form building blocks: choice fields that offer only what the user may change."""

from __future__ import annotations

from typing import Any

from django import forms

from openai_countries.scoping import is_country_scoped
from partnerships.access import countries_for


def style_fields(form: Any) -> Any:
    """Bootstrap classes on every widget, and native date pickers for dates."""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(field, forms.DateField) and isinstance(widget, forms.DateInput):
            widget.input_type = "date"
            widget.format = "%Y-%m-%d"
        if isinstance(widget, forms.CheckboxInput):
            css = "form-check-input"
        elif isinstance(widget, forms.Select | forms.SelectMultiple):
            css = "form-select"
        else:
            css = "form-control"
        widget.attrs["class"] = (widget.attrs.get("class", "") + " " + css).strip()
    return form


class ScopedFormMixin:
    """Restricts every model choice field to rows (or countries) the user may change.

    Pass ``user=`` to the form. A foreign id then fails validation exactly like one that does
    not exist ("Select a valid choice"), so nobody can even name another country's record.
    """

    scope_action = "change"

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from partnerships.models import Country

        for field in self.fields.values():  # type: ignore[attr-defined]
            if not isinstance(field, forms.ModelChoiceField):
                continue
            queryset: Any = field.queryset
            if queryset.model is Country:
                field.queryset = countries_for(user, self.scope_action) & queryset
            elif is_country_scoped(queryset.model):
                field.queryset = queryset.restrict(user, self.scope_action)
        style_fields(self)


def offer_partnership_countries(form: Any, partnership_id: Any) -> None:
    """On a form opened from a partnership, offer only its participating countries."""
    field = form.fields.get("country")
    if field is None or not str(partnership_id or "").isdigit():
        return
    field.queryset = field.queryset.filter(participations__partnership_id=int(partnership_id))
