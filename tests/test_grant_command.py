from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from partnerships.models import AccessEvent, CountryRoleGrant
from tests import factories as f

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("grant_role", *args, stdout=out)
    return out.getvalue()


def test_grant_and_revoke_a_liaison(admin_user: Any, ae: Any) -> None:
    f.UserFactory.create(username="amira")
    assert "Granted" in run("amira", "liaison", "ae", "--by", admin_user.username)
    grant = CountryRoleGrant.objects.get(user__username="amira")
    assert (grant.country, grant.granted_by) == (ae, admin_user)
    assert "Revoked" in run("amira", "liaison", "AE", "--by", admin_user.username, "--revoke")
    assert AccessEvent.objects.filter(kind__in=["grant", "revoke"]).count() == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("ghost", "liaison", "AE"), "No user named 'ghost'"),
        (("amira", "liaison"), "needs a country"),
        (("amira", "liaison", "XX"), "not an ISO 3166-1 alpha-2 code"),
        (("amira", "program_manager", "AE"), "global role"),
    ],
)
def test_bad_input_gets_a_clear_message(
    admin_user: Any, args: tuple[str, ...], message: str
) -> None:
    f.UserFactory.create(username="amira")
    with pytest.raises(CommandError, match=message):
        run(*args, "--by", admin_user.username)
    assert not CountryRoleGrant.objects.filter(user__username="amira").exists()


def test_only_an_administrator_can_grant(make_liaison: Any, ae: Any) -> None:
    f.UserFactory.create(username="amira")
    liaison = make_liaison(ae)
    with pytest.raises(CommandError, match="not an active administrator"):
        run("amira", "liaison", "AE", "--by", liaison.username)
