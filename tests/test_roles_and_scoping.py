"""Per-country roles granted through guardian groups, and restrict() as the one scoping point."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError

from financing.models import Commitment
from infrastructure.models import Site
from partnerships.models import CountryRoleGrant, Partnership, Role
from partnerships.services.partnerships import partnership_create
from partnerships.services.roles import country_grant_role, country_revoke_role
from tests import factories as f

pytestmark = pytest.mark.django_db


def fresh(user: Any) -> Any:
    return type(user).objects.get(pk=user.pk)


def test_grant_records_who_and_gives_object_permissions(admin_user: Any, ae: Any, no: Any) -> None:
    user = f.UserFactory.create()
    grant = country_grant_role(user=user, role=Role.LIAISON, country=ae, by=admin_user)
    assert (grant.granted_by, grant.is_active) == (admin_user, True)
    user = fresh(user)
    assert user.has_perm("partnerships.view_country_data", ae)
    assert user.has_perm("partnerships.confirm_country_figures", ae)
    assert not user.has_perm("partnerships.view_country_data", no)
    assert not user.has_perm("partnerships.change_country_data", ae)
    assert not user.has_perm("partnerships.view_country_data")  # not global
    assert user.groups.get().name == "AE:liaison"


def test_granting_twice_keeps_one_active_grant(admin_user: Any, ae: Any) -> None:
    user = f.UserFactory.create()
    first = country_grant_role(user=user, role=Role.ANALYST, country=ae, by=admin_user)
    assert country_grant_role(user=user, role=Role.ANALYST, country=ae, by=admin_user) == first
    assert CountryRoleGrant.objects.filter(user=user).count() == 1


def test_revoke_keeps_the_record_and_removes_access(admin_user: Any, ae: Any) -> None:
    user = f.UserFactory.create()
    country_grant_role(user=user, role=Role.LIAISON, country=ae, by=admin_user)
    grant = country_revoke_role(user=user, role=Role.LIAISON, country=ae, by=admin_user)
    assert grant.revoked_by == admin_user and grant.revoked_at is not None
    assert not fresh(user).has_perm("partnerships.view_country_data", ae)
    with pytest.raises(ValidationError, match="holds no active"):
        country_revoke_role(user=user, role=Role.LIAISON, country=ae, by=admin_user)
    # granted again later: a new row, the old one stays as history
    country_grant_role(user=user, role=Role.LIAISON, country=ae, by=admin_user)
    assert CountryRoleGrant.objects.filter(user=user).count() == 2


def test_global_roles_make_staff_and_revoking_removes_it(admin_user: Any) -> None:
    user = f.UserFactory.create()
    country_grant_role(user=user, role=Role.PROGRAM_MANAGER, by=admin_user)
    user = fresh(user)
    assert user.is_staff and user.has_perm("partnerships.view_country_data")
    assert user.has_perm("financing.change_commitment")
    country_revoke_role(user=user, role=Role.PROGRAM_MANAGER, by=admin_user)
    user = fresh(user)
    assert not user.is_staff and not user.has_perm("partnerships.view_country_data")


@pytest.mark.parametrize(
    ("role", "with_country", "message"),
    [
        (Role.LIAISON, False, "needs a country"),
        (Role.PROGRAM_MANAGER, True, "global role"),
        (Role.ADMINISTRATOR, True, "global role"),
        ("emperor", False, "Unknown role"),
    ],
)
def test_bad_grants_are_refused(
    admin_user: Any, ae: Any, role: str, with_country: bool, message: str
) -> None:
    user = f.UserFactory.create()
    with pytest.raises(ValidationError, match=message):
        country_grant_role(
            user=user, role=role, country=ae if with_country else None, by=admin_user
        )
    assert not CountryRoleGrant.objects.filter(user=user).exists()
    assert not user.groups.exists()


class TestRestrict:
    @pytest.fixture
    def world(self, manager: Any, ae: Any, no: Any) -> dict[str, Any]:
        from tests.factories import country

        se = country("SE")
        uae = partnership_create(code="AE-1", title="UAE", lead_country=ae, by=manager)
        nordic = partnership_create(
            code="NORDIC", title="Nordic", lead_country=no, countries=[se], by=manager
        )
        return {
            "uae": uae,
            "nordic": nordic,
            "se": se,
            "uae_site": f.SiteFactory.create(partnership=uae),
            "no_site": f.SiteFactory.create(partnership=nordic, country=no),
            "se_site": f.SiteFactory.create(partnership=nordic, country=se),
            "no_money": f.CommitmentFactory.create(partnership=nordic, country=no),
            "se_money": f.CommitmentFactory.create(partnership=nordic, country=se),
        }

    def test_manager_sees_everything(self, world: dict[str, Any], manager: Any) -> None:
        assert Partnership.objects.restrict(manager).count() == 2
        assert Site.objects.restrict(manager).count() == 3

    def test_liaison_sees_own_country_only(
        self, world: dict[str, Any], make_liaison: Any, ae: Any
    ) -> None:
        liaison = make_liaison(ae)
        assert list(Partnership.objects.restrict(liaison)) == [world["uae"]]
        assert list(Site.objects.restrict(liaison)) == [world["uae_site"]]
        assert not Commitment.objects.restrict(liaison).exists()

    def test_regional_partnership_shows_only_the_liaisons_rows(
        self, world: dict[str, Any], make_liaison: Any
    ) -> None:
        liaison = make_liaison(world["se"], "liaison-se")
        assert list(Partnership.objects.restrict(liaison)) == [world["nordic"]]
        assert list(Site.objects.restrict(liaison)) == [world["se_site"]]
        assert list(Commitment.objects.restrict(liaison)) == [world["se_money"]]

    def test_regional_partnership_listed_once_for_a_two_country_analyst(
        self, world: dict[str, Any], admin_user: Any, no: Any
    ) -> None:
        analyst = f.UserFactory.create()
        country_grant_role(user=analyst, role=Role.ANALYST, country=no, by=admin_user)
        country_grant_role(user=analyst, role=Role.ANALYST, country=world["se"], by=admin_user)
        analyst = fresh(analyst)
        assert list(Partnership.objects.restrict(analyst)) == [world["nordic"]]
        assert Partnership.objects.restrict(analyst).count() == 1

    def test_action_matters(self, world: dict[str, Any], make_liaison: Any, ae: Any) -> None:
        liaison = make_liaison(ae)
        assert not Partnership.objects.restrict(liaison, "change").exists()
        assert Partnership.objects.restrict(liaison, "confirm").exists()
        with pytest.raises(ValueError, match="Unknown scoping action"):
            Partnership.objects.restrict(liaison, "delete")

    def test_nobody_else_sees_anything(self, world: dict[str, Any]) -> None:
        assert not Partnership.objects.restrict(AnonymousUser()).exists()
        assert not Partnership.objects.restrict(f.UserFactory.create()).exists()
        inactive = f.UserFactory.create(is_active=False, is_superuser=True)
        assert not Site.objects.restrict(inactive).exists()

    def test_grants_resolved_once_per_user(
        self, world: dict[str, Any], make_liaison: Any, ae: Any, django_assert_max_num_queries: Any
    ) -> None:
        liaison = make_liaison(ae)
        list(Site.objects.restrict(liaison))
        with django_assert_max_num_queries(1):
            list(Site.objects.restrict(liaison))
            # the second model reuses the cached grants: one query for its rows only
        with django_assert_max_num_queries(1):
            list(Partnership.objects.restrict(liaison))


def test_administrators_manage_users_grants_and_reference_data_only(admin_user: Any) -> None:
    user = f.UserFactory.create()
    country_grant_role(user=user, role=Role.ADMINISTRATOR, by=admin_user)
    user = fresh(user)
    for perm in (
        "auth.add_user",
        "partnerships.add_countryrolegrant",
        "partnerships.change_organisation",
        "partnerships.add_region",
        "localization.add_locale",
        "financing.change_exchangerate",
    ):
        assert user.has_perm(perm), perm
    assert not user.has_perm("financing.change_commitment")
    assert not user.has_perm("partnerships.view_country_data")


def test_managers_do_not_grant_roles(manager: Any) -> None:
    assert manager.has_perm("partnerships.change_partnership")
    assert not manager.has_perm("partnerships.add_countryrolegrant")


def test_group_names_do_not_depend_on_the_language(admin_user: Any, ae: Any) -> None:
    from django.utils import translation

    user = f.UserFactory.create()
    with translation.override("fr"):
        country_grant_role(user=user, role=Role.LIAISON, country=ae, by=admin_user)
    with translation.override("ar"):
        country_revoke_role(user=user, role=Role.LIAISON, country=ae, by=admin_user)
    assert not fresh(user).groups.exists()


def test_a_model_permission_given_by_mistake_does_not_widen_scope(
    make_liaison: Any, ae: Any, no: Any
) -> None:
    from django.contrib.auth.models import Permission

    liaison = make_liaison(ae)
    group = liaison.groups.get()
    group.permissions.add(
        Permission.objects.get(codename="view_country_data"),
        Permission.objects.get(codename="view_partnership"),
    )
    f.PartnershipFactory.create(lead_country=no)
    mine = f.PartnershipFactory.create(lead_country=ae)
    assert list(Partnership.objects.restrict(fresh(liaison))) == [mine]


def test_an_inactive_superuser_sees_nothing(admin_user: Any) -> None:
    f.PartnershipFactory.create()
    admin_user.is_active = False
    admin_user.save()
    assert not Partnership.objects.restrict(fresh(admin_user)).exists()


@pytest.mark.parametrize("granted", [10, 100])
def test_restrict_costs_the_same_whatever_the_number_of_countries(
    admin_user: Any, granted: int, django_assert_num_queries: Any
) -> None:
    from partnerships.models import Country

    analyst = f.UserFactory.create()
    for country in Country.objects.order_by("code")[:granted]:
        country_grant_role(user=analyst, role=Role.ANALYST, country=country, by=admin_user)
        f.SiteFactory.create(partnership=f.PartnershipFactory.create(lead_country=country))
    analyst = fresh(analyst)
    # global roles, the granted countries, then the rows themselves
    with django_assert_num_queries(3):
        assert len(Site.objects.restrict(analyst)) == granted
    with django_assert_num_queries(1):
        assert len(Site.objects.restrict(analyst)) == granted
