"""Loads the illustrative first-phase program through the same services the product uses.

Each partnership is loaded whole or not at all and skipped when its code exists, so a second run
changes nothing. Transition timestamps are set afterwards to the program's scripted dates, so that
stage timelines read like the real program rather than like a single loading instant.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from djmoney.money import Money

from financing.models import CommitmentStatus, ExchangeRate
from financing.services import (
    commitment_commit,
    commitment_create,
    commitment_record_disbursement,
    exchange_rate_set,
)
from infrastructure.models import SITE_PATH, Permit, SecurityControl, Site, SitePhase, SiteStatus
from infrastructure.services import site_advance_status, site_cancel, site_hold
from localization.models import Locale, RequirementStatus, RequirementStatusTransition
from localization.services import locale_get_or_create, requirement_create, requirement_transition
from openai_countries.demo import program
from openai_countries.history import create_tracked
from partnerships.models import (
    STAGE_PATH,
    Agreement,
    Country,
    Milestone,
    Organisation,
    Participant,
    Partnership,
    Region,
    Risk,
    Role,
    SignOffSide,
    Stage,
    StageTransition,
)
from partnerships.services.partnerships import partnership_create
from partnerships.services.roles import country_grant_role
from partnerships.services.stages import (
    partnership_advance_stage,
    partnership_cancel,
    partnership_hold,
    partnership_sign_off,
)

User = get_user_model()

# Requirements of partnerships not yet operational went live by this (scripted) date.
_LIVE_BY = datetime.date(2026, 10, 15)

# The review path a requirement walks to reach each status.
_REQUIREMENT_PATH = {
    RequirementStatus.PROPOSED: [],
    RequirementStatus.ACCEPTED: [RequirementStatus.ACCEPTED],
    RequirementStatus.IN_PROGRESS: [RequirementStatus.ACCEPTED, RequirementStatus.IN_PROGRESS],
    RequirementStatus.IN_REVIEW: [
        RequirementStatus.ACCEPTED,
        RequirementStatus.IN_PROGRESS,
        RequirementStatus.IN_REVIEW,
    ],
    RequirementStatus.LIVE: [
        RequirementStatus.ACCEPTED,
        RequirementStatus.IN_PROGRESS,
        RequirementStatus.IN_REVIEW,
        RequirementStatus.LIVE,
    ],
    RequirementStatus.REJECTED: [RequirementStatus.REJECTED],
}


def demo_partnership_codes() -> set[str]:
    return {spec["code"] for spec in program.PARTNERSHIPS}


def demo_usernames() -> set[str]:
    countries = {c for spec in program.PARTNERSHIPS for c in spec["countries"]}
    return {"admin", "manager", "analyst"} | {f"liaison-{c.lower()}" for c in countries}


@dataclass
class LoadReport:
    created: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


class ProgramLoader:
    def __init__(self) -> None:
        self.countries = {c.iso2: c for c in Country.objects.all()}
        self.users: dict[str, Any] = {}

    # -- people ---------------------------------------------------------------------------------
    def _user(self, username: str, **extra: Any) -> Any:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(username=username, email=f"{username}@example.org", **extra)
            user.set_password(program.DEMO_PASSWORD)
            user.save()
        self.users[username] = user
        return user

    def load_users(self) -> None:
        admin = self._user(
            "admin", first_name="Ada", last_name="Admin", is_staff=True, is_superuser=True
        )
        country_grant_role(user=admin, role=Role.ADMINISTRATOR, by=admin)
        manager = self._user("manager", first_name="Morgan", last_name="Manager")
        country_grant_role(user=manager, role=Role.PROGRAM_MANAGER, by=admin)
        analyst = self._user("analyst", first_name="Alex", last_name="Analyst")
        country_grant_role(user=analyst, role=Role.ANALYST, by=admin)
        for iso2 in sorted({c for spec in program.PARTNERSHIPS for c in spec["countries"]}):
            country = self.countries[iso2]
            liaison = self._user(
                f"liaison-{iso2.lower()}", first_name="Liaison", last_name=country.name
            )
            country_grant_role(user=liaison, role=Role.LIAISON, country=country, by=admin)

    def liaison(self, iso2: str) -> Any:
        return self.users[f"liaison-{iso2.lower()}"]

    # -- reference data -------------------------------------------------------------------------
    def load_reference(self) -> None:
        admin = self.users["admin"]
        for code, name, members in program.REGIONS:
            region = Region.objects.filter(code=code).first() or create_tracked(
                Region, by=admin, code=code, name=name
            )
            Country.objects.filter(code__in=members, region__isnull=True).update(region=region)
        for name, kind, home in program.ORGANISATIONS:
            if not Organisation.objects.filter(name=name).exists():
                create_tracked(
                    Organisation,
                    by=admin,
                    name=name,
                    kind=kind,
                    home_country=self.countries.get(home) if home else None,
                )
        for currency, rates in program.EXCHANGE_RATES.items():
            for on, rate in rates:
                if not ExchangeRate.objects.filter(currency=currency, on=on).exists():
                    exchange_rate_set(
                        currency=currency,
                        on=on,
                        rate_to_usd=rate,
                        source=program.RATE_SOURCE,
                        by=admin,
                    )
        for iso2, tags in program.COUNTRY_LOCALES.items():
            for tag in tags:
                locale = locale_get_or_create(tag=tag, by=admin)
                if tag == tags[0]:
                    locale.default_for.add(self.countries[iso2])

    # -- one partnership ------------------------------------------------------------------------
    @transaction.atomic
    def load_partnership(self, spec: dict[str, Any]) -> Partnership:
        manager = self.users["manager"]
        lead = self.countries[spec["lead"]]
        planned = spec.get("planned_investment")
        partnership = partnership_create(
            code=spec["code"],
            title=spec["title"],
            lead_country=lead,
            countries=[self.countries[c] for c in spec["countries"]],
            by=manager,
            wave=spec["wave"],
            owner=manager,
            summary=spec["summary"],
            provenance=spec["provenance"],
            source=spec.get("source", ""),
            workstreams=spec["workstreams"],
            planned_investment=Money(planned[0], planned[1]) if planned else None,
            planned_start=spec.get("planned_start"),
            planned_end=spec.get("planned_end"),
        )
        orgs = {o.name: o for o in Organisation.objects.all()}
        for name, role, contact in spec["participants"]:
            create_tracked(
                Participant,
                by=manager,
                partnership=partnership,
                organisation=orgs[name],
                role=role,
                lead_contact=contact,
            )
        for kind, title, status, signed_on in spec["agreements"]:
            create_tracked(
                Agreement,
                by=manager,
                partnership=partnership,
                agreement_type=kind,
                title=title,
                status=status,
                signed_on=signed_on,
            )
        sites = {s["name"]: self._load_site(partnership, s, orgs) for s in spec["sites"]}
        for row in spec["commitments"]:
            self._load_commitment(partnership, row, orgs, sites)
        for row in spec["requirements"]:
            self._load_requirement(partnership, row)
        for workstream, title, due, completed in spec["milestones"]:
            create_tracked(
                Milestone,
                by=manager,
                partnership=partnership,
                workstream=workstream,
                title=title,
                due_on=due,
                completed_on=completed,
            )
        for title, likelihood, impact, mitigation, status in spec["risks"]:
            create_tracked(
                Risk,
                by=manager,
                partnership=partnership,
                title=title,
                likelihood=likelihood,
                impact=impact,
                mitigation=mitigation,
                status=status,
                owner=manager,
            )
        self._walk_stages(partnership, spec)
        return partnership

    def _walk_stages(self, partnership: Partnership, spec: dict[str, Any]) -> None:
        manager = self.users["manager"]
        target = spec["stage"]
        for stage in STAGE_PATH[1 : STAGE_PATH.index(target) + 1]:
            if stage == Stage.SIGNED:
                partnership_sign_off(
                    partnership=partnership,
                    gate=Stage.SIGNED,
                    side=SignOffSide.PROGRAM,
                    by=manager,
                    comment="Program office approval",
                )
                partnership_sign_off(
                    partnership=partnership,
                    gate=Stage.SIGNED,
                    side=SignOffSide.GOVERNMENT,
                    by=self.liaison(spec["lead"]),
                    comment="Government approval",
                )
            partnership = partnership_advance_stage(
                partnership=partnership, to_stage=stage, by=manager, reason="Gate review passed"
            )
        if spec.get("hold"):
            partnership_hold(partnership=partnership, by=manager, reason=spec["hold"])
        if spec.get("cancel"):
            partnership_cancel(partnership=partnership, by=manager, reason=spec["cancel"])
        self._backdate(partnership, spec["stage_dates"])

    @staticmethod
    def _backdate(partnership: Partnership, dates: list[datetime.date]) -> None:
        """Date the recorded moves as the program's script says, so the demo reads the same
        whenever it is loaded: stage moves, the sign-offs before ``signed`` and the go-live of
        requirements before ``operational``."""
        transitions = list(StageTransition.objects.filter(partnership=partnership).order_by("pk"))
        if len(transitions) != len(dates):
            raise ValueError(
                f"{partnership.code}: {len(transitions)} stage moves but {len(dates)} dates"
            )

        def noon(on: datetime.date) -> datetime.datetime:
            return datetime.datetime.combine(on, datetime.time(12), tzinfo=datetime.UTC)

        for transition, on in zip(transitions, dates, strict=True):
            transition.at = noon(on)
        StageTransition.objects.bulk_update(transitions, ["at"])
        moved_on = {t.to_status: t.at.date() for t in transitions}
        if Stage.SIGNED in moved_on:
            partnership.sign_offs.update(
                signed_at=noon(moved_on[Stage.SIGNED] - datetime.timedelta(days=2))
            )
        live_on = moved_on.get(Stage.OPERATIONAL, _LIVE_BY) - datetime.timedelta(days=14)
        live = partnership.requirements.filter(status=RequirementStatus.LIVE)
        live.update(live_on=live_on, signed_off_at=noon(live_on))
        RequirementStatusTransition.objects.filter(
            requirement__in=live, to_status=RequirementStatus.LIVE
        ).update(at=noon(live_on))

    def _load_site(
        self, partnership: Partnership, spec: dict[str, Any], orgs: dict[str, Organisation]
    ) -> Site:
        manager = self.users["manager"]
        site = create_tracked(
            Site,
            by=manager,
            partnership=partnership,
            country=self.countries[spec["country"]],
            name=spec["name"],
            locality=spec["locality"],
            latitude=Decimal(spec["latitude"]) if spec["latitude"] else None,
            longitude=Decimal(spec["longitude"]) if spec["longitude"] else None,
            operator=orgs[spec["operator"]] if spec["operator"] else None,
            planned_capacity_mw=Decimal(spec["planned_capacity_mw"]),
            target_pue=Decimal(spec["target_pue"]) if spec["target_pue"] else None,
            renewable_share_pct=spec["renewable_share_pct"],
            cooling_type=spec["cooling_type"],
            residency_class=spec["residency_class"],
            security_accreditation=spec["security_accreditation"],
            provenance=spec["provenance"],
            source=spec["source"],
        )
        for phase in spec["phases"]:
            capex = phase["capex"]
            create_tracked(
                SitePhase,
                by=manager,
                site=site,
                number=phase["number"],
                planned_mw=phase["planned_mw"],
                energized_mw=phase["energized_mw"],
                gpu_count=phase["gpu_count"],
                capex_estimate=Money(capex[0], capex[1]) if capex else None,
                planned_ready_on=phase["planned_ready_on"],
                actual_ready_on=phase["actual_ready_on"],
            )
        for permit_type, status in spec["permits"]:
            decided = status not in ("applied",)
            create_tracked(
                Permit,
                by=manager,
                site=site,
                permit_type=permit_type,
                status=status,
                authority=f"{site.country.name} {permit_type} authority (illustrative)",
                applied_on=datetime.date(2025, 3, 1),
                decided_on=datetime.date(2025, 9, 1) if decided else None,
            )
        for control, status in spec["controls"]:
            reviewed = status == "verified"
            create_tracked(
                SecurityControl,
                by=manager,
                site=site,
                control=control,
                status=status,
                evidence="Audit report (illustrative)" if reviewed else "",
                reviewer=manager if reviewed else None,
                reviewed_at=timezone.now() if reviewed else None,
            )
        for status in SITE_PATH[1 : SITE_PATH.index(spec["status"]) + 1]:
            site = site_advance_status(site=site, to_status=status, by=manager)
        if spec["then"] == SiteStatus.ON_HOLD:
            site = site_hold(site=site, by=manager, reason=spec["reason"])
        elif spec["then"] == SiteStatus.CANCELLED:
            site = site_cancel(site=site, by=manager, reason=spec["reason"])
        return site

    def _load_commitment(
        self,
        partnership: Partnership,
        row: tuple[Any, ...],
        orgs: dict[str, Organisation],
        sites: dict[str, Site],
    ) -> None:
        funder, side, instrument, amount, currency, status, committed_on, payments = row
        manager = self.users["manager"]
        country = funder_country = orgs[funder].home_country
        if funder_country is None or funder_country.pk not in {
            c.pk for c in partnership.countries.all()
        }:
            country = partnership.lead_country
        commitment = commitment_create(
            by=manager,
            partnership=partnership,
            country=country,
            funder=orgs[funder],
            side=side,
            instrument=instrument,
            amount=Money(amount, currency),
            provenance="illustrative",
            source=program.ILLUSTRATIVE_NOTE,
        )
        if status != CommitmentStatus.PLEDGED:
            commitment = commitment_commit(
                commitment=commitment, by=manager, committed_on=committed_on
            )
        for n, (paid_on, paid) in enumerate(payments, start=1):
            commitment_record_disbursement(
                commitment=commitment,
                paid_on=datetime.date.fromisoformat(paid_on),
                amount=paid,
                reference=f"{partnership.code}-D{commitment.pk}-{n}",
                by=manager,
            )

    def _load_requirement(self, partnership: Partnership, row: tuple[Any, ...]) -> None:
        iso2, tag, title, domain, category, priority, target_on, status, score = row
        manager = self.users["manager"]
        requirement = requirement_create(
            by=manager,
            partnership=partnership,
            country=self.countries[iso2],
            locale=Locale.objects.get(tag=tag),
            title=title,
            service_domain=domain,
            category=category,
            priority=priority,
            target_on=target_on,
            owner=manager,
            acceptance_criteria="Evaluated by native speakers against the agreed test set "
            "(illustrative).",
            evaluation_score=score,
            evaluated_on=datetime.date(2026, 10, 1) if score is not None else None,
        )
        for step in _REQUIREMENT_PATH[status]:
            by = self.liaison(iso2) if step == RequirementStatus.LIVE else manager
            comment = "Out of scope for this phase" if step == RequirementStatus.REJECTED else ""
            requirement = requirement_transition(
                requirement=requirement, to_status=step, by=by, comment=comment
            )


def load_program() -> LoadReport:
    """Load users, reference data and every demo partnership not loaded yet."""
    report = LoadReport()
    loader = ProgramLoader()
    with transaction.atomic():
        loader.load_users()
        loader.load_reference()
    existing = set(Partnership.objects.values_list("code", flat=True))
    for spec in program.PARTNERSHIPS:
        if spec["code"] in existing:
            report.skipped.append(spec["code"])
            continue
        loader.load_partnership(spec)
        report.created.append(spec["code"])
    return report
