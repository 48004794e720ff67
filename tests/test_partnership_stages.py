"""The partnership stage lifecycle: every guard met and unmet, sign-off rules, hold/resume/cancel,
and the record each move leaves (transition row and change history)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from djmoney.money import Money

from financing.services import commitment_commit
from infrastructure.models import SiteStatus
from localization.models import RequirementStatus
from partnerships.models import Partnership, Stage, StageSignOff, StageTransition
from partnerships.services.partnerships import partnership_create, partnership_update
from partnerships.services.stages import (
    partnership_advance_stage,
    partnership_cancel,
    partnership_hold,
    partnership_resume,
    partnership_sign_off,
    partnership_stage_guards,
)
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def partnership(manager: Any, ae: Any) -> Partnership:
    return partnership_create(code="AE-TEST", title="UAE test", lead_country=ae, by=manager)


def at(partnership: Partnership, stage: str) -> Partnership:
    Partnership.objects.filter(pk=partnership.pk).update(stage=stage)
    partnership.refresh_from_db()
    return partnership


def refused(call: Any, **kwargs: Any) -> ValidationError:
    with pytest.raises(ValidationError) as error:
        call(**kwargs)
    return error.value


def test_create_records_the_opening_transition_and_history(
    partnership: Partnership, manager: Any
) -> None:
    transition = partnership.stage_transitions.get()
    assert (transition.from_status, transition.to_status, transition.by) == (
        "",
        "prospect",
        manager,
    )
    assert list(partnership.countries.values_list("code", flat=True)) == ["AE"]
    record = partnership.history.get()
    assert record.history_user == manager
    assert record.history_change_reason == "Created"


def test_moves_one_step_at_a_time(partnership: Partnership, manager: Any) -> None:
    partnership_advance_stage(
        partnership=partnership, to_stage="scoping", by=manager, reason="Kick-off"
    )
    error = refused(
        partnership_advance_stage, partnership=partnership, to_stage="signed", by=manager
    )
    assert "the next step is Negotiating" in error.messages[0]
    partnership.refresh_from_db()
    assert partnership.stage == "scoping"


def test_every_move_is_recorded_with_who_when_why(partnership: Partnership, manager: Any) -> None:
    partnership_advance_stage(
        partnership=partnership, to_stage="scoping", by=manager, reason="Kick-off"
    )
    transition = partnership.stage_transitions.last()
    assert transition is not None
    assert (transition.from_status, transition.to_status) == ("prospect", "scoping")
    assert transition.by == manager and transition.reason == "Kick-off"
    assert transition.at is not None
    latest = partnership.history.first()
    assert latest.stage == "scoping" and latest.history_change_reason == "Kick-off"
    assert latest.history_user == manager


def test_stage_cannot_be_edited_directly(partnership: Partnership, manager: Any) -> None:
    error = refused(partnership_update, partnership=partnership, by=manager, stage="operational")
    assert "stage" in error.message_dict


class TestSignedGate:
    def test_all_three_guards_named_when_nothing_is_done(
        self, partnership: Partnership, manager: Any
    ) -> None:
        at(partnership, Stage.NEGOTIATING)
        error = refused(
            partnership_advance_stage, partnership=partnership, to_stage="signed", by=manager
        )
        message = error.messages[0]
        assert "signed MoU or definitive agreement" in message
        assert "program-side sign-off" in message
        assert "government-side sign-off" in message
        assert (error.params or {})["guards"] == [
            "binding_agreement_signed",
            "program_sign_off",
            "government_sign_off",
        ]
        assert partnership.stage_transitions.count() == 1  # only the opening one

    def test_a_letter_of_intent_is_not_enough(self, partnership: Partnership) -> None:
        at(partnership, Stage.NEGOTIATING)
        f.AgreementFactory.create(
            partnership=partnership,
            agreement_type="loi",
            status="signed",
            signed_on=datetime.date(2025, 1, 1),
        )
        f.AgreementFactory.create(
            partnership=partnership, agreement_type="mou", status="negotiating"
        )
        guards = {g.code: g for g in partnership_stage_guards(partnership, "signed")}
        assert not guards["binding_agreement_signed"].met

    def test_passes_with_agreement_and_both_sign_offs(
        self, partnership: Partnership, manager: Any, make_liaison: Any, ae: Any
    ) -> None:
        at(partnership, Stage.NEGOTIATING)
        f.AgreementFactory.create(
            partnership=partnership,
            agreement_type="definitive",
            status="signed",
            signed_on=datetime.date(2025, 5, 1),
        )
        partnership_sign_off(partnership=partnership, gate="signed", side="program", by=manager)
        error = refused(
            partnership_advance_stage, partnership=partnership, to_stage="signed", by=manager
        )
        assert "government-side sign-off" in error.messages[0]
        assert "program-side" not in error.messages[0]
        liaison = make_liaison(ae)
        sign_off = partnership_sign_off(
            partnership=partnership,
            gate="signed",
            side="government",
            by=liaison,
            comment="Cabinet approved",
        )
        assert sign_off.country == ae
        moved = partnership_advance_stage(partnership=partnership, to_stage="signed", by=manager)
        assert moved.stage == "signed"

    def test_program_side_needs_a_program_manager(
        self, partnership: Partnership, make_liaison: Any, ae: Any
    ) -> None:
        at(partnership, Stage.NEGOTIATING)
        liaison = make_liaison(ae)
        error = refused(
            partnership_sign_off, partnership=partnership, gate="signed", side="program", by=liaison
        )
        assert "Only a program manager" in error.messages[0]
        assert not StageSignOff.objects.exists()

    def test_government_side_needs_a_liaison_of_a_participating_country(
        self, partnership: Partnership, manager: Any, make_liaison: Any, no: Any
    ) -> None:
        at(partnership, Stage.NEGOTIATING)
        for outsider in (manager, make_liaison(no)):
            error = refused(
                partnership_sign_off,
                partnership=partnership,
                gate="signed",
                side="government",
                by=outsider,
            )
            assert "liaison of a participating government" in error.messages[0]
        assert not StageSignOff.objects.exists()

    def test_regional_partnership_accepts_any_participating_liaison(
        self, manager: Any, make_liaison: Any, ae: Any, no: Any
    ) -> None:
        regional = partnership_create(
            code="REG-1", title="Regional", lead_country=ae, countries=[no], by=manager
        )
        at(regional, Stage.NEGOTIATING)
        sign_off = partnership_sign_off(
            partnership=regional, gate="signed", side="government", by=make_liaison(no)
        )
        assert sign_off.country == no

    def test_one_person_cannot_sign_both_sides(
        self, partnership: Partnership, admin_user: Any, ae: Any
    ) -> None:
        from partnerships.services.roles import country_grant_role

        at(partnership, Stage.NEGOTIATING)
        country_grant_role(user=admin_user, role="program_manager", by=admin_user)
        country_grant_role(user=admin_user, role="liaison", country=ae, by=admin_user)
        both = type(admin_user).objects.get(pk=admin_user.pk)
        partnership_sign_off(partnership=partnership, gate="signed", side="program", by=both)
        error = refused(
            partnership_sign_off, partnership=partnership, gate="signed", side="government", by=both
        )
        assert "each side needs its own approver" in error.messages[0]

    def test_signing_twice_is_refused(self, partnership: Partnership, manager: Any) -> None:
        at(partnership, Stage.NEGOTIATING)
        partnership_sign_off(partnership=partnership, gate="signed", side="program", by=manager)
        error = refused(
            partnership_sign_off, partnership=partnership, gate="signed", side="program", by=manager
        )
        assert "already signed off" in error.messages[0]

    def test_gate_already_passed_is_closed(self, partnership: Partnership, manager: Any) -> None:
        at(partnership, Stage.IMPLEMENTING)
        error = refused(
            partnership_sign_off, partnership=partnership, gate="signed", side="program", by=manager
        )
        assert "not open for sign-off" in error.messages[0]


class TestImplementingGate:
    def test_needs_firm_money_from_both_sides(self, partnership: Partnership, manager: Any) -> None:
        at(partnership, Stage.SIGNED)
        company = f.CommitmentFactory.create(partnership=partnership, side="company")
        error = refused(
            partnership_advance_stage, partnership=partnership, to_stage="implementing", by=manager
        )
        assert "company-side commitment" in error.messages[0]
        assert "government-side commitment" in error.messages[0]
        commitment_commit(commitment=company, by=manager)
        error = refused(
            partnership_advance_stage, partnership=partnership, to_stage="implementing", by=manager
        )
        assert "company-side" not in error.messages[0]
        assert "no government commitment is committed" in error.messages[0]

    def test_a_pledge_or_cancelled_money_does_not_count(
        self, partnership: Partnership, manager: Any
    ) -> None:
        at(partnership, Stage.SIGNED)
        f.CommitmentFactory.create(partnership=partnership, side="company", status="committed")
        f.CommitmentFactory.create(partnership=partnership, side="government", status="pledged")
        f.CommitmentFactory.create(partnership=partnership, side="government", status="cancelled")
        with pytest.raises(ValidationError):
            partnership_advance_stage(partnership=partnership, to_stage="implementing", by=manager)

    def test_passes_with_both_sides_committed(self, partnership: Partnership, manager: Any) -> None:
        at(partnership, Stage.SIGNED)
        f.CommitmentFactory.create(partnership=partnership, side="company", status="committed")
        f.CommitmentFactory.create(
            partnership=partnership,
            side="government",
            status="disbursing",
            amount=Money("10", "AED"),
            disbursed=Decimal("1"),
        )
        assert (
            partnership_advance_stage(
                partnership=partnership, to_stage="implementing", by=manager
            ).stage
            == "implementing"
        )


class TestOperationalGate:
    def test_needs_an_operational_site_and_a_live_requirement(
        self, partnership: Partnership, manager: Any
    ) -> None:
        at(partnership, Stage.IMPLEMENTING)
        f.SiteFactory.create(partnership=partnership, status=SiteStatus.CONSTRUCTION)
        error = refused(
            partnership_advance_stage, partnership=partnership, to_stage="operational", by=manager
        )
        assert "an operational site" in error.messages[0]
        assert "a live localization requirement" in error.messages[0]

    def test_passes_with_both(self, partnership: Partnership, manager: Any) -> None:
        at(partnership, Stage.IMPLEMENTING)
        f.SiteFactory.create(partnership=partnership, status=SiteStatus.OPERATIONAL)
        f.RequirementFactory.create(
            partnership=partnership,
            status=RequirementStatus.LIVE,
            signed_off_by=manager,
            signed_off_at=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC),
            live_on=datetime.date(2026, 1, 1),
        )
        assert (
            partnership_advance_stage(
                partnership=partnership, to_stage="operational", by=manager
            ).stage
            == "operational"
        )


class TestHoldResumeCancel:
    def test_hold_needs_a_reason_and_resume_returns_to_the_stage_left(
        self, partnership: Partnership, manager: Any
    ) -> None:
        at(partnership, Stage.NEGOTIATING)
        error = refused(partnership_hold, partnership=partnership, by=manager, reason=" ")
        assert "needs a reason" in error.messages[0]
        held = partnership_hold(partnership=partnership, by=manager, reason="Elections")
        assert (held.stage, held.stage_before_hold) == ("on_hold", "negotiating")
        error = refused(partnership_advance_stage, partnership=held, to_stage="signed", by=manager)
        assert "on hold" in error.messages[0]
        resumed = partnership_resume(partnership=held, by=manager, reason="New government")
        assert (resumed.stage, resumed.stage_before_hold) == ("negotiating", "")
        moves = list(
            StageTransition.objects.filter(partnership=partnership).values_list(
                "from_status", "to_status", "reason"
            )
        )
        assert moves[-2:] == [
            ("negotiating", "on_hold", "Elections"),
            ("on_hold", "negotiating", "New government"),
        ]

    def test_resume_needs_a_hold(self, partnership: Partnership, manager: Any) -> None:
        error = refused(partnership_resume, partnership=partnership, by=manager)
        assert "not on hold" in error.messages[0]

    def test_cancel_is_terminal_and_needs_a_reason(
        self, partnership: Partnership, manager: Any
    ) -> None:
        error = refused(partnership_cancel, partnership=partnership, by=manager, reason="")
        assert "needs a reason" in error.messages[0]
        partnership_cancel(partnership=partnership, by=manager, reason="Withdrawn")
        for call, kwargs in (
            (partnership_advance_stage, {"to_stage": "scoping"}),
            (partnership_hold, {"reason": "x"}),
            (partnership_cancel, {"reason": "again"}),
        ):
            with pytest.raises(ValidationError):
                call(partnership=partnership, by=manager, **kwargs)
        partnership.refresh_from_db()
        assert partnership.stage == "cancelled"

    def test_a_held_partnership_can_be_cancelled(
        self, partnership: Partnership, manager: Any
    ) -> None:
        partnership_hold(partnership=partnership, by=manager, reason="Paused")
        cancelled = partnership_cancel(partnership=partnership, by=manager, reason="Abandoned")
        assert (cancelled.stage, cancelled.stage_before_hold) == ("cancelled", "")
