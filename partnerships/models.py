"""Reference data (regions, countries, organisations) and partnerships with their lifecycle."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from django_countries.fields import CountryField
from djmoney.models.fields import MoneyField
from simple_history.models import HistoricalRecords

from openai_countries.links import reverse_pk, url
from openai_countries.models import ProvenanceModel, TimeStampedModel, TransitionRecord
from openai_countries.money import CURRENCY_CHOICES, known_currency
from openai_countries.scoping import CountryScopedManager

CODE_PATTERN = r"^[A-Z0-9][A-Z0-9-]{1,31}$"
code_validator = RegexValidator(
    CODE_PATTERN, _("Use 2-32 capital letters, digits and hyphens, e.g. AE-STARGATE.")
)


class Region(TimeStampedModel):
    """A named group of countries (e.g. "Gulf", "Nordics") for regional partnerships and rollups."""

    code = models.CharField(_("code"), max_length=32, unique=True, validators=[code_validator])
    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        constraints = [
            models.CheckConstraint(
                condition=Q(code__regex=CODE_PATTERN),
                name="region_code_format",
                violation_error_message=_("Use 2-32 capital letters, digits and hyphens."),
            ),
        ]

    def __str__(self) -> str:
        return self.name


def country_name(code: str) -> str:
    """The ISO name of ``code`` in the reader's language (django-countries' CLDR-based
    translations), looked up once per language: lists and dashboards name hundreds of them."""
    return _country_name(code, get_language() or "en")


@lru_cache(maxsize=4096)
def _country_name(code: str, language: str) -> str:
    return str(countries.name(code))


class Country(TimeStampedModel):
    """An ISO 3166-1 country. All are loaded; the object that per-country permissions guard."""

    code = CountryField(_("ISO code"), unique=True)
    name = models.CharField(_("name"), max_length=100)
    region = models.ForeignKey(
        Region,
        verbose_name=_("region"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="countries",
    )
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = _("country")
        verbose_name_plural = _("countries")
        permissions = [
            ("view_country_data", _("View the country's program data")),
            ("change_country_data", _("Change the country's program data")),
            ("confirm_country_figures", _("Confirm the government's figures")),
            ("sign_off_country", _("Sign off gates and requirements for the country")),
            ("export_country_reports", _("Export the country's data and reports")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(currency="") | known_currency("currency"),
                name="country_currency_known",
                violation_error_message=_("Unknown currency: use an ISO 4217 code."),
            ),
        ]

    def __str__(self) -> str:
        return country_name(self.iso2) or self.name

    def get_absolute_url(self) -> str:
        return url("country-dashboard", self.iso2)

    @property
    def iso2(self) -> str:
        """The ISO code as stored: reading ``code`` builds a django-countries object each time,
        and a list page naming a hundred countries paid for a hundred of them."""
        if "code" in self.__dict__:
            return str(self.__dict__["code"])
        return str(self.code)  # deferred: the field loads it


class OrganisationKind(models.TextChoices):
    GOVERNMENT = "government", _("Government")
    SPONSOR = "sponsor", _("Company / program sponsor")
    OPERATOR = "operator", _("Operator")
    UTILITY = "utility", _("Utility")
    INVESTOR = "investor", _("Investor")
    VENDOR = "vendor", _("Vendor")
    UNIVERSITY = "university", _("University")
    OTHER = "other", _("Other")


IATI_PATTERN = r"^[A-Za-z]{2}(-[A-Za-z0-9]+)+$"


class Organisation(TimeStampedModel):
    """A government body, company, operator, utility, investor or other party in the program."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=OrganisationKind.choices)
    home_country = models.ForeignKey(
        Country,
        verbose_name=_("home country"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="organisations",
    )
    iati_id = models.CharField(
        _("IATI organisation id"),
        max_length=100,
        blank=True,
        validators=[RegexValidator(IATI_PATTERN, _("An IATI id looks like GB-COH-123456."))],
    )
    website = models.URLField(_("website"), blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        constraints = [
            models.UniqueConstraint(
                fields=["iati_id"],
                condition=~Q(iati_id=""),
                name="organisation_iati_id_unique",
                violation_error_message=_("Another organisation already has this IATI id."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse_pk("partnerships:organisation-edit", self.pk)


class Stage(models.TextChoices):
    PROSPECT = "prospect", _("Prospect")
    SCOPING = "scoping", _("Scoping")
    NEGOTIATING = "negotiating", _("Negotiating")
    SIGNED = "signed", _("Signed")
    IMPLEMENTING = "implementing", _("Implementing")
    OPERATIONAL = "operational", _("Operational")
    SCALING = "scaling", _("Scaling")
    ON_HOLD = "on_hold", _("On hold")
    CANCELLED = "cancelled", _("Cancelled")


# The forward path; on_hold and cancelled sit beside it.
STAGE_PATH: tuple[str, ...] = (
    Stage.PROSPECT,
    Stage.SCOPING,
    Stage.NEGOTIATING,
    Stage.SIGNED,
    Stage.IMPLEMENTING,
    Stage.OPERATIONAL,
    Stage.SCALING,
)


class Health(models.TextChoices):
    ON_TRACK = "on_track", _("On track")
    AT_RISK = "at_risk", _("At risk")
    OFF_TRACK = "off_track", _("Off track")


class Wave(models.TextChoices):
    PHASE_ONE = "phase_one", _("Phase one")
    SCALE_OUT = "scale_out", _("Scale-out")


class Workstream(models.TextChoices):
    CAPACITY = "capacity", _("Data-center capacity")
    CHATGPT = "chatgpt", _("Customized ChatGPT")
    SECURITY = "security", _("Security & safety")
    STARGATE = "stargate", _("Stargate contribution")
    STARTUP_FUND = "startup_fund", _("National start-up fund")


class Partnership(ProvenanceModel, TimeStampedModel):
    """A country or regional partnership: the unit the program signs, finances and tracks."""

    country_lookup = "countries"
    lifecycle_fields = ("stage", "stage_before_hold", "health_override", "health_override_reason")

    code = models.CharField(_("code"), max_length=32, unique=True, validators=[code_validator])
    title = models.CharField(_("title"), max_length=200)
    summary = models.TextField(_("summary"), blank=True)
    lead_country = models.ForeignKey(
        Country,
        verbose_name=_("lead country"),
        on_delete=models.PROTECT,
        related_name="led_partnerships",
    )
    countries: models.ManyToManyField[Country, PartnershipCountry] = models.ManyToManyField(
        Country,
        verbose_name=_("participating countries"),
        through="PartnershipCountry",
        related_name="partnerships",
    )
    wave = models.CharField(_("wave"), max_length=16, choices=Wave.choices, default=Wave.PHASE_ONE)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="owned_partnerships",
    )
    stage = models.CharField(
        _("stage"), max_length=16, choices=Stage.choices, default=Stage.PROSPECT, db_index=True
    )
    stage_before_hold = models.CharField(
        _("stage before hold"), max_length=16, choices=Stage.choices, blank=True
    )
    workstreams = models.JSONField(_("workstreams"), default=list, blank=True)
    health_override = models.CharField(
        _("health override"), max_length=16, choices=Health.choices, blank=True
    )
    health_override_reason = models.TextField(_("health override reason"), blank=True)
    planned_investment = MoneyField(
        _("planned co-financing"),
        max_digits=18,
        decimal_places=2,
        default_currency="USD",
        currency_choices=CURRENCY_CHOICES,
        null=True,
        blank=True,
    )
    planned_start = models.DateField(_("planned start"), null=True, blank=True)
    planned_end = models.DateField(_("planned end"), null=True, blank=True)
    actual_start = models.DateField(_("actual start"), null=True, blank=True)
    actual_end = models.DateField(_("actual end"), null=True, blank=True)

    objects = CountryScopedManager()
    history = HistoricalRecords(excluded_fields=["created_at", "updated_at"])

    class Meta:
        ordering = ["code"]
        verbose_name = _("partnership")
        verbose_name_plural = _("partnerships")
        constraints = [
            models.CheckConstraint(
                condition=Q(code__regex=CODE_PATTERN),
                name="partnership_code_format",
                violation_error_message=_(
                    "Use 2-32 capital letters, digits and hyphens, e.g. AE-STARGATE."
                ),
            ),
            models.CheckConstraint(
                condition=Q(stage__in=Stage.values),
                name="partnership_stage_known",
                violation_error_message=_("Unknown stage."),
            ),
            models.CheckConstraint(
                condition=Q(health_override="") | ~Q(health_override_reason=""),
                name="partnership_health_override_has_reason",
                violation_error_message=_("A health override needs a reason."),
            ),
            models.CheckConstraint(
                condition=Q(stage=Stage.ON_HOLD, stage_before_hold__in=STAGE_PATH)
                | (~Q(stage=Stage.ON_HOLD) & Q(stage_before_hold="")),
                name="partnership_hold_remembers_stage",
                violation_error_message=_(
                    "A partnership on hold must remember the stage it left (and only then)."
                ),
            ),
            models.CheckConstraint(
                condition=Q(planned_investment__isnull=True) | Q(planned_investment__gte=0),
                name="partnership_planned_investment_not_negative",
                violation_error_message=_("Planned co-financing cannot be negative."),
            ),
            models.CheckConstraint(
                condition=Q(planned_investment_currency__isnull=True)
                | known_currency("planned_investment_currency"),
                name="partnership_planned_investment_currency_known",
                violation_error_message=_("Unknown currency: use an ISO 4217 code."),
            ),
            models.CheckConstraint(
                condition=Q(planned_start__isnull=True)
                | Q(planned_end__isnull=True)
                | Q(planned_end__gte=F("planned_start")),
                name="partnership_planned_dates_ordered",
                violation_error_message=_("The planned end cannot be before the planned start."),
            ),
            models.CheckConstraint(
                condition=Q(actual_start__isnull=True)
                | Q(actual_end__isnull=True)
                | Q(actual_end__gte=F("actual_start")),
                name="partnership_actual_dates_ordered",
                violation_error_message=_("The actual end cannot be before the actual start."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse_pk("partnerships:partnership-detail", self.pk)

    @property
    def is_regional(self) -> bool:
        return self.countries.count() > 1

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        unknown = [w for w in self.workstreams or [] if w not in Workstream.values]
        if not isinstance(self.workstreams, list) or unknown:
            raise ValidationError(
                {"workstreams": _("Unknown workstream(s): %(names)s.") % {"names": unknown}}
            )


class PartnershipCountry(models.Model):
    """A country taking part in a partnership (the lead country is one of them)."""

    country_lookup = "country"

    partnership = models.ForeignKey(
        Partnership, on_delete=models.CASCADE, related_name="participations"
    )
    country = models.ForeignKey(Country, on_delete=models.PROTECT, related_name="participations")
    joined_on = models.DateField(_("joined on"), default=date.today)

    objects = CountryScopedManager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("participating country")
        verbose_name_plural = _("participating countries")
        constraints = [
            models.UniqueConstraint(
                fields=["partnership", "country"], name="partnership_country_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.partnership.code}: {self.country}"


class ParticipantRole(models.TextChoices):
    FUNDING = "funding", _("Funding")
    ACCOUNTABLE = "accountable", _("Accountable")
    IMPLEMENTING = "implementing", _("Implementing")
    OPERATOR = "operator", _("Operator")


class Participant(TimeStampedModel):
    """An organisation's role in a partnership, with its lead contact."""

    country_lookup = "partnership__countries"
    fixed_fields = ("partnership",)

    partnership = models.ForeignKey(
        Partnership, on_delete=models.CASCADE, related_name="participants"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="participations"
    )
    role = models.CharField(_("role"), max_length=16, choices=ParticipantRole.choices)
    lead_contact = models.CharField(_("lead contact"), max_length=200, blank=True)
    lead_contact_email = models.EmailField(_("lead contact e-mail"), blank=True)

    objects = CountryScopedManager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["partnership", "role", "organisation__name"]
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        constraints = [
            models.UniqueConstraint(
                fields=["partnership", "organisation", "role"], name="participant_role_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} ({self.get_role_display()})"


class AgreementType(models.TextChoices):
    LOI = "loi", _("Letter of intent")
    MOU = "mou", _("Memorandum of understanding")
    DEFINITIVE = "definitive", _("Definitive agreement")
    COFINANCING = "cofinancing", _("Co-financing agreement")
    DATA_PROTECTION = "data_protection", _("Data protection agreement")


class AgreementStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    NEGOTIATING = "negotiating", _("Negotiating")
    SIGNED = "signed", _("Signed")
    TERMINATED = "terminated", _("Terminated")


# Agreements that make a partnership signable.
BINDING_AGREEMENT_TYPES = (AgreementType.MOU, AgreementType.DEFINITIVE)


class Agreement(TimeStampedModel):
    """A document between the parties: LOI, MoU, definitive, co-financing, data protection."""

    country_lookup = "partnership__countries"
    fixed_fields = ("partnership",)

    partnership = models.ForeignKey(
        Partnership, on_delete=models.CASCADE, related_name="agreements"
    )
    title = models.CharField(_("title"), max_length=200)
    agreement_type = models.CharField(_("type"), max_length=16, choices=AgreementType.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=AgreementStatus.choices, default=AgreementStatus.DRAFT
    )
    signed_on = models.DateField(_("signed on"), null=True, blank=True)
    document = models.FileField(_("document"), upload_to="agreements/%Y/", blank=True)

    objects = CountryScopedManager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["partnership", "signed_on", "pk"]
        verbose_name = _("agreement")
        verbose_name_plural = _("agreements")
        constraints = [
            models.CheckConstraint(
                condition=~Q(status=AgreementStatus.SIGNED) | Q(signed_on__isnull=False),
                name="agreement_signed_has_date",
                violation_error_message=_("A signed agreement needs its signing date."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_agreement_type_display()}: {self.title}"

    def get_absolute_url(self) -> str:
        return reverse_pk("partnerships:partnership-detail", self.partnership_id) + "#agreements"


class Milestone(TimeStampedModel):
    """A dated deliverable of one workstream; overdue when past due and not completed."""

    country_lookup = "partnership__countries"
    fixed_fields = ("partnership",)

    partnership = models.ForeignKey(
        Partnership, on_delete=models.CASCADE, related_name="milestones"
    )
    workstream = models.CharField(_("workstream"), max_length=16, choices=Workstream.choices)
    title = models.CharField(_("title"), max_length=200)
    due_on = models.DateField(_("due"))
    completed_on = models.DateField(_("completed"), null=True, blank=True)

    objects = CountryScopedManager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["due_on", "pk"]
        # Lists page in this order without sorting every milestone for each page.
        indexes = [models.Index(fields=["due_on", "id"], name="milestone_due_order")]
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse_pk("partnerships:partnership-detail", self.partnership_id) + "#milestones"

    def is_overdue(self, today: date | None = None) -> bool:
        today = today or timezone.localdate()
        return self.completed_on is None and self.due_on < today

    @property
    def overdue(self) -> bool:
        return self.is_overdue()


class RiskStatus(models.TextChoices):
    OPEN = "open", _("Open")
    MITIGATING = "mitigating", _("Mitigating")
    ACCEPTED = "accepted", _("Accepted")
    CLOSED = "closed", _("Closed")


def _one_to_five(field: str) -> Q:
    return Q(**{f"{field}__gte": 1, f"{field}__lte": 5})


class Risk(TimeStampedModel):
    """A risk to a partnership, scored by likelihood and impact (1-5 each)."""

    country_lookup = "partnership__countries"
    fixed_fields = ("partnership",)

    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="risks")
    title = models.CharField(_("title"), max_length=200)
    likelihood = models.PositiveSmallIntegerField(
        _("likelihood"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    impact = models.PositiveSmallIntegerField(
        _("impact"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    mitigation = models.TextField(_("mitigation"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="owned_risks",
    )
    status = models.CharField(
        _("status"), max_length=16, choices=RiskStatus.choices, default=RiskStatus.OPEN
    )

    objects = CountryScopedManager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-likelihood", "-impact", "pk"]
        # Lists page worst first without sorting every risk for each page.
        indexes = [models.Index(fields=["-likelihood", "-impact", "id"], name="risk_worst_order")]
        verbose_name = _("risk")
        verbose_name_plural = _("risks")
        constraints = [
            models.CheckConstraint(
                condition=_one_to_five("likelihood"),
                name="risk_likelihood_1_5",
                violation_error_message=_("Likelihood is from 1 to 5."),
            ),
            models.CheckConstraint(
                condition=_one_to_five("impact"),
                name="risk_impact_1_5",
                violation_error_message=_("Impact is from 1 to 5."),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse_pk("partnerships:partnership-detail", self.partnership_id) + "#risks"

    @property
    def score(self) -> int:
        return self.likelihood * self.impact


class StageTransition(TransitionRecord):
    """A recorded stage move of a partnership (the stage timeline)."""

    country_lookup = "partnership__countries"

    partnership = models.ForeignKey(
        Partnership, on_delete=models.CASCADE, related_name="stage_transitions"
    )

    objects = CountryScopedManager()

    class Meta(TransitionRecord.Meta):
        verbose_name = _("stage transition")
        verbose_name_plural = _("stage transitions")


class SignOffSide(models.TextChoices):
    PROGRAM = "program", _("Program side")
    GOVERNMENT = "government", _("Government side")


class StageSignOff(models.Model):
    """One party's approval of a stage gate (e.g. both sides approve before ``signed``)."""

    country_lookup = "partnership__countries"

    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="sign_offs")
    gate = models.CharField(_("gate"), max_length=16, choices=Stage.choices)
    side = models.CharField(_("side"), max_length=16, choices=SignOffSide.choices)
    country = models.ForeignKey(
        Country,
        verbose_name=_("on behalf of"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The government the approver signs for (government side only)."),
    )
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="stage_sign_offs"
    )
    signed_at = models.DateTimeField(_("signed at"), default=timezone.now)
    comment = models.TextField(_("comment"), blank=True)

    objects = CountryScopedManager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["signed_at"]
        verbose_name = _("stage sign-off")
        verbose_name_plural = _("stage sign-offs")
        constraints = [
            models.UniqueConstraint(
                fields=["partnership", "gate", "side"], name="stage_sign_off_once_per_side"
            ),
            models.CheckConstraint(
                condition=Q(side=SignOffSide.PROGRAM, country__isnull=True)
                | Q(side=SignOffSide.GOVERNMENT, country__isnull=False),
                name="stage_sign_off_government_names_country",
                violation_error_message=_(
                    "A government sign-off names its country; a program sign-off names none."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.partnership.code} {self.gate} ({self.get_side_display()})"


class Role(models.TextChoices):
    PROGRAM_MANAGER = "program_manager", _("Program manager")
    LIAISON = "liaison", _("Country liaison")
    ANALYST = "analyst", _("Analyst")
    ADMINISTRATOR = "administrator", _("Administrator")


GLOBAL_ONLY_ROLES = (Role.PROGRAM_MANAGER, Role.ADMINISTRATOR)


class CountryRoleGrant(models.Model):
    """A role held by a user on one country (or on every country, for global roles).

    Rows are the record of who granted or revoked what and when; the permissions themselves are
    django-guardian grants to per-country groups, kept in step by ``partnerships.access``.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="role_grants"
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    country = models.ForeignKey(
        Country,
        verbose_name=_("country"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="role_grants",
        help_text=_("Empty: every country (program managers, administrators, global analysts)."),
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    granted_at = models.DateTimeField(_("granted at"), default=timezone.now)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-granted_at"]
        verbose_name = _("role grant")
        verbose_name_plural = _("role grants")
        constraints = [
            models.UniqueConstraint(
                F("user"),
                F("role"),
                Coalesce("country", 0),
                condition=Q(revoked_at__isnull=True),
                name="role_grant_active_once",
                violation_error_message=_("This user already holds this role there."),
            ),
            models.CheckConstraint(
                condition=~Q(role=Role.LIAISON) | Q(country__isnull=False),
                name="role_grant_liaison_has_country",
                violation_error_message=_("A country liaison needs a country."),
            ),
            models.CheckConstraint(
                condition=~Q(role__in=GLOBAL_ONLY_ROLES) | Q(country__isnull=True),
                name="role_grant_global_role_has_no_country",
                violation_error_message=_(
                    "Program managers and administrators hold global roles: no country."
                ),
            ),
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True) | Q(revoked_at__gte=F("granted_at")),
                name="role_grant_revoked_after_granted",
                violation_error_message=_("A grant cannot be revoked before it was granted."),
            ),
        ]

    def __str__(self) -> str:
        where = self.country.iso2 if self.country else _("all countries")
        return f"{self.user} - {self.get_role_display()} ({where})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class ReportKind(models.TextChoices):
    COUNTRY = "country", _("Country status")
    PARTNERSHIP = "partnership", _("Partnership status")
    PORTFOLIO = "portfolio", _("Portfolio")


class ReportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class ReportRun(models.Model):
    """One requested PDF progress report: its scope, as-of date, language and rendering outcome."""

    # A report shows everything of its scope, whoever asked, so it is visible to those who may
    # see all of it: a country report to that country's readers; a single-country partnership's
    # report carries that country too; a regional one (no country) and the portfolio need
    # reach over every country.
    country_lookup = "country"

    kind = models.CharField(_("kind"), max_length=16, choices=ReportKind.choices)
    country = models.ForeignKey(
        Country, on_delete=models.PROTECT, null=True, blank=True, related_name="report_runs"
    )
    partnership = models.ForeignKey(
        Partnership, on_delete=models.PROTECT, null=True, blank=True, related_name="report_runs"
    )
    as_of = models.DateField(_("as of"))
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="report_runs",
        help_text=_("Empty for scheduled runs."),
    )
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    status = models.CharField(
        _("status"), max_length=16, choices=ReportStatus.choices, default=ReportStatus.QUEUED
    )
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    file = models.FileField(_("PDF"), upload_to="reports/%Y/%m/", blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    pages = models.PositiveIntegerField(_("pages"), null=True, blank=True)
    bytes = models.PositiveBigIntegerField(_("bytes"), null=True, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    error = models.TextField(_("error"), blank=True)

    objects = CountryScopedManager()

    class Meta:
        ordering = ["-requested_at"]
        verbose_name = _("report run")
        verbose_name_plural = _("report runs")
        constraints = [
            models.UniqueConstraint(
                F("kind"),
                Coalesce("country", 0),
                Coalesce("partnership", 0),
                F("as_of"),
                F("language"),
                name="report_run_once_per_scope",
                violation_error_message=_(
                    "This report (kind, scope, as-of date, language) was already requested."
                ),
            ),
            models.CheckConstraint(
                condition=Q(
                    kind=ReportKind.COUNTRY, country__isnull=False, partnership__isnull=True
                )
                | Q(kind=ReportKind.PARTNERSHIP, partnership__isnull=False)
                | Q(kind=ReportKind.PORTFOLIO, country__isnull=True, partnership__isnull=True),
                name="report_run_scope_matches_kind",
                violation_error_message=_(
                    "A country report names a country, a partnership report a partnership."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(status=ReportStatus.SUCCEEDED)
                | (Q(sha256__regex=r"^[0-9a-f]{64}$") & ~Q(file="")),
                name="report_run_succeeded_has_file",
                violation_error_message=_("A succeeded report run has its PDF and SHA-256."),
            ),
        ]

    def __str__(self) -> str:
        scope = self.partnership or self.country or _("portfolio")
        return f"{self.get_kind_display()} - {scope} - {self.as_of}"

    @property
    def is_finished(self) -> bool:
        return self.status in (ReportStatus.SUCCEEDED, ReportStatus.FAILED)


class AccessEventKind(models.TextChoices):
    DENIED = "denied", _("Access denied")
    GRANT = "grant", _("Role granted")
    REVOKE = "revoke", _("Role revoked")
    EXPORT = "export", _("Data exported")
    DOWNLOAD = "download", _("Report downloaded")


class AccessEvent(models.Model):
    """The audit trail of access: denied cross-country attempts, grant changes, exports, downloads.

    Written only by ``partnerships.services.audit``; nobody edits or deletes it, in any interface.
    """

    at = models.DateTimeField(_("at (UTC)"), default=timezone.now, db_index=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="access_events",
        editable=False,
    )
    username = models.CharField(_("username"), max_length=150, blank=True, editable=False)
    kind = models.CharField(
        _("kind"), max_length=16, choices=AccessEventKind.choices, editable=False
    )
    allowed = models.BooleanField(_("allowed"), editable=False)
    target = models.CharField(_("what"), max_length=300, blank=True, editable=False)
    country = models.ForeignKey(
        Country,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    detail = models.JSONField(_("detail"), default=dict, blank=True, editable=False)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("access event")
        verbose_name_plural = _("access events")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.username or '-'} {self.kind} {self.target}"


class ApiToken(models.Model):
    """A personal API token. Only its SHA-256 is stored; the key is shown once, when created."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=8, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        constraints = [
            models.CheckConstraint(
                condition=Q(key_hash__regex=r"^[0-9a-f]{64}$"),
                name="api_token_hash_format",
                violation_error_message=_("A token is stored as its SHA-256."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}...)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class UserPreference(models.Model):
    """What a person chose for themselves: for now, the language of their pages and e-mails."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="preference"
    )
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)

    class Meta:
        verbose_name = _("user preference")
        verbose_name_plural = _("user preferences")

    def __str__(self) -> str:
        return f"{self.user}: {self.language}"


class ReportSubscription(models.Model):
    """Someone who wants the scheduled report of a country (or the portfolio) e-mailed to them.

    Belongs to its user, not to a country's data: only its owner sees it. Whether they may still
    read the report is checked each time one is sent, so a revoked grant ends the e-mails.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="report_subscriptions"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=ReportKind.choices)
    country = models.ForeignKey(
        Country, verbose_name=_("country"), on_delete=models.CASCADE, null=True, blank=True
    )
    created_at = models.DateTimeField(_("subscribed at"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["kind", "country__name"]
        verbose_name = _("report subscription")
        verbose_name_plural = _("report subscriptions")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind", "country"],
                condition=Q(country__isnull=False),
                name="report_subscription_once_per_country",
                violation_error_message=_("You already subscribe to this report."),
            ),
            models.UniqueConstraint(
                fields=["user", "kind"],
                condition=Q(country__isnull=True),
                name="report_subscription_once",
                violation_error_message=_("You already subscribe to this report."),
            ),
            models.CheckConstraint(
                condition=Q(kind=ReportKind.COUNTRY, country__isnull=False)
                | Q(kind=ReportKind.PORTFOLIO, country__isnull=True),
                name="report_subscription_scope",
                violation_error_message=_(
                    "Subscribe to a country's report (naming the country) or to the portfolio."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.get_kind_display()} {self.country or ''}".strip()


class CountryFigures(models.Model):
    """One country's dashboard figures that no calendar day changes, kept so that a dashboard
    sums a row per country instead of counting 20,000 requirements and grouping every site
    phase by quarter (``partnerships/rollups.py`` keeps them): localization coverage by
    service domain and data-center capacity by quarter.

    A write to the country's requirements moves ``coverage_revision`` on, to its site phases
    ``capacity_revision``, in the writer's transaction; each kind of figure holds while its
    ``*_computed`` is its revision.
    """

    country_lookup = "country"

    country = models.OneToOneField(
        Country, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    coverage_revision = models.PositiveBigIntegerField(default=0)
    coverage_computed = models.PositiveBigIntegerField(null=True, blank=True)
    # {service domain: [requirements live, all requirements]}
    coverage = models.JSONField(default=dict)
    capacity_revision = models.PositiveBigIntegerField(default=0)
    capacity_computed = models.PositiveBigIntegerField(null=True, blank=True)
    # {"planned": {quarter ("2026-Q3"): MW planned ready in it}, "energized": {...}}, as decimal
    # strings; a quarter is listed on a side when a phase's date on that side falls in it.
    capacity = models.JSONField(default=dict)

    objects = CountryScopedManager()

    class Meta:
        verbose_name = _("country dashboard figures")
        verbose_name_plural = _("country dashboard figures")

    def __str__(self) -> str:
        return (
            f"{self.country_id}: coverage {self.coverage_computed}, "
            f"capacity {self.capacity_computed}"
        )


class PartnershipSignals(models.Model):
    """One partnership's late rows, kept for the attention list: how many milestones, site
    phases and requirements are past their date as of ``as_of``, and the oldest date of each
    (``partnerships/rollups.py`` keeps them). A write to any of them moves ``revision`` on in
    the writer's transaction; the figures hold while ``computed_revision`` is that revision
    and the day asked for lies in ``[as_of, valid_until)``: ``valid_until`` is the day after the
    first date on or after ``as_of`` at which an open row falls due.
    """

    country_lookup = "partnership__countries"

    partnership = models.OneToOneField(
        Partnership, on_delete=models.CASCADE, primary_key=True, related_name="kept_signals"
    )
    revision = models.PositiveBigIntegerField(default=0)
    computed_revision = models.PositiveBigIntegerField(null=True, blank=True)
    as_of = models.DateField(null=True, blank=True)
    valid_until = models.DateField(null=True, blank=True)
    milestones_late = models.PositiveIntegerField(default=0)
    milestones_oldest = models.DateField(null=True, blank=True)
    phases_late = models.PositiveIntegerField(default=0)
    phases_oldest = models.DateField(null=True, blank=True)
    requirements_late = models.PositiveIntegerField(default=0)
    requirements_oldest = models.DateField(null=True, blank=True)

    objects = CountryScopedManager()

    class Meta:
        verbose_name = _("partnership attention signals")
        verbose_name_plural = _("partnership attention signals")

    def __str__(self) -> str:
        return f"{self.partnership_id} as of {self.as_of} (revision {self.computed_revision})"
