"""``manage.py grant_role USER ROLE [COUNTRY] --by ADMIN``: give a role, recorded."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from partnerships.models import Country, Role
from partnerships.services.roles import country_grant_role, country_revoke_role


class Command(BaseCommand):
    help = (
        "Grant (or with --revoke, withdraw) a role: program_manager, administrator, analyst "
        "(all countries without COUNTRY) or liaison (needs COUNTRY, an ISO alpha-2 code). "
        "--by names the administrator the grant is recorded under."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("role", choices=Role.values)
        parser.add_argument("country", nargs="?", help="ISO 3166-1 alpha-2 code, e.g. AE")
        parser.add_argument("--by", required=True, help="Username of the administrator acting.")
        parser.add_argument("--revoke", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        users = get_user_model().objects
        user = users.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"No user named {options['username']!r}.")
        by = users.filter(username=options["by"], is_active=True).first()
        if by is None or not (by.is_superuser or by.has_perm("partnerships.add_countryrolegrant")):
            raise CommandError(f"{options['by']!r} is not an active administrator.")
        country = None
        if options["country"]:
            country = Country.objects.filter(code=options["country"].upper()).first()
            if country is None:
                raise CommandError(f"{options['country']!r} is not an ISO 3166-1 alpha-2 code.")
        action = country_revoke_role if options["revoke"] else country_grant_role
        try:
            grant = action(user=user, role=options["role"], country=country, by=by)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        verb = "Revoked" if options["revoke"] else "Granted"
        self.stdout.write(self.style.SUCCESS(f"{verb}: {grant}."))
