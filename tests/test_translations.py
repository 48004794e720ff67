"""The French, Spanish and Arabic catalogues are complete: every string the code and templates
mark for translation has a translation, none of them fuzzy (a guess makemessages made), and the
translations keep the placeholders of their source."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.conf import settings

CATALOGUES = sorted(Path(settings.BASE_DIR, "locale").glob("*/LC_MESSAGES/django.po"))
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda path: path.parts[-3])
def test_every_string_is_translated(path: Path) -> None:
    with path.open("rb") as handle:
        catalogue = read_po(handle)
    missing, fuzzy, placeholders = [], [], []
    for message in catalogue:
        if not message.id:
            continue  # the header
        source = str(message.id if isinstance(message.id, str) else message.id[-1])
        string = message.string
        forms = [str(form) for form in (string if isinstance(string, tuple) else (string,))]
        if not all(forms):
            missing.append(source)
        if message.fuzzy:
            fuzzy.append(source)
        for form in filter(None, forms):
            if not set(PLACEHOLDER.findall(form)) <= set(PLACEHOLDER.findall(source)):
                placeholders.append(source)
    assert not missing, f"untranslated in {path}: {missing}"
    assert not fuzzy, f"fuzzy in {path}: {fuzzy}"
    assert not placeholders, f"unknown placeholders in {path}: {placeholders}"


def test_there_are_three_catalogues() -> None:
    assert [path.parts[-3] for path in CATALOGUES] == ["ar", "es", "fr"]
