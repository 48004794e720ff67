"""Locales and the localization requirements of each country's customized ChatGPT."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from openai_countries.links import reverse_pk
from openai_countries.models import TimeStampedModel, TransitionRecord
from openai_countries.scoping import CountryScopedManager


class Direction(models.TextChoices):
    LTR = "ltr", _("Left to right")
    RTL = "rtl", _("Right to left")


class Locale(TimeStampedModel):
    """A BCP 47 language tag the program localizes for, with its script and direction (Babel)."""

    tag = models.CharField(_("BCP 47 tag"), max_length=35, unique=True)
    name = models.CharField(_("name"), max_length=100)
    script = models.CharField(_("script (ISO 15924)"), max_length=4, blank=True)
    direction = models.CharField(
        _("direction"), max_length=3, choices=Direction.choices, default=Direction.LTR
    )
    default_for = models.ManyToManyField(
        "partnerships.Country",
        verbose_name=_("default locale of"),
        related_name="default_locales",
        blank=True,
    )

    history = HistoricalRecords(excluded_fields=["created_at", "updated_at"])

    class Meta:
        ordering = ["tag"]
        verbose_name = _("locale")
        verbose_name_plural = _("locales")
        constraints = [
            models.CheckConstraint(
                condition=Q(direction__in=Direction.values),
                name="locale_direction_known",
                violation_error_message=_("Direction is ltr or rtl."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.tag})"


class ServiceDomain(models.TextChoices):
    HEALTH = "health", _("Health care")
    EDUCATION = "education", _("Education")
    PUBLIC_SERVICES = "public_services", _("Public services")
    GENERAL = "general", _("General")


class RequirementCategory(models.TextChoices):
    LANGUAGE = "language", _("Language support")
    CULTURAL = "cultural", _("Cultural adaptation")
    REGULATORY = "regulatory", _("Regulatory / content policy")
    ACCESSIBILITY = "accessibility", _("Accessibility")
    DATA_RESIDENCY = "data_residency", _("Data residency")


class RequirementStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    ACCEPTED = "accepted", _("Accepted")
    IN_PROGRESS = "in_progress", _("In progress")
    IN_REVIEW = "in_review", _("In review")
    LIVE = "live", _("Live")
    REJECTED = "rejected", _("Rejected")


class LocalizationRequirement(TimeStampedModel):
    """Something the country's ChatGPT must do for a locale and service domain, and its review."""

    country_lookup = "country"
    lifecycle_fields = ("status", "live_on", "signed_off_by", "signed_off_at")
    fixed_fields = ("partnership", "country")

    partnership = models.ForeignKey(
        "partnerships.Partnership", on_delete=models.PROTECT, related_name="requirements"
    )
    country = models.ForeignKey(
        "partnerships.Country", on_delete=models.PROTECT, related_name="requirements"
    )
    locale = models.ForeignKey(Locale, on_delete=models.PROTECT, related_name="requirements")
    title = models.CharField(_("title"), max_length=200)
    service_domain = models.CharField(
        _("service domain"), max_length=16, choices=ServiceDomain.choices
    )
    category = models.CharField(_("category"), max_length=16, choices=RequirementCategory.choices)
    priority = models.PositiveSmallIntegerField(
        _("priority"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text=_("1 is the most urgent."),
    )
    target_on = models.DateField(_("target date"), null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="owned_requirements",
    )
    acceptance_criteria = models.TextField(_("acceptance criteria"), blank=True)
    evaluation_score = models.DecimalField(
        _("evaluation score"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    evaluated_on = models.DateField(_("evaluated on"), null=True, blank=True)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=RequirementStatus.choices,
        default=RequirementStatus.PROPOSED,
        db_index=True,
    )
    live_on = models.DateField(_("live since"), null=True, blank=True)
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("signed off by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="signed_off_requirements",
    )
    signed_off_at = models.DateTimeField(_("signed off at"), null=True, blank=True)

    objects = CountryScopedManager()
    history = HistoricalRecords(excluded_fields=["created_at", "updated_at"])

    class Meta:
        ordering = ["country__name", "priority", "target_on", "pk"]
        verbose_name = _("localization requirement")
        verbose_name_plural = _("localization requirements")
        constraints = [
            models.CheckConstraint(
                condition=Q(priority__gte=1, priority__lte=5),
                name="requirement_priority_1_5",
                violation_error_message=_("Priority is from 1 (most urgent) to 5."),
            ),
            models.CheckConstraint(
                condition=Q(evaluation_score__isnull=True)
                | Q(evaluation_score__gte=0, evaluation_score__lte=100),
                name="requirement_score_percentage",
                violation_error_message=_("An evaluation score is from 0 to 100."),
            ),
            models.CheckConstraint(
                condition=Q(evaluation_score__isnull=True) | Q(evaluated_on__isnull=False),
                name="requirement_score_has_date",
                violation_error_message=_("An evaluation score needs its evaluation date."),
            ),
            models.CheckConstraint(
                condition=Q(status__in=RequirementStatus.values),
                name="requirement_status_known",
                violation_error_message=_("Unknown requirement status."),
            ),
            models.CheckConstraint(
                condition=~Q(status=RequirementStatus.LIVE)
                | Q(
                    signed_off_by__isnull=False, signed_off_at__isnull=False, live_on__isnull=False
                ),
                name="requirement_live_is_signed_off",
                violation_error_message=_(
                    "A live requirement needs the liaison's sign-off and a live date."
                ),
            ),
        ]
        indexes = [
            # The dashboards' coverage matrix counts by these three, from the index alone.
            models.Index(
                fields=["country", "service_domain", "status"], name="requirement_coverage"
            ),
            # Requirements still open past their target: the attention signal, by partnership.
            models.Index(
                fields=["partnership", "target_on"],
                condition=~Q(status__in=[RequirementStatus.LIVE, RequirementStatus.REJECTED]),
                name="requirement_open_by_target",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse_pk("localization:requirement-detail", self.pk)

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if (
            self.partnership_id
            and self.country_id
            and not self.partnership.countries.filter(pk=self.country_id).exists()
        ):
            raise ValidationError(
                {"country": _("This country does not take part in the partnership.")}
            )


class RequirementStatusTransition(TransitionRecord):
    """A recorded review-flow move of a localization requirement (with the reviewer's comment)."""

    country_lookup = "requirement__country"

    requirement = models.ForeignKey(
        LocalizationRequirement, on_delete=models.CASCADE, related_name="status_transitions"
    )

    objects = CountryScopedManager()

    class Meta(TransitionRecord.Meta):
        verbose_name = _("requirement status transition")
        verbose_name_plural = _("requirement status transitions")
