"""Co-financing: commitments by each side, their disbursements, and exchange rates to USD."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from djmoney.models.fields import CurrencyField, MoneyField
from djmoney.money import Money
from simple_history.models import HistoricalRecords

from openai_countries.links import reverse_pk
from openai_countries.models import ProvenanceModel, TimeStampedModel, TransitionRecord
from openai_countries.money import CURRENCY_CHOICES, known_currency
from openai_countries.scoping import CountryScopedManager


class Side(models.TextChoices):
    COMPANY = "company", _("Company")
    GOVERNMENT = "government", _("Government")
    OTHER = "other", _("Other")


class Instrument(models.TextChoices):
    EQUITY = "equity", _("Equity")
    GRANT = "grant", _("Grant")
    LOAN = "loan", _("Loan")
    IN_KIND = "in_kind", _("In kind")
    GUARANTEE = "guarantee", _("Guarantee")


class CommitmentStatus(models.TextChoices):
    PLEDGED = "pledged", _("Pledged")
    COMMITTED = "committed", _("Committed")
    DISBURSING = "disbursing", _("Disbursing")
    FULLY_DISBURSED = "fully_disbursed", _("Fully disbursed")
    REDUCED = "reduced", _("Reduced")
    CANCELLED = "cancelled", _("Cancelled")


# Statuses in which money is firmly committed (the co-financing guard counts these).
FIRM_STATUSES = (
    CommitmentStatus.COMMITTED,
    CommitmentStatus.DISBURSING,
    CommitmentStatus.FULLY_DISBURSED,
    CommitmentStatus.REDUCED,
)


class Commitment(ProvenanceModel, TimeStampedModel):
    """Money a funder puts into a partnership (optionally a site), by side and instrument."""

    country_lookup = "country"
    lifecycle_fields = ("status", "disbursed", "government_confirmed_by", "government_confirmed_at")
    fixed_fields = ("partnership", "country")

    partnership = models.ForeignKey(
        "partnerships.Partnership", on_delete=models.PROTECT, related_name="commitments"
    )
    country = models.ForeignKey(
        "partnerships.Country",
        on_delete=models.PROTECT,
        related_name="commitments",
        help_text=_("The participating country the money is for."),
    )
    site = models.ForeignKey(
        "infrastructure.Site",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="commitments",
    )
    funder = models.ForeignKey(
        "partnerships.Organisation", on_delete=models.PROTECT, related_name="commitments"
    )
    side = models.CharField(_("side"), max_length=16, choices=Side.choices)
    instrument = models.CharField(_("instrument"), max_length=16, choices=Instrument.choices)
    amount = MoneyField(
        _("amount"),
        max_digits=18,
        decimal_places=2,
        default_currency="USD",
        currency_choices=CURRENCY_CHOICES,
    )
    disbursed = models.DecimalField(
        _("disbursed"),
        max_digits=18,
        decimal_places=2,
        default=Decimal("0"),
        editable=False,
        help_text=_("Sum of the disbursements, in the commitment's currency."),
    )
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=CommitmentStatus.choices,
        default=CommitmentStatus.PLEDGED,
        db_index=True,
    )
    committed_on = models.DateField(_("committed on"), null=True, blank=True)
    description = models.TextField(_("description"), blank=True)
    government_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="confirmed_commitments",
    )
    government_confirmed_at = models.DateTimeField(
        _("government confirmed at"), null=True, blank=True
    )

    objects = CountryScopedManager()
    history = HistoricalRecords(excluded_fields=["created_at", "updated_at"])

    class Meta:
        ordering = ["partnership", "side", "pk"]
        verbose_name = _("commitment")
        verbose_name_plural = _("commitments")
        indexes = [
            # A country's newest commitments first (the liaison's lists and their disbursements)
            # without reading every other country's rows.
            models.Index(fields=["country", "-id"], name="commitment_country_newest"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0),
                name="commitment_amount_positive",
                violation_error_message=_("A commitment must be more than zero."),
            ),
            models.CheckConstraint(
                condition=known_currency("amount_currency"),
                name="commitment_currency_known",
                violation_error_message=_(
                    "Unknown currency: use an ISO 4217 code such as USD or AED."
                ),
            ),
            models.CheckConstraint(
                condition=Q(disbursed__gte=0),
                name="commitment_disbursed_not_negative",
                violation_error_message=_("The disbursed total cannot be negative."),
            ),
            models.CheckConstraint(
                condition=Q(disbursed__lte=F("amount")),
                name="commitment_disbursed_within_committed",
                violation_error_message=_("More cannot be disbursed than is committed."),
            ),
            models.CheckConstraint(
                condition=Q(
                    status__in=(
                        CommitmentStatus.PLEDGED,
                        CommitmentStatus.COMMITTED,
                        CommitmentStatus.CANCELLED,
                    ),
                    disbursed=0,
                )
                | Q(status=CommitmentStatus.DISBURSING, disbursed__gt=0, disbursed__lt=F("amount"))
                | Q(status=CommitmentStatus.FULLY_DISBURSED, disbursed=F("amount"))
                | Q(status=CommitmentStatus.REDUCED, disbursed__lt=F("amount")),
                name="commitment_status_follows_disbursed",
                violation_error_message=_("The status does not match what is disbursed."),
            ),
            models.CheckConstraint(
                condition=Q(status=CommitmentStatus.PLEDGED) | Q(committed_on__isnull=False),
                name="commitment_firm_has_date",
                violation_error_message=_("A firm commitment has the date it was committed."),
            ),
            models.CheckConstraint(
                condition=Q(status__in=CommitmentStatus.values),
                name="commitment_status_known",
                violation_error_message=_("Unknown commitment status."),
            ),
            models.CheckConstraint(
                condition=Q(government_confirmed_at__isnull=True)
                | Q(side=Side.GOVERNMENT, government_confirmed_by__isnull=False),
                name="commitment_confirmation_is_government_side",
                violation_error_message=_(
                    "Only government-side figures are confirmed, and a confirmation names who."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.funder} - {self.amount}"

    def get_absolute_url(self) -> str:
        return reverse_pk("financing:commitment-detail", self.pk)

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        errors: dict[str, Any] = {}
        if (
            self.partnership_id
            and self.country_id
            and not self.partnership.countries.filter(pk=self.country_id).exists()
        ):
            errors["country"] = _("This country does not take part in the partnership.")
        site = self.site
        if site is not None and (
            site.partnership_id != self.partnership_id or site.country_id != self.country_id
        ):
            errors["site"] = _("The site belongs to another partnership or country.")
        if errors:
            raise ValidationError(errors)

    @property
    def disbursed_money(self) -> Money:
        return Money(self.disbursed, self.amount.currency)

    @property
    def remaining_money(self) -> Money:
        return Money(self.amount.amount - self.disbursed, self.amount.currency)

    @property
    def is_confirmed(self) -> bool:
        return self.government_confirmed_at is not None


class CommitmentStatusTransition(TransitionRecord):
    """A recorded status move of a commitment (by a person, or by the system on disbursement)."""

    country_lookup = "commitment__country"

    commitment = models.ForeignKey(
        Commitment, on_delete=models.CASCADE, related_name="status_transitions"
    )

    objects = CountryScopedManager()

    class Meta(TransitionRecord.Meta):
        verbose_name = _("commitment status transition")
        verbose_name_plural = _("commitment status transitions")


class Disbursement(TimeStampedModel):
    """Money paid out against a commitment, in the commitment's currency."""

    country_lookup = "commitment__country"
    fixed_fields = ("commitment",)

    # Indexed by disbursement_commitment_newest, which leads with it.
    commitment = models.ForeignKey(
        Commitment, on_delete=models.PROTECT, related_name="disbursements", db_index=False
    )
    paid_on = models.DateField(_("paid on"))
    amount = models.DecimalField(
        _("amount"),
        max_digits=18,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    reference = models.CharField(_("reference"), max_length=100)

    objects = CountryScopedManager()
    history = HistoricalRecords(excluded_fields=["created_at", "updated_at"])

    class Meta:
        ordering = ["paid_on", "pk"]
        verbose_name = _("disbursement")
        verbose_name_plural = _("disbursements")
        indexes = [
            # The API's order (newest commitments' payments first, newest first within each)
            # read from the index alone: page 100 of 200,000 sorted the 5,000 rows before it
            # within each commitment (1.6 ms of PostgreSQL time, 0.6 ms with this index).
            models.Index(fields=["-commitment", "-id"], name="disbursement_commitment_newest"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0),
                name="disbursement_amount_positive",
                violation_error_message=_("A disbursement must be more than zero."),
            ),
            models.UniqueConstraint(
                fields=["commitment", "reference"], name="disbursement_reference_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} ({self.paid_on})"

    @property
    def money(self) -> Money:
        return Money(self.amount, self.commitment.amount.currency)


class ExchangeRate(TimeStampedModel):
    """How many USD one unit of a currency was worth on a date, and who said so."""

    currency = CurrencyField(_("currency"), choices=CURRENCY_CHOICES)
    on = models.DateField(_("date"))
    rate_to_usd = models.DecimalField(
        _("rate to USD"),
        max_digits=20,
        decimal_places=10,
        help_text=_("USD per one unit of the currency."),
    )
    source = models.CharField(_("source"), max_length=200)

    history = HistoricalRecords(excluded_fields=["created_at", "updated_at"])

    class Meta:
        ordering = ["currency", "-on"]
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")
        constraints = [
            models.UniqueConstraint(fields=["currency", "on"], name="exchange_rate_once_per_day"),
            models.CheckConstraint(
                condition=Q(rate_to_usd__gt=0),
                name="exchange_rate_positive",
                violation_error_message=_("An exchange rate must be more than zero."),
            ),
            models.CheckConstraint(
                condition=known_currency("currency"),
                name="exchange_rate_currency_known",
                violation_error_message=_("Unknown currency: use an ISO 4217 code."),
            ),
        ]

    def __str__(self) -> str:
        return f"1 {self.currency} = {self.rate_to_usd} USD ({self.on})"


class CountryCofinancing(models.Model):
    """One country's co-financing split in USD, kept so that a dashboard sums a row per country
    instead of converting every amount at its day's rate (``financing/rollups.py`` keeps it).

    Every write to the country's commitments or disbursements, and every rate write, moves
    ``revision`` on in the writer's transaction; the figures hold while ``computed_revision``
    is that revision and the day asked for lies in ``[as_of, valid_until)``: ``valid_until`` is
    the first later day on which a dated disbursement or rate starts to count.
    """

    country_lookup = "country"

    country = models.OneToOneField(
        "partnerships.Country", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    revision = models.PositiveBigIntegerField(default=0)
    computed_revision = models.PositiveBigIntegerField(null=True, blank=True)
    as_of = models.DateField(null=True, blank=True)
    valid_until = models.DateField(null=True, blank=True)
    # {side: [committed USD, disbursed USD, firm commitments]}, amounts as decimal strings.
    sides = models.JSONField(default=dict, encoder=DjangoJSONEncoder)
    # Amounts (commitments and disbursements) left out for want of a rate.
    missing = models.PositiveIntegerField(default=0)
    rate_ids = models.JSONField(default=list)

    objects = CountryScopedManager()

    class Meta:
        verbose_name = _("country co-financing figures")
        verbose_name_plural = _("country co-financing figures")

    def __str__(self) -> str:
        return f"{self.country_id} as of {self.as_of} (revision {self.computed_revision})"

    def holds(self, day: Any) -> bool:
        """True when the kept figures are the ledger's as of ``day``."""
        return (
            self.computed_revision == self.revision
            and self.as_of is not None
            and self.as_of <= day
            and (self.valid_until is None or day < self.valid_until)
        )
