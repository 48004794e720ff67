"""Links reversed once (openai_countries.links) are the links ``reverse()`` gives."""

from __future__ import annotations

import pytest
from django.test import override_settings
from django.urls import NoReverseMatch, reverse, set_script_prefix

from openai_countries.links import reverse_pk, url

NAMES = (
    "infrastructure:site-detail",
    "partnerships:organisation-edit",
    "partnerships:partnership-detail",
    "localization:requirement-detail",
    "financing:commitment-detail",
)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("prefix", ["/", "/program/"])
def test_a_key_link_is_the_reversed_one(name: str, prefix: str) -> None:
    set_script_prefix(prefix)
    try:
        for pk in (1, 7, 12345, 9_876_543_210_123):
            assert reverse_pk(name, pk) == reverse(name, args=[pk])
        assert url("country-dashboard", "BN") == reverse("country-dashboard", args=["BN"])
        assert url("portfolio") == reverse("portfolio")
    finally:
        set_script_prefix("/")


def test_a_link_without_a_key_argument_is_refused() -> None:
    with pytest.raises(NoReverseMatch):
        reverse_pk("portfolio", 1)
    with pytest.raises(ValueError, match="invalid literal"):
        reverse_pk("financing:commitment-detail", "12; DROP")  # type: ignore[arg-type]


def test_a_swapped_urlconf_forgets_the_links_of_the_previous_one() -> None:
    assert reverse_pk("partnerships:partnership-detail", 3).startswith("/partnerships/")
    assert url("portfolio") == reverse("portfolio")
    with override_settings(ROOT_URLCONF="tests.urls_moved"):
        assert reverse_pk("partnerships:partnership-detail", 3) == "/moved/partnerships/3/"
        assert url("portfolio") == "/moved/portfolio/"
    assert reverse_pk("partnerships:partnership-detail", 3) == reverse(
        "partnerships:partnership-detail", args=[3]
    )
