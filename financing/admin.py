"""Admin of the co-financing ledger: commitments, disbursements and exchange rates.

A commitment's status, disbursed total and government confirmation follow from services
(``financing.services``) and are read-only here. Commitments are created and edited through the
services too, so that a changed government figure loses its confirmation. Disbursements are only
recorded, never edited, because each one moves its commitment's total and status.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from djmoney.money import Money

from financing.models import (
    Commitment,
    CommitmentStatus,
    CommitmentStatusTransition,
    CountryCofinancing,
    Disbursement,
    ExchangeRate,
    Side,
)
from financing.services import (
    commitment_commit,
    commitment_create,
    commitment_record_disbursement,
    commitment_update,
)
from openai_countries.admin import (
    AdminModelForm,
    DomainAdmin,
    ReadOnlyAdmin,
    ReadOnlyInline,
    TransitionAdmin,
    TransitionInline,
    add_validation_error,
    adopt_saved,
    dry_run,
)

TIMESTAMPS = ("created_at", "updated_at")


class DisbursementInline(ReadOnlyInline):
    model = Disbursement
    fields = ("paid_on", "amount", "reference", "created_at")
    readonly_fields = fields
    ordering = ("paid_on", "pk")


class CommitmentStatusTransitionInline(TransitionInline):
    model = CommitmentStatusTransition
    status_labels = dict(CommitmentStatus.choices)


class CommitmentForm(AdminModelForm):
    """Edits run ``commitment_update`` first (and roll it back), so its refusals show here."""

    class Meta:
        model = Commitment
        fields = (
            "partnership",
            "country",
            "site",
            "funder",
            "side",
            "instrument",
            "amount",
            "committed_on",
            "description",
            "provenance",
            "source",
        )

    def clean(self) -> dict[str, Any] | None:
        cleaned = super().clean() or {}
        if self.errors or self.request is None or self.instance.pk is None:
            return cleaned
        by, changes = self.request.user, {name: cleaned[name] for name in self.changed_data}
        refusal = dry_run(lambda: commitment_update(commitment=self.instance, by=by, **changes))
        if refusal is not None:
            add_validation_error(self, refusal)
        return cleaned


@admin.register(Commitment)
class CommitmentAdmin(DomainAdmin):
    form = CommitmentForm
    list_display = (
        "funder",
        "partnership",
        "country",
        "side",
        "instrument",
        "amount",
        "disbursed_display",
        "status",
        "confirmed",
    )
    list_filter = (
        "status",
        "side",
        "instrument",
        "provenance",
        # Only the currencies in use, not every ISO 4217 code.
        ("amount_currency", admin.AllValuesFieldListFilter),
        ("country", admin.RelatedOnlyFieldListFilter),
    )
    list_select_related = ("funder", "partnership", "country")
    search_fields = (
        "funder__name",
        "partnership__code",
        "partnership__title",
        "country__name",
        "description",
    )
    autocomplete_fields = ("partnership", "country", "site", "funder")
    readonly_fields = (
        "status",
        "disbursed_display",
        "government_confirmed_by",
        "government_confirmed_at",
        *TIMESTAMPS,
    )
    fieldsets = (
        (None, {"fields": ("partnership", "country", "site", "funder")}),
        (_("Money"), {"fields": ("side", "instrument", "amount", "committed_on", "description")}),
        (
            _("Lifecycle"),
            {
                "fields": (
                    "status",
                    "disbursed_display",
                    "government_confirmed_by",
                    "government_confirmed_at",
                )
            },
        ),
        (_("Provenance"), {"fields": ("provenance", "source", *TIMESTAMPS)}),
    )
    inlines = (DisbursementInline, CommitmentStatusTransitionInline)
    actions = ("commit",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        # The funder names the commitment (its __str__), in autocompletes too.
        return super().get_queryset(request).select_related("funder")

    @admin.display(description=_("disbursed"), ordering="disbursed")
    def disbursed_display(self, obj: Commitment) -> Money | str:
        return obj.disbursed_money if obj.pk else "-"

    @admin.display(description=_("confirmed by the government"), boolean=True)
    def confirmed(self, obj: Commitment) -> bool | None:
        return obj.is_confirmed if obj.side == Side.GOVERNMENT else None

    def save_model(self, request: HttpRequest, obj: Commitment, form: Any, change: bool) -> None:
        if not change:
            adopt_saved(obj, commitment_create(by=request.user, **form.cleaned_data))
            return
        if form.changed_data:
            commitment_update(
                commitment=obj,
                by=request.user,
                reason=str(_("Edited in the admin")),
                **{name: form.cleaned_data[name] for name in form.changed_data},
            )
            obj.refresh_from_db()

    @admin.action(description=_("Commit selected pledges"), permissions=["change"])
    def commit(self, request: HttpRequest, queryset: QuerySet[Commitment]) -> None:
        self.run_service(
            request,
            queryset,
            lambda c: commitment_commit(commitment=c, by=request.user),
            done=_("Committed: %(objects)s."),
        )


class DisbursementForm(AdminModelForm):
    """Recording a disbursement: the ledger's checks (never past what is committed, nothing on a
    pledge) are the service's, run here first so that a refusal shows on the form."""

    class Meta:
        model = Disbursement
        fields = ("commitment", "paid_on", "amount", "reference")

    def clean(self) -> dict[str, Any] | None:
        cleaned = super().clean() or {}
        if self.errors or self.request is None or self.instance.pk is not None:
            return cleaned
        by = self.request.user
        refusal = dry_run(
            lambda: commitment_record_disbursement(
                commitment=cleaned["commitment"],
                paid_on=cleaned["paid_on"],
                amount=cleaned["amount"],
                reference=cleaned["reference"],
                by=by,
            )
        )
        if refusal is not None:
            add_validation_error(self, refusal)
        return cleaned


