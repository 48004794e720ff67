"""``manage.py request_report KIND [SCOPE] --by USER``: request a PDF report from the shell."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from partnerships.models import Country, Partnership, ReportKind
from partnerships.services.reports import report_run_request


class Command(BaseCommand):
    help = (
        "Request a report: `country AE`, `partnership AE-STARGATE` or `portfolio`, for the user "
        "named by --by (their access decides what they may request). The worker renders it; "
        "without a broker it renders right away."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=ReportKind.values)
        parser.add_argument("scope", nargs="?", help="ISO code (country) or partnership code")
        parser.add_argument("--by", required=True, help="Username the request is made for.")
        parser.add_argument("--as-of", type=datetime.date.fromisoformat, default=None)
        parser.add_argument("--language", default="en")

    def handle(self, *args: Any, **options: Any) -> None:
        user = get_user_model().objects.filter(username=options["by"], is_active=True).first()
        if user is None:
            raise CommandError(f"No active user named {options['by']!r}.")
        kind, scope = options["kind"], options["scope"] or ""
        country = partnership = None
        if kind == ReportKind.COUNTRY:
            country = Country.objects.filter(code=scope.upper()).first()
            if country is None:
                raise CommandError(f"{scope!r} is not an ISO 3166-1 alpha-2 code.")
        elif kind == ReportKind.PARTNERSHIP:
            partnership = Partnership.objects.filter(code=scope.upper()).first()
            if partnership is None:
                raise CommandError(f"No partnership with code {scope!r}.")
        try:
            with transaction.atomic():
                run, created = report_run_request(
                    kind=kind,
                    country=country,
                    partnership=partnership,
                    as_of=options["as_of"] or timezone.localdate(),
                    language=options["language"],
                    by=user,
                )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        run.refresh_from_db()
        verb = "Requested" if created else "Already requested"
        self.stdout.write(f"{verb}: report run {run.pk} ({run}) is {run.status}.")
