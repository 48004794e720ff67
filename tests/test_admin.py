"""The admin: every page renders, lists are query-bounded, writes go through the services."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from djmoney.money import Money

from financing.models import Commitment, CommitmentStatus, Disbursement, Instrument, Side
from financing.services import (
    commitment_commit,
    commitment_create,
    commitment_record_disbursement,
    exchange_rate_set,
)
from infrastructure.models import Permit, SecurityControl, Site, SitePhase, SiteStatusTransition
from localization.models import (
    Locale,
    LocalizationRequirement,
    RequirementCategory,
    RequirementStatus,
    ServiceDomain,
)
from localization.services import locale_get_or_create, requirement_create
from partnerships.models import (
    Agreement,
    AgreementStatus,
    AgreementType,
    Country,
    CountryRoleGrant,
    Milestone,
    Organisation,
    OrganisationKind,
    Participant,
    ParticipantRole,
    Partnership,
    Region,
    ReportKind,
    ReportRun,
    ReportSubscription,
    Risk,
    Role,
    SignOffSide,
    Stage,
    StageSignOff,
    StageTransition,
    UserPreference,
    Workstream,
)
from partnerships.services.partnerships import partnership_create
from partnerships.services.roles import country_grant_role

pytestmark = pytest.mark.django_db


def admin_url(model: type[Any], view: str, *args: Any) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def messages_of(response: Any) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def inline_management_data(response: Any) -> dict[str, Any]:
    """The management-form fields of every inline on a rendered change form, with no rows."""
    data: dict[str, Any] = {}
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        data.update(
            {
                f"{formset.prefix}-TOTAL_FORMS": "0",
                f"{formset.prefix}-INITIAL_FORMS": "0",
                f"{formset.prefix}-MIN_NUM_FORMS": "0",
                f"{formset.prefix}-MAX_NUM_FORMS": "1000",
            }
        )
    return data


@pytest.fixture
def su(django_user_model: Any) -> Any:
    return django_user_model.objects.create_superuser("su", "su@example.org", "not-used-1")


@pytest.fixture
def su_client(client: Client, su: Any) -> Client:
    client.force_login(su)
    return client


@pytest.fixture
def program(su: Any, django_user_model: Any) -> dict[str, Any]:
    """One row of every model in the four apps, made the way the program makes them."""
    ae, sa = Country.objects.get(code="AE"), Country.objects.get(code="SA")
    gulf = Region.objects.create(code="GULF", name="Gulf")
    Country.objects.filter(pk__in=[ae.pk, sa.pk]).update(region=gulf)
    government = Organisation.objects.create(
        name="UAE Ministry of AI", kind=OrganisationKind.GOVERNMENT, home_country=ae
    )
    sponsor = Organisation.objects.create(name="Program sponsor", kind=OrganisationKind.SPONSOR)
    from partnerships.services.tokens import api_token_create

    api_token_create(user=su, name="Reporting script")
    UserPreference.objects.create(user=su, language="fr")
    ReportSubscription.objects.create(user=su, kind="portfolio")
    partnership = partnership_create(
        code="AE-STARGATE",
        title="Stargate UAE (illustrative)",
        lead_country=ae,
        countries=[sa],
        by=su,
        owner=su,
        workstreams=[Workstream.CAPACITY, Workstream.CHATGPT],
    )
    Participant.objects.create(
        partnership=partnership, organisation=government, role=ParticipantRole.ACCOUNTABLE
    )
    Agreement.objects.create(
        partnership=partnership,
        title="Memorandum",
        agreement_type=AgreementType.MOU,
        status=AgreementStatus.SIGNED,
        signed_on=date(2025, 5, 22),
    )
    Milestone.objects.create(
        partnership=partnership,
        workstream=Workstream.CAPACITY,
        title="First 200 MW",
        due_on=date(2026, 12, 31),
    )
    Risk.objects.create(partnership=partnership, title="Grid delay", likelihood=3, impact=4)
    StageSignOff.objects.create(
        partnership=partnership, gate=Stage.SIGNED, side=SignOffSide.PROGRAM, signed_by=su
    )
    site = Site.objects.create(
        partnership=partnership, country=ae, name="Abu Dhabi campus", planned_capacity_mw=1000
    )
    SitePhase.objects.create(site=site, number=1, planned_mw=200)
    Permit.objects.create(site=site, permit_type="zoning", authority="Abu Dhabi municipality")
    SecurityControl.objects.create(site=site, control="physical")
    SiteStatusTransition.objects.create(site=site, from_status="", to_status="announced", by=su)
    firm = commitment_create(
        by=su,
        partnership=partnership,
        country=ae,
        funder=government,
        side=Side.GOVERNMENT,
        instrument=Instrument.GRANT,
        amount=Money(1_000_000, "USD"),
    )
    commitment_commit(commitment=firm, by=su)
    commitment_record_disbursement(
        commitment=firm, paid_on=date(2025, 6, 1), amount="1000", reference="D-1", by=su
    )
    pledge = commitment_create(
        by=su,
        partnership=partnership,
        country=ae,
        funder=sponsor,
        side=Side.COMPANY,
        instrument=Instrument.EQUITY,
        amount=Money(5_000_000, "USD"),
    )
    locale = locale_get_or_create(tag="ar-AE", by=su)
    locale.default_for.add(ae)
    requirement = requirement_create(
        by=su,
        partnership=partnership,
        country=ae,
        locale=locale,
        title="Arabic triage for primary care",
        service_domain=ServiceDomain.HEALTH,
        category=RequirementCategory.LANGUAGE,
    )
    exchange_rate_set(
        currency="AED", on=date(2025, 1, 2), rate_to_usd="0.2723", source="test", by=su
    )
    ReportRun.objects.create(
        kind=ReportKind.PORTFOLIO, as_of=date(2025, 6, 30), language="en", requested_by=su
    )
    liaison = django_user_model.objects.create_user("liaison-ae")
    grant = country_grant_role(user=liaison, role=Role.LIAISON, country=ae, by=su)
    return {
        "ae": ae,
        "sa": sa,
        "partnership": partnership,
        "site": site,
        "firm": firm,
        "pledge": pledge,
        "requirement": requirement,
        "liaison": liaison,
        "grant": grant,
        "government": government,
    }


DOMAIN_APPS = {"partnerships", "infrastructure", "financing", "localization"}


def test_every_concrete_domain_model_is_registered() -> None:
    from django.apps import apps

    missing = [
        model._meta.label
        for app in DOMAIN_APPS
        for model in apps.get_app_config(app).get_models()
        if not model.__name__.startswith("Historical") and model not in admin.site._registry
    ]
    assert missing == []


def test_changelist_and_add_pages_render(su_client: Client, program: dict[str, Any]) -> None:
    for model, model_admin in admin.site._registry.items():
        response = su_client.get(admin_url(model, "changelist"))
        assert response.status_code == 200, model._meta.label
        request = response.wsgi_request
        if model_admin.has_add_permission(request):
            response = su_client.get(admin_url(model, "add"))
            assert response.status_code == 200, model._meta.label


def test_change_and_history_pages_render(su_client: Client, program: dict[str, Any]) -> None:
    for model in admin.site._registry:
        if model._meta.app_label not in DOMAIN_APPS:
            continue
        obj = model._default_manager.first()
        assert obj is not None, f"the fixture makes no {model._meta.label}"
        response = su_client.get(admin_url(model, "change", obj.pk))
        assert response.status_code == 200, model._meta.label
        response = su_client.get(admin_url(model, "history", obj.pk))
        assert response.status_code == 200, model._meta.label


def test_every_autocomplete_answers(su_client: Client, program: dict[str, Any]) -> None:
    for model, model_admin in admin.site._registry.items():
        inlines = [inline(model, admin.site) for inline in model_admin.inlines]
        for owner in (model_admin, *inlines):
            for field_name in owner.autocomplete_fields:
                response = su_client.get(
                    reverse("admin:autocomplete"),
                    {
                        "app_label": owner.model._meta.app_label,
                        "model_name": owner.model._meta.model_name,
                        "field_name": field_name,
                        "term": "a",
                    },
                )
                assert response.status_code == 200, (owner.model._meta.label, field_name)


def test_changelist_search_and_filters_render(su_client: Client, program: dict[str, Any]) -> None:
    for model in (Partnership, Site, Commitment, LocalizationRequirement, CountryRoleGrant):
        response = su_client.get(admin_url(model, "changelist"), {"q": "a"})
        assert response.status_code == 200, model._meta.label
    response = su_client.get(admin_url(CountryRoleGrant, "changelist"), {"state": "active"})
    assert list(response.context["cl"].result_list) == [program["grant"]]


def test_partnership_changelist_queries_do_not_grow_with_rows(
    su: Any, su_client: Client, program: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    ae, sa = program["ae"], program["sa"]
    for n in range(12):
        partnership_create(
            code=f"GULF-{n}", title=f"Gulf {n}", lead_country=ae, countries=[sa], by=su, owner=su
        )
    url = admin_url(Partnership, "changelist")
    with django_assert_max_num_queries(8):
        response = su_client.get(url)
    assert response.status_code == 200
    assert response.context["cl"].result_count == 13


def test_lifecycle_fields_are_read_only(su_client: Client, program: dict[str, Any]) -> None:
    url = admin_url(Partnership, "change", program["partnership"].pk)
    form = su_client.get(url).context["adminform"].form
    assert "stage" not in form.fields
    assert "stage_before_hold" not in form.fields
    for model, obj, fields in (
        (Site, program["site"], {"status", "status_before_hold"}),
        (
            Commitment,
            program["firm"],
            {"status", "government_confirmed_by", "government_confirmed_at"},
        ),
        (
            LocalizationRequirement,
            program["requirement"],
            {"status", "signed_off_by", "signed_off_at", "live_on"},
        ),
    ):
        form = su_client.get(admin_url(model, "change", obj.pk)).context["adminform"].form
        assert not fields & set(form.fields), model._meta.label


def test_history_cannot_be_reverted(su_client: Client, program: dict[str, Any]) -> None:
    partnership = program["partnership"]
    version = partnership.history.earliest()
    url = reverse(
        "admin:partnerships_partnership_simple_history", args=(partnership.pk, version.pk)
    )
    assert su_client.get(url).status_code == 200
    assert su_client.post(url, {"title": "Reverted"}).status_code == 403


# Role grants


def test_granting_a_liaison_through_the_admin_uses_the_service(
    su: Any, su_client: Client, program: dict[str, Any], django_user_model: Any
) -> None:
    user = django_user_model.objects.create_user("new-liaison")
    ae = program["ae"]
    response = su_client.post(
        admin_url(CountryRoleGrant, "add"),
        {"user": user.pk, "role": Role.LIAISON, "country": ae.pk},
    )
    assert response.status_code == 302, response.context and response.context["errors"]
    grant = CountryRoleGrant.objects.get(user=user)
    assert grant.is_active
    assert grant.granted_by == su
    fresh = django_user_model.objects.get(pk=user.pk)
    assert fresh.has_perm("partnerships.view_country_data", ae)
    assert not fresh.has_perm("partnerships.view_country_data", program["sa"])


def test_a_liaison_grant_without_a_country_is_a_form_error(
    su_client: Client, django_user_model: Any
) -> None:
    user = django_user_model.objects.create_user("nowhere")
    response = su_client.post(
        admin_url(CountryRoleGrant, "add"), {"user": user.pk, "role": Role.LIAISON, "country": ""}
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert not CountryRoleGrant.objects.filter(user=user).exists()


def test_a_global_role_with_a_country_is_a_form_error(
    su_client: Client, program: dict[str, Any], django_user_model: Any
) -> None:
    user = django_user_model.objects.create_user("would-be-manager")
    response = su_client.post(
        admin_url(CountryRoleGrant, "add"),
        {"user": user.pk, "role": Role.PROGRAM_MANAGER, "country": program["ae"].pk},
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert not CountryRoleGrant.objects.filter(user=user).exists()


def test_granting_an_active_grant_again_is_a_form_error(
    su_client: Client, program: dict[str, Any]
) -> None:
    grant = program["grant"]
    response = su_client.post(
        admin_url(CountryRoleGrant, "add"),
        {"user": grant.user.pk, "role": grant.role, "country": grant.country.pk},
    )
    assert response.status_code == 200
    assert "already holds" in str(response.context["adminform"].form.errors)
    assert CountryRoleGrant.objects.filter(user=grant.user).count() == 1


def test_grants_are_not_edited_or_deleted(su_client: Client, program: dict[str, Any]) -> None:
    url = admin_url(CountryRoleGrant, "change", program["grant"].pk)
    response = su_client.get(url)
    assert response.status_code == 200
    assert response.context["has_change_permission"] is False
    assert (
        su_client.get(admin_url(CountryRoleGrant, "delete", program["grant"].pk)).status_code == 403
    )


def test_the_revoke_action_revokes(
    su: Any, su_client: Client, program: dict[str, Any], django_user_model: Any
) -> None:
    grant, liaison = program["grant"], program["liaison"]
    response = su_client.post(
        admin_url(CountryRoleGrant, "changelist"),
        {"action": "revoke", "_selected_action": [grant.pk]},
    )
    assert response.status_code == 302
    grant.refresh_from_db()
    assert grant.revoked_at is not None
    assert grant.revoked_by == su
    fresh = django_user_model.objects.get(pk=liaison.pk)
    assert not fresh.has_perm("partnerships.view_country_data", program["ae"])

    # Revoking it again is refused by the service and reported by name.
    response = su_client.post(
        admin_url(CountryRoleGrant, "changelist"),
        {"action": "revoke", "_selected_action": [grant.pk]},
    )
    assert any(str(grant) in message for message in messages_of(response))


# Partnerships


def test_adding_a_partnership_goes_through_the_service(
    su: Any, su_client: Client, program: dict[str, Any]
) -> None:
    url = admin_url(Partnership, "add")
    data = inline_management_data(su_client.get(url))
    ae, sa = program["ae"], program["sa"]
    data.update(
        {
            "code": "GULF-AI",
            "title": "Gulf AI corridor",
            "lead_country": ae.pk,
            "wave": "phase_one",
            "workstreams": [Workstream.CAPACITY, Workstream.SECURITY],
            "provenance": "illustrative",
            "planned_investment_0": "",
            "planned_investment_1": "USD",
            # The lead country listed again, and one more: the lead is joined once.
            "participations-TOTAL_FORMS": "2",
            "participations-0-country": ae.pk,
            "participations-0-joined_on": "2025-05-01",
            "participations-1-country": sa.pk,
            "participations-1-joined_on": "2025-06-01",
        }
    )
    response = su_client.post(url, data)
    assert response.status_code == 302, response.context and response.context["errors"]
    partnership = Partnership.objects.get(code="GULF-AI")
    assert partnership.stage == Stage.PROSPECT
    assert partnership.workstreams == [Workstream.CAPACITY, Workstream.SECURITY]
    assert set(partnership.countries.all()) == {ae, sa}
    assert partnership.participations.get(country=sa).joined_on == date(2025, 6, 1)
    assert StageTransition.objects.filter(
        partnership=partnership, to_status=Stage.PROSPECT
    ).exists()
    assert partnership.history.earliest().history_user == su


def test_editing_a_partnership_leaves_its_stage_alone(
    su: Any, su_client: Client, program: dict[str, Any]
) -> None:
    partnership = program["partnership"]
    url = admin_url(Partnership, "change", partnership.pk)
    data = inline_management_data(su_client.get(url))
    data.update(
        {
            "code": partnership.code,
            "title": "Stargate UAE, renamed",
            "lead_country": program["ae"].pk,
            "wave": partnership.wave,
            "owner": su.pk,
            "workstreams": partnership.workstreams,
            "provenance": partnership.provenance,
            "planned_investment_0": "",
            "planned_investment_1": "USD",
            "stage": Stage.OPERATIONAL,  # not a field of the form: ignored
        }
    )
    response = su_client.post(url, data)
    assert response.status_code == 302, response.context and response.context["errors"]
    partnership.refresh_from_db()
    assert partnership.title == "Stargate UAE, renamed"
    assert partnership.stage == Stage.PROSPECT
    latest = partnership.history.latest()
    assert (latest.history_user, latest.title) == (su, "Stargate UAE, renamed")


def test_a_lead_country_that_does_not_take_part_is_refused(
    su_client: Client, program: dict[str, Any]
) -> None:
    partnership = program["partnership"]
    url = admin_url(Partnership, "change", partnership.pk)
    data = inline_management_data(su_client.get(url))
    data.update(
        {
            "code": partnership.code,
            "title": partnership.title,
            "lead_country": Country.objects.get(code="NO").pk,
            "wave": partnership.wave,
            "provenance": partnership.provenance,
            "planned_investment_0": "",
            "planned_investment_1": "USD",
        }
    )
    response = su_client.post(url, data, follow=True)
    assert response.status_code == 200
    assert any("lead country must take part" in m for m in messages_of(response))
    partnership.refresh_from_db()
    assert partnership.lead_country == program["ae"]


def test_the_advance_action_reports_unmet_guards(
    su_client: Client, program: dict[str, Any]
) -> None:
    partnership = program["partnership"]
    changelist = admin_url(Partnership, "changelist")
    for _ in range(2):  # prospect -> scoping -> negotiating: no guards
        su_client.post(
            changelist, {"action": "advance_stage", "_selected_action": [partnership.pk]}
        )
    partnership.refresh_from_db()
    assert partnership.stage == Stage.NEGOTIATING
    response = su_client.post(
        changelist, {"action": "advance_stage", "_selected_action": [partnership.pk]}
    )
    partnership.refresh_from_db()
    assert partnership.stage == Stage.NEGOTIATING
    assert any("government-side sign-off" in m for m in messages_of(response))


# Financing


def test_the_commit_action_commits_pledges_and_names_refusals(
    su_client: Client, program: dict[str, Any]
) -> None:
    pledge, firm = program["pledge"], program["firm"]
    response = su_client.post(
        admin_url(Commitment, "changelist"),
        {"action": "commit", "_selected_action": [pledge.pk, firm.pk]},
    )
    assert response.status_code == 302
    pledge.refresh_from_db()
    assert pledge.status == CommitmentStatus.COMMITTED
    assert pledge.status_transitions.filter(to_status=CommitmentStatus.COMMITTED).exists()
    texts = messages_of(response)
    assert any(str(firm) in m and "Only a pledged commitment" in m for m in texts)
    assert any(m.startswith("Committed:") and str(pledge) in m for m in texts)


def test_recording_a_disbursement_goes_through_the_ledger(
    su_client: Client, program: dict[str, Any]
) -> None:
    firm = program["firm"]
    url = admin_url(Disbursement, "add")
    too_much = {
        "commitment": firm.pk,
        "paid_on": "2025-07-01",
        "amount": "2000000",
        "reference": "D-2",
    }
    response = su_client.post(url, too_much)
    assert response.status_code == 200
    assert "would exceed" in str(response.context["adminform"].form.errors)
    assert not Disbursement.objects.filter(reference="D-2").exists()

    response = su_client.post(url, {**too_much, "amount": "999000"})
    assert response.status_code == 302
    firm.refresh_from_db()
    assert firm.status == CommitmentStatus.FULLY_DISBURSED
    assert firm.disbursed == firm.amount.amount


def test_editing_government_figures_withdraws_their_confirmation(
    su: Any, su_client: Client, program: dict[str, Any]
) -> None:
    firm = program["firm"]
    firm.refresh_from_db()
    Commitment.objects.filter(pk=firm.pk).update(
        government_confirmed_by=program["liaison"], government_confirmed_at=firm.created_at
    )
    url = admin_url(Commitment, "change", firm.pk)
    response = su_client.get(url)
    data = inline_management_data(response)
    data.update(
        {
            "partnership": firm.partnership_id,
            "country": firm.country_id,
            "funder": firm.funder_id,
            "side": firm.side,
            "instrument": "loan",  # was equity: a government figure changes
            "amount_0": "1000000",
            "amount_1": "USD",
            "committed_on": firm.committed_on.isoformat() if firm.committed_on else "",
            "provenance": firm.provenance,
        }
    )
    response = su_client.post(url, data)
    assert response.status_code == 302, response.context and response.context["errors"]
    firm.refresh_from_db()
    assert firm.instrument == "loan"
    assert firm.government_confirmed_at is None
    assert firm.status == CommitmentStatus.DISBURSING


def test_a_refused_commitment_edit_is_a_form_error(
    su_client: Client, program: dict[str, Any]
) -> None:
    firm = program["firm"]
    url = admin_url(Commitment, "change", firm.pk)
    data = inline_management_data(su_client.get(url))
    data.update(
        {
            "partnership": firm.partnership_id,
            "country": firm.country_id,
            "funder": firm.funder_id,
            "side": firm.side,
            "instrument": firm.instrument,
            "amount_0": "500",  # a firm amount changes only through a reduction
            "amount_1": "USD",
            "provenance": firm.provenance,
        }
    )
    response = su_client.post(url, data)
    assert response.status_code == 200
    assert "only through a reduction" in str(response.context["adminform"].form.errors)
    firm.refresh_from_db()
    assert firm.amount == Money(1_000_000, "USD")


# Localization


def test_requirement_actions_move_through_the_review_flow(
    su_client: Client, program: dict[str, Any]
) -> None:
    requirement = program["requirement"]
    changelist = admin_url(LocalizationRequirement, "changelist")
    su_client.post(changelist, {"action": "accept", "_selected_action": [requirement.pk]})
    su_client.post(changelist, {"action": "start", "_selected_action": [requirement.pk]})
    su_client.post(
        changelist, {"action": "submit_for_review", "_selected_action": [requirement.pk]}
    )
    requirement.refresh_from_db()
    assert requirement.status == RequirementStatus.IN_REVIEW
    assert requirement.status_transitions.count() == 4

    response = su_client.post(
        changelist, {"action": "accept", "_selected_action": [requirement.pk]}
    )
    requirement.refresh_from_db()
    assert requirement.status == RequirementStatus.IN_REVIEW
    assert any(str(requirement) in m and "cannot go from" in m for m in messages_of(response))


def test_a_locale_is_added_by_its_tag(su_client: Client, program: dict[str, Any]) -> None:
    url = admin_url(Locale, "add")
    response = su_client.post(url, {"tag": "xx-unknown"})
    assert response.status_code == 200
    assert "tag" in response.context["adminform"].form.errors

    response = su_client.post(url, {"tag": "ar_SA", "default_for": [program["sa"].pk]})
    assert response.status_code == 302
    locale = Locale.objects.get(tag="ar-SA")
    assert (locale.script, locale.direction) == ("Arab", "rtl")
    assert list(locale.default_for.all()) == [program["sa"]]


# Scope


def test_a_staff_user_sees_only_the_countries_granted(
    su: Any, client: Client, program: dict[str, Any], django_user_model: Any
) -> None:
    from django.contrib.auth.models import Permission

    other = partnership_create(
        code="NO-AI",
        title="Norway (illustrative)",
        lead_country=Country.objects.get(code="NO"),
        by=su,
    )
    user = django_user_model.objects.create_user("staff-liaison", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_partnership"))
    country_grant_role(user=user, role=Role.LIAISON, country=program["ae"], by=su)
    client.force_login(user)
    response = client.get(admin_url(Partnership, "changelist"))
    assert list(response.context["cl"].result_list) == [program["partnership"]]
    assert client.get(admin_url(Partnership, "change", other.pk)).status_code == 302
    assert (
        client.get(admin_url(Partnership, "history", program["partnership"].pk)).status_code == 200
    )
    assert client.get(admin_url(Partnership, "history", other.pk)).status_code == 404
    version = other.history.earliest()
    url = reverse("admin:partnerships_partnership_simple_history", args=(other.pk, version.pk))
    assert client.get(url).status_code == 404
