"""Data-center sites, their capacity phases, permits and security controls."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from djmoney.models.fields import MoneyField
from simple_history.models import HistoricalRecords

from openai_countries.links import reverse_pk
from openai_countries.models import ProvenanceModel, TimeStampedModel, TransitionRecord
from openai_countries.money import CURRENCY_CHOICES, known_currency
from openai_countries.scoping import CountryScopedManager


class SiteStatus(models.TextChoices):
    ANNOUNCED = "announced", _("Announced")
    SITE_SELECTION = "site_selection", _("Site selection")
    PERMITTING = "permitting", _("Permitting")
    CONSTRUCTION = "construction", _("Construction")
    COMMISSIONING = "commissioning", _("Commissioning")
    OPERATIONAL = "operational", _("Operational")
    ON_HOLD = "on_hold", _("On hold")
    CANCELLED = "cancelled", _("Cancelled")


SITE_PATH: tuple[str, ...] = (
    SiteStatus.ANNOUNCED,
    SiteStatus.SITE_SELECTION,
    SiteStatus.PERMITTING,
    SiteStatus.CONSTRUCTION,
    SiteStatus.COMMISSIONING,
    SiteStatus.OPERATIONAL,
)


class CoolingType(models.TextChoices):
    AIR = "air", _("Air")
    LIQUID_DIRECT = "liquid_direct", _("Direct-to-chip liquid")
    IMMERSION = "immersion", _("Immersion")
    HYBRID = "hybrid", _("Hybrid")


class ResidencyClass(models.TextChoices):
    SOVEREIGN = "sovereign", _("Sovereign (in-country, government data)")
    IN_COUNTRY = "in_country", _("In-country")
    REGIONAL = "regional", _("Regional")
    GLOBAL = "global", _("Global")


def _percentage(field: str) -> Q:
    return Q(**{f"{field}__gte": 0, f"{field}__lte": 100})


class Site(ProvenanceModel, TimeStampedModel):
    """A data-center campus built under a partnership, in one country."""

    country_lookup = "country"
    lifecycle_fields = ("status", "status_before_hold")
    fixed_fields = ("partnership", "country")

    partnership = models.ForeignKey(
        "partnerships.Partnership", on_delete=models.PROTECT, related_name="sites"
    )
    country = models.ForeignKey(
        "partnerships.Country", on_delete=models.PROTECT, related_name="sites"
    )
    name = models.CharField(_("name"), max_length=200)
    locality = models.CharField(_("locality"), max_length=200, blank=True)
    latitude = models.DecimalField(
        _("latitude"),
        max_digits=8,
        decimal_places=5,
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        _("longitude"),
        max_digits=8,
        decimal_places=5,
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    operator = models.ForeignKey(
        "partnerships.Organisation",
        verbose_name=_("operator"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="operated_sites",
    )
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=SiteStatus.choices,
        default=SiteStatus.ANNOUNCED,
        db_index=True,
    )
    status_before_hold = models.CharField(
        _("status before hold"), max_length=16, choices=SiteStatus.choices, blank=True
    )
    planned_capacity_mw = models.DecimalField(
        _("planned IT capacity (MW)"),
        max_digits=9,
        decimal_places=2,
        validators=[MinValueValidator(0)],
    )
    target_pue = models.DecimalField(
        _("target PUE"),
        max_digits=4,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("1.0"))],
    )
    renewable_share_pct = models.DecimalField(
        _("renewable share (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    cooling_type = models.CharField(
        _("cooling"), max_length=16, choices=CoolingType.choices, blank=True
    )
    residency_class = models.CharField(
        _("data-residency class"),
        max_length=16,
        choices=ResidencyClass.choices,
        default=ResidencyClass.IN_COUNTRY,
    )
    security_accreditation = models.CharField(
        _("security accreditation"), max_length=200, blank=True
    )

    objects = CountryScopedManager()
    history = HistoricalRecords(excluded_fields=["created_at", "updated_at"])

    class Meta:
        ordering = ["country__name", "name"]
        verbose_name = _("site")
        verbose_name_plural = _("sites")
        constraints = [
            models.UniqueConstraint(
                fields=["partnership", "name"], name="site_name_per_partnership"
            ),
            models.CheckConstraint(
                condition=Q(status__in=SiteStatus.values),
                name="site_status_known",
                violation_error_message=_("Unknown site status."),
            ),
            models.CheckConstraint(
                condition=Q(status=SiteStatus.ON_HOLD, status_before_hold__in=SITE_PATH)
                | (~Q(status=SiteStatus.ON_HOLD) & Q(status_before_hold="")),
                name="site_hold_remembers_status",
                violation_error_message=_(
                    "A site on hold must remember the status it left (and only then)."
                ),
            ),
            models.CheckConstraint(
                condition=Q(planned_capacity_mw__gte=0),
                name="site_capacity_not_negative",
                violation_error_message=_("Capacity cannot be negative."),
            ),
            models.CheckConstraint(
                condition=Q(target_pue__isnull=True) | Q(target_pue__gte=Decimal("1.0")),
                name="site_pue_at_least_one",
                violation_error_message=_("PUE cannot be below 1.0."),
            ),
            models.CheckConstraint(
                condition=Q(renewable_share_pct__isnull=True) | _percentage("renewable_share_pct"),
                name="site_renewable_share_percentage",
                violation_error_message=_("Renewable share is a percentage from 0 to 100."),
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
                name="site_latitude_range",
                violation_error_message=_("Latitude is between -90 and 90."),
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
                name="site_longitude_range",
                violation_error_message=_("Longitude is between -180 and 180."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse_pk("infrastructure:site-detail", self.pk)

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if (
            self.partnership_id
            and self.country_id
            and not self.partnership.countries.filter(pk=self.country_id).exists()
        ):
            raise ValidationError(
                {"country": _("The site's country does not take part in this partnership.")}
            )


class SiteStatusTransition(TransitionRecord):
    """A recorded status move of a site."""

    country_lookup = "site__country"

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="status_transitions")

    objects = CountryScopedManager()

    class Meta(TransitionRecord.Meta):
        verbose_name = _("site status transition")
        verbose_name_plural = _("site status transitions")


class SitePhase(TimeStampedModel):
    """A build phase of a site: its capacity, GPUs, capex and ready-for-service dates."""

    country_lookup = "site__country"
    fixed_fields = ("site",)

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="phases")
    number = models.PositiveSmallIntegerField(_("phase"), validators=[MinValueValidator(1)])
    planned_mw = models.DecimalField(
        _("planned MW"), max_digits=9, decimal_places=2, validators=[MinValueValidator(0)]
    )
    energized_mw = models.DecimalField(
        _("energized MW"),
        max_digits=9,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(0)],
    )
    gpu_count = models.PositiveIntegerField(_("GPUs"), default=0)
    capex_estimate = MoneyField(
        _("capex estimate"),
        max_digits=18,
        decimal_places=2,
        default_currency="USD",
        currency_choices=CURRENCY_CHOICES,
        null=True,
        blank=True,
    )
    planned_ready_on = models.DateField(_("planned ready for service"), null=True, blank=True)
    actual_ready_on = models.DateField(_("actual ready for service"), null=True, blank=True)

    objects = CountryScopedManager()
    history = HistoricalRecords(excluded_fields=["created_at", "updated_at"])

    class Meta:
        ordering = ["site", "number"]
        verbose_name = _("site phase")
        verbose_name_plural = _("site phases")
        constraints = [
            models.UniqueConstraint(fields=["site", "number"], name="site_phase_number_once"),
            models.CheckConstraint(
                condition=Q(number__gte=1),
                name="site_phase_number_positive",
                violation_error_message=_("Phases are numbered from 1."),
            ),
            models.CheckConstraint(
                condition=Q(planned_mw__gte=0),
                name="site_phase_planned_mw_not_negative",
                violation_error_message=_("Planned capacity cannot be negative."),
            ),
            models.CheckConstraint(
                condition=Q(energized_mw__gte=0),
                name="site_phase_energized_mw_not_negative",
                violation_error_message=_("Energized capacity cannot be negative."),
            ),
            models.CheckConstraint(
                condition=Q(energized_mw__lte=F("planned_mw")),
                name="site_phase_energized_within_planned",
                violation_error_message=_(
                    "Energized capacity cannot exceed the phase's planned capacity."
                ),
            ),
            models.CheckConstraint(
                condition=Q(capex_estimate__isnull=True) | Q(capex_estimate__gte=0),
                name="site_phase_capex_not_negative",
                violation_error_message=_("A capex estimate cannot be negative."),
            ),
            models.CheckConstraint(
                condition=Q(capex_estimate_currency__isnull=True)
                | known_currency("capex_estimate_currency"),
                name="site_phase_capex_currency_known",
                violation_error_message=_("Unknown currency: use an ISO 4217 code."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.site} - phase {self.number}"


class PermitType(models.TextChoices):
    ZONING = "zoning", _("Zoning")
    ENVIRONMENTAL = "environmental", _("Environmental")
    BUILDING = "building", _("Building")
    GRID = "grid", _("Grid connection")
    WATER = "water", _("Water")


class PermitStatus(models.TextChoices):
    APPLIED = "applied", _("Applied")
    GRANTED = "granted", _("Granted")
    CONDITIONAL = "conditional", _("Granted with conditions")
    DENIED = "denied", _("Denied")
    EXPIRED = "expired", _("Expired")


# A conditional grant lets the work go on; the conditions are tracked on the permit itself.
PERMIT_GRANTED_STATUSES = (PermitStatus.GRANTED, PermitStatus.CONDITIONAL)


class Permit(TimeStampedModel):
    """A permit a site needs (zoning, environmental, building, grid, water) and where it stands."""

    country_lookup = "site__country"
    fixed_fields = ("site",)

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="permits")
    permit_type = models.CharField(_("type"), max_length=16, choices=PermitType.choices)
    authority = models.CharField(_("authority"), max_length=200)
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    required = models.BooleanField(
        _("required to build"),
        default=True,
        help_text=_("Required permits must be granted before the site leaves permitting."),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=PermitStatus.choices, default=PermitStatus.APPLIED
    )
    applied_on = models.DateField(_("applied on"), null=True, blank=True)
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    conditions = models.TextField(_("conditions"), blank=True)

    objects = CountryScopedManager()
    history = HistoricalRecords(excluded_fields=["created_at", "updated_at"])

    class Meta:
        ordering = ["site", "permit_type"]
        verbose_name = _("permit")
        verbose_name_plural = _("permits")
        constraints = [
            models.CheckConstraint(
                condition=Q(applied_on__isnull=True)
                | Q(decided_on__isnull=True)
                | Q(decided_on__gte=F("applied_on")),
                name="permit_decided_after_applied",
                violation_error_message=_("A permit cannot be decided before it was applied for."),
            ),
            models.CheckConstraint(
                condition=Q(decided_on__isnull=True)
                | Q(expires_on__isnull=True)
                | Q(expires_on__gte=F("decided_on")),
                name="permit_expires_after_decided",
                violation_error_message=_("A permit cannot expire before it was decided."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_permit_type_display()} - {self.site}"


class ControlKind(models.TextChoices):
    PHYSICAL = "physical", _("Physical security")
    ACCESS = "access", _("Access control")
    RESIDENCY = "residency", _("Data residency")
    WEIGHTS = "weights", _("Model-weight protection")
    INCIDENT = "incident", _("Incident response")
    SUPPLY_CHAIN = "supply_chain", _("Supply-chain security")
    PERSONNEL = "personnel", _("Personnel vetting")
    MONITORING = "monitoring", _("Security monitoring")


class ControlStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("Not started")
    IN_PROGRESS = "in_progress", _("In progress")
    IMPLEMENTED = "implemented", _("Implemented")
    VERIFIED = "verified", _("Verified")
    NOT_APPLICABLE = "not_applicable", _("Not applicable")


class SecurityControl(TimeStampedModel):
    """A security or safety control from the catalogue, tracked per site."""

    country_lookup = "site__country"
    fixed_fields = ("site",)

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="security_controls")
    control = models.CharField(_("control"), max_length=16, choices=ControlKind.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=ControlStatus.choices, default=ControlStatus.NOT_STARTED
    )
    evidence = models.TextField(_("evidence"), blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewer"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reviewed_controls",
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)

    objects = CountryScopedManager()
    history = HistoricalRecords(excluded_fields=["created_at", "updated_at"])

    class Meta:
        ordering = ["site", "control"]
        verbose_name = _("security control")
        verbose_name_plural = _("security controls")
        constraints = [
            models.UniqueConstraint(
                fields=["site", "control"], name="security_control_once_per_site"
            ),
            models.CheckConstraint(
                condition=~Q(status=ControlStatus.VERIFIED)
                | Q(reviewer__isnull=False, reviewed_at__isnull=False),
                name="security_control_verified_has_reviewer",
                violation_error_message=_("A verified control names its reviewer and review time."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_control_display()} - {self.site}"
