"""A country is named in the reader's language from its stored code, loaded or deferred."""

from __future__ import annotations

import pytest
from django.utils import translation

from partnerships.models import Country

pytestmark = pytest.mark.django_db


def test_a_country_is_named_and_linked_from_its_code(ae: Country) -> None:
    assert str(ae) == "United Arab Emirates"
    with translation.override("fr"):
        assert str(ae) == "Émirats arabes unis"
    assert ae.iso2 == "AE"
    assert ae.get_absolute_url().rstrip("/").endswith("/AE")


def test_a_deferred_or_changed_code_is_read_as_the_field_has_it(ae: Country) -> None:
    deferred = Country.objects.only("name").get(pk=ae.pk)
    assert (str(deferred), deferred.iso2) == ("United Arab Emirates", "AE")
    deferred.code = "NO"
    assert (str(deferred), deferred.iso2) == ("Norway", str(deferred.code))
