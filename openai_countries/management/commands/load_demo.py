"""``manage.py load_demo``: the illustrative program, or ``--scale N`` benchmark data."""

from __future__ import annotations

import time
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from financing.models import ExchangeRate
from financing.rollups import refresh
from openai_countries.demo import program
from openai_countries.demo.loader import demo_partnership_codes, demo_usernames, load_program
from openai_countries.demo.scale import SCALE_ORGANISATION_SUFFIX, SCALE_PREFIX, generate
from partnerships.models import Country, Organisation, Partnership
from partnerships.rollups import refresh_figures, refresh_signals


class Command(BaseCommand):
    help = (
        "Load the illustrative first-phase program (10 partnerships, demo users). Idempotent. "
        "With --scale N, also generate N countries' worth of benchmark data from --seed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--scale",
            type=int,
            default=0,
            metavar="N",
            help="Generate N countries' worth of benchmark data (partnership codes SC-<ISO>).",
        )
        parser.add_argument(
            "--seed", type=int, default=2025, help="Seed of --scale (default 2025)."
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Load even though the database holds data that is not demo data.",
        )

    def handle(self, *args: Any, scale: int, seed: int, force: bool, **options: Any) -> None:
        # Demo data is written by the system on the demo users' behalf: an explicit, labelled
        # scope, never an anonymous unrestricted one.
        if not 0 <= scale <= Country.objects.count():
            raise CommandError(
                f"--scale must be between 0 and {Country.objects.count()} (the ISO countries)."
            )
        foreign = self._non_demo_data()
        if foreign and not force:
            raise CommandError(
                "This database holds data that is not demo data "
                f"({foreign}). Refusing to mix demo data into it; pass --force to load anyway."
            )
        started = time.monotonic()
        report = load_program()
        if report.created:
            self.stdout.write(f"Loaded partnerships: {', '.join(report.created)}.")
        if report.skipped and not report.created:
            self.stdout.write("Demo program already loaded; nothing to change.")
        if scale:
            counts = generate(countries=scale, seed=seed)
            self.stdout.write(
                f"Scale data (seed {seed}): {counts.countries} new countries, "
                f"{counts.partnerships} partnerships, {counts.sites} sites, {counts.phases} "
                f"phases, {counts.commitments} commitments, {counts.disbursements} "
                f"disbursements, {counts.requirements} requirements, {counts.milestones} "
                f"milestones, {counts.risks} risks."
            )
        # The kept figures computed now, as the nightly tasks would, not by the first dashboard.
        today = timezone.localdate()
        converted = refresh(today)
        refresh_figures()
        refresh_signals(today)
        self.stdout.write(f"Co-financing figures converted for {converted} countries.")
        self.stdout.write(
            self.style.SUCCESS(f"Done in {time.monotonic() - started:.1f} s.")
            + f"\nDemo users (password: {program.DEMO_PASSWORD}): admin (administrator), "
            "manager (program manager), analyst (all countries), and liaison-<iso2> for each "
            "partnership country, e.g. liaison-ae."
        )

    @staticmethod
    def _non_demo_data() -> str:
        """What in this database was not made by this command, if anything."""
        codes = set(
            Partnership.objects.exclude(code__startswith=SCALE_PREFIX).values_list(
                "code", flat=True
            )
        )
        foreign_codes = sorted(codes - demo_partnership_codes())
        if foreign_codes:
            return f"partnerships {', '.join(foreign_codes[:5])}"
        users = get_user_model().objects
        others = users.exclude(username__in=demo_usernames())
        if others.exists():
            return f"{others.count()} user(s) such as {others.first()}"
        impostors = [
            u.username
            for u in users.filter(username__in=demo_usernames())
            if not u.check_password(program.DEMO_PASSWORD)
        ]
        if impostors:
            return f"user(s) {', '.join(sorted(impostors)[:5])} without the demo password"
        demo_organisations = {name for name, _kind, _home in program.ORGANISATIONS}
        organisations = Organisation.objects.exclude(name__in=demo_organisations).exclude(
            name__endswith=SCALE_ORGANISATION_SUFFIX
        )
        if organisations.exists():
            return f"organisation {organisations.first()}"
        rates = ExchangeRate.objects.exclude(source=program.RATE_SOURCE)
        if rates.exists():
            return f"exchange rate {rates.first()}"
        return ""