@admin.register(Disbursement)
class DisbursementAdmin(DomainAdmin):
    form = DisbursementForm
    list_display = ("reference", "commitment", "paid_on", "money")
    list_filter = (("commitment__country", admin.RelatedOnlyFieldListFilter),)
    list_select_related = ("commitment", "commitment__funder")
    search_fields = (
        "reference",
        "commitment__funder__name",
        "commitment__partnership__code",
        "commitment__partnership__title",
    )
    autocomplete_fields = ("commitment",)
    date_hierarchy = "paid_on"
    readonly_fields = TIMESTAMPS

    def get_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        fields = ("commitment", "paid_on", "amount", "reference")
        return fields if obj is None else (*fields, *TIMESTAMPS)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A recorded payment stays as it was; a correction is a new entry.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("amount"), ordering="amount")
    def money(self, obj: Disbursement) -> Money:
        return obj.money

    def save_model(self, request: HttpRequest, obj: Disbursement, form: Any, change: bool) -> None:
        disbursement = commitment_record_disbursement(by=request.user, **form.cleaned_data)
        adopt_saved(obj, disbursement)


@admin.register(ExchangeRate)
class ExchangeRateAdmin(DomainAdmin):
    list_display = ("currency", "on", "rate_to_usd", "source")
    list_filter = (("currency", admin.AllValuesFieldListFilter),)
    search_fields = ("currency", "source")
    date_hierarchy = "on"
    readonly_fields = TIMESTAMPS


@admin.register(CommitmentStatusTransition)
class CommitmentStatusTransitionAdmin(TransitionAdmin):
    status_labels = dict(CommitmentStatus.choices)
    list_display = ("commitment", "at", "from_label", "to_label", "by")
    list_select_related = ("commitment", "commitment__funder", "by")
    search_fields = ("commitment__funder__name", "commitment__partnership__code", "reason")
    fields = ("commitment", "at", "from_label", "to_label", "by", "reason")
    readonly_fields = fields


@admin.register(CountryCofinancing)
class CountryCofinancingAdmin(ReadOnlyAdmin):
    """The kept co-financing figures (financing.rollups): shown to check what a dashboard sums,
    written only by the ledger's writes and readers."""

    list_display = ("country", "as_of", "valid_until", "revision", "computed_revision", "missing")
    list_select_related = ("country",)
    search_fields = ("country__code", "country__name")
    fields = (
        "country", "revision", "computed_revision", "as_of", "valid_until", "sides", "missing",
        "rate_ids",
    )  # fmt: skip
    readonly_fields = fields
