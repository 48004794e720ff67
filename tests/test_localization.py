"""Locales come from CLDR (Babel); requirements follow their review flow, live needs the liaison."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from localization.models import LocalizationRequirement
from localization.services import (
    locale_get_or_create,
    locale_parse,
    requirement_create,
    requirement_sign_off,
    requirement_transition,
)
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("tag", "name", "script", "direction"),
    [
        ("ar-AE", "Arabic (United Arab Emirates)", "Arab", "rtl"),
        ("ur_IN", "Urdu (India)", "Arab", "rtl"),
        ("nb-NO", "Norwegian Bokmål (Norway)", "Latn", "ltr"),
        ("zh-Hant-TW", "Chinese (Traditional, Taiwan)", "Hant", "ltr"),
        ("sw", "Swahili", "Latn", "ltr"),
    ],
)
def test_locale_facts_come_from_cldr(tag: str, name: str, script: str, direction: str) -> None:
    data = locale_parse(tag)
    assert (data["name"], data["script"], data["direction"]) == (name, script, direction)


@pytest.mark.parametrize("tag", ["xx-YY", "not a tag", ""])
def test_unknown_tags_are_refused(tag: str) -> None:
    with pytest.raises(ValidationError) as error:
        locale_get_or_create(tag=tag)
    assert "not a known BCP 47 language tag" in error.value.message_dict["tag"][0]


def test_locale_is_created_once() -> None:
    assert locale_get_or_create(tag="ar-MA") == locale_get_or_create(tag="ar_MA")


@pytest.fixture
def requirement(manager: Any) -> LocalizationRequirement:
    partnership = f.PartnershipFactory.create()
    return requirement_create(
        by=manager,
        partnership=partnership,
        country=partnership.lead_country,
        locale=locale_get_or_create(tag="ar-AE"),
        title="Arabic triage",
        service_domain="health",
        category="language",
    )


def walk(requirement: LocalizationRequirement, by: Any, *steps: str) -> LocalizationRequirement:
    for step in steps:
        requirement = requirement_transition(requirement=requirement, to_status=step, by=by)
    return requirement


def test_review_flow_to_live_with_liaison_sign_off(
    requirement: LocalizationRequirement, manager: Any, make_liaison: Any, ae: Any
) -> None:
    in_review = walk(requirement, manager, "accepted", "in_progress", "in_review")
    with pytest.raises(ValidationError, match="sign-off of a liaison of United Arab Emirates"):
        requirement_sign_off(requirement=in_review, by=manager)
    liaison = make_liaison(ae)
    live = requirement_sign_off(requirement=in_review, by=liaison, comment="Tested with clinicians")
    assert live.status == "live"
    assert live.signed_off_by == liaison and live.live_on is not None
    moves = list(live.status_transitions.values_list("from_status", "to_status", "by__username"))
    assert moves[-1] == ("in_review", "live", liaison.username)
    assert live.history.first().history_change_reason == "Tested with clinicians"


def test_liaison_of_another_country_cannot_sign_off(
    requirement: LocalizationRequirement, manager: Any, make_liaison: Any, no: Any
) -> None:
    in_review = walk(requirement, manager, "accepted", "in_progress", "in_review")
    with pytest.raises(ValidationError, match="liaison of United Arab Emirates"):
        requirement_sign_off(requirement=in_review, by=make_liaison(no))
    in_review.refresh_from_db()
    assert in_review.status == "in_review"


def test_sending_back_needs_a_comment(requirement: LocalizationRequirement, manager: Any) -> None:
    in_review = walk(requirement, manager, "accepted", "in_progress", "in_review")
    with pytest.raises(ValidationError, match="needs a reason"):
        requirement_transition(requirement=in_review, to_status="in_progress", by=manager)
    back = requirement_transition(
        requirement=in_review, to_status="in_progress", by=manager, comment="Dialect mix-ups"
    )
    assert back.status_transitions.values_list("reason", flat=True).last() == "Dialect mix-ups"


def test_rejecting_needs_a_comment_and_reopening_too(
    requirement: LocalizationRequirement, manager: Any
) -> None:
    with pytest.raises(ValidationError, match="needs a reason"):
        requirement_transition(requirement=requirement, to_status="rejected", by=manager)
    rejected = requirement_transition(
        requirement=requirement, to_status="rejected", by=manager, comment="Out of scope"
    )
    reopened = requirement_transition(
        requirement=rejected, to_status="proposed", by=manager, comment="Back in scope"
    )
    assert reopened.status == "proposed"


@pytest.mark.parametrize(
    ("path", "target"),
    [((), "live"), ((), "in_review"), (("accepted",), "live"), (("accepted",), "proposed")],
)
def test_skipping_steps_is_refused_naming_the_allowed_ones(
    requirement: LocalizationRequirement, manager: Any, path: tuple[str, ...], target: str
) -> None:
    current = walk(requirement, manager, *path)
    with pytest.raises(ValidationError) as error:
        requirement_transition(requirement=current, to_status=target, by=manager)
    assert "from here it can go to" in error.value.messages[0]
    current.refresh_from_db()
    assert current.status == (path[-1] if path else "proposed")


def test_a_new_requirement_starts_as_proposed(manager: Any) -> None:
    partnership = f.PartnershipFactory.create()
    with pytest.raises(ValidationError, match="starts as proposed"):
        requirement_create(
            by=manager,
            partnership=partnership,
            country=partnership.lead_country,
            locale=locale_get_or_create(tag="en"),
            title="x",
            service_domain="general",
            category="language",
            status="live",
        )


def test_requirement_country_must_take_part(no: Any) -> None:
    requirement = f.RequirementFactory.build(
        partnership=f.PartnershipFactory.create(), country=no, locale=f.LocaleFactory.create()
    )
    with pytest.raises(ValidationError) as error:
        requirement.full_clean()
    assert "does not take part" in error.value.message_dict["country"][0]
