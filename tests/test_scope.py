"""Background work carries an explicit scope, re-checked when it runs."""

from __future__ import annotations

from typing import Any

import pytest

from openai_countries.scope import Scope, ScopeRevoked
from partnerships.models import Partnership, Role
from partnerships.services.roles import country_revoke_role
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_a_scope_is_a_user_or_the_system_never_neither() -> None:
    with pytest.raises(ValueError, match="not both, not none"):
        Scope()
    with pytest.raises(ValueError, match="not both, not none"):
        Scope(user_id=1, system_reason="x")
    assert Scope.from_payload(Scope.system("monthly reports").to_payload()).is_system


def test_a_user_scope_is_re_checked_when_the_work_runs(
    admin_user: Any, make_liaison: Any, ae: Any, no: Any
) -> None:
    f.PartnershipFactory.create(lead_country=no)
    own = f.PartnershipFactory.create(lead_country=ae)
    liaison = make_liaison(ae)
    scope = Scope.from_payload(Scope.for_user(liaison).to_payload())
    assert list(scope.restrict(Partnership.objects.all())) == [own]
    scope.require("view", ae)
    country_revoke_role(user=liaison, role=Role.LIAISON, country=ae, by=admin_user)
    with pytest.raises(ScopeRevoked, match="revoked"):
        scope.require("view", ae)
    assert not scope.restrict(Partnership.objects.all()).exists()
    type(liaison).objects.filter(pk=liaison.pk).update(is_active=False)
    with pytest.raises(ScopeRevoked, match="no longer active"):
        scope.restrict(Partnership.objects.all())


def test_the_system_scope_sees_everything_and_says_why() -> None:
    f.PartnershipFactory.create()
    scope = Scope.system("monthly country reports")
    assert scope.restrict(Partnership.objects.all()).count() == 1
    assert scope.system_reason == "monthly country reports"
